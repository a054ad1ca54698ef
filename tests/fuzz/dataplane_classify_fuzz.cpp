// Arbitrary frames through classify + relay on plain buffers (no EAL). The input is a sequence
// of records: [port:1][len:1][bytes:len]; a record whose port byte has bit 7 set instead
// applies a flow_update built from its bytes (hold, peer, rtcp-mux, protocol), so command and
// packet handling interleave; bit 5 marks the frame as classified by the port (packet type). Three
// calls are installed: SRTP<->RTP, RTP<->RTP (rtcp-mux), SRTP<->SRTP with RTCP generation. Checks:
// nothing crashes, every transmitted frame lies in its buffer and carries a valid IPv4 checksum and
// a valid UDP checksum, or is an ARP packet. The one exception is by design: a plain relay updates
// the received UDP checksum (RFC 1624), so a frame that arrived with a wrong one leaves with a
// wrong one.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "tests/dataplane/support/path_harness.hpp"

using namespace sbc;
using namespace sbc::test;

namespace {

shm::srtp_key key(uint8_t seed) {
    shm::srtp_key k{};
    k.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    k.master_key_len = 16;
    k.master_salt_len = 14;
    for (int i = 0; i < 16; ++i) {
        k.master_key[i] = static_cast<uint8_t>(seed + i);
    }
    for (int i = 0; i < 14; ++i) {
        k.master_salt[i] = static_cast<uint8_t>(seed * 3 + i);
    }
    return k;
}

struct world {
    harness h;
    std::vector<shm::flow_spec> legs;
    world() {
        auto add_call = [&](uint16_t ap, uint16_t cp, bool a_srtp, bool c_srtp, bool mux) {
            auto a = make_leg(0, access_ip, ap, 1, core_ip, cp, access_peer, 40000,
                              a_srtp ? shm::media_protocol::srtp : shm::media_protocol::rtp);
            auto c = make_leg(1, core_ip, cp, 0, access_ip, ap, core_peer, 50000,
                              c_srtp ? shm::media_protocol::srtp : shm::media_protocol::rtp);
            a.rx = key(1);
            a.tx = key(2);
            c.rx = key(3);
            c.tx = key(4);
            a.rtcp_mux = c.rtcp_mux = mux;
            c.rtcp = shm::rtcp_mode::generate;
            c.rtcp_generation_timeout_ms = 1;
            h.add(a);
            h.add(c);
            legs.push_back(a);
            legs.push_back(c);
        };
        add_call(20000, 30000, true, false, false);
        add_call(20010, 30010, false, false, true);
        add_call(20020, 30020, true, true, false);
    }
};

// Whether the frame as received carried a UDP checksum that does not verify.
bool received_bad_udp_cksum(const std::vector<uint8_t>& in) {
    if (in.size() < 42 || (in[14] >> 4) != 4) {
        return false;
    }
    const size_t hlen = (in[14] & 0x0fu) * 4u;
    if (hlen < 20 || in.size() < 14 + hlen + 8) {
        return false;
    }
    const uint8_t* ip = in.data() + 14;
    const uint8_t* udp = ip + hlen;
    const uint16_t ulen = dp::wire::load16(udp + 4);
    if (ulen < 8 || 14 + hlen + ulen > in.size()) {
        return false;
    }
    // The pseudo header does not depend on the header length: sum the addresses directly.
    uint8_t pseudo_ip[20] = {};
    std::memcpy(pseudo_ip + 12, ip + 12, 8);
    return !dp::wire::udp_cksum_ok(pseudo_ip, udp, ulen);
}

void check(const dp::pkt_desc& d, const uint8_t* begin, const uint8_t* end,
           const std::vector<uint8_t>& in) {
    if (d.v != dp::verdict::transmit) {
        return;
    }
    if (d.data < begin || d.data + d.len > end || d.len < 14) {
        std::abort();
    }
    if (dp::wire::load16(d.data + 12) == dp::wire::ethertype_arp) {
        return;
    }
    const uint8_t* ip = d.data + 14;
    if (d.len < 42 || !dp::wire::ipv4_cksum_ok(ip, 20)) {
        std::abort();
    }
    if (!dp::wire::udp_cksum_ok(ip, ip + 20, dp::wire::load16(ip + 24)) &&
        !received_bad_udp_cksum(in)) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static world w;
    constexpr size_t room = 64;
    std::vector<std::vector<uint8_t>> bufs;
    std::vector<std::vector<uint8_t>> inputs;
    std::vector<dp::pkt_desc> descs;
    size_t off = 0;
    while (off + 2 <= size && descs.size() < dp::max_burst) {
        const uint8_t port = data[off];
        const uint8_t len = data[off + 1];
        off += 2;
        const size_t n = std::min<size_t>(len, size - off);
        if (port & 0x80) {
            auto spec = w.legs[(port & 0x7f) % w.legs.size()];
            if (n >= 1) {
                spec.media_flags = data[off] & 1;
                spec.rtcp_mux = (data[off] >> 1) & 1;
                spec.protocol =
                    (data[off] & 4) ? shm::media_protocol::srtp : shm::media_protocol::rtp;
            }
            if (n >= 3) {
                spec.peer.port = dp::wire::load16(data + off + 1);
            }
            w.h.update(spec);
            off += n;
            continue;
        }
        // Make most frames look like ours so that the fuzzer reaches the flow logic.
        std::vector<uint8_t> b(n + room);
        std::memcpy(b.data(), data + off, n);
        if (n >= 14 && (port & 0x40)) {
            std::memcpy(b.data(), port_mac[port & 1].data(), 6);
            b[12] = 0x08;
            b[13] = 0x00;
        }
        off += n;
        // Bit 5: the port reports what the frame is (rte_mbuf::packet_type), as a NIC does when
        // the headers say Ethernet / IPv4 without options / UDP, not a fragment.
        const bool udp4 = n >= 34 && b[12] == 0x08 && b[13] == 0x00 && b[14] == 0x45 &&
                          (dp::wire::load16(b.data() + 20) & 0x3fff) == 0 && b[23] == 17;
        const uint16_t offload = (port & 0x20) && udp4 ? dp::rx_ptype_ipv4_udp : 0;
        inputs.emplace_back(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
        bufs.push_back(std::move(b));
        descs.push_back(dp::pkt_desc{bufs.back().data(), static_cast<uint16_t>(n),
                                     static_cast<uint16_t>(room), static_cast<uint16_t>(port & 1),
                                     offload, dp::verdict::drop, 0, 0});
    }
    for (size_t i = 0; i < descs.size(); ++i) {
        descs[i].data = bufs[i].data();
    }
    w.h.now += 1'000'000;
    w.h.path().process(descs.data(), static_cast<uint16_t>(descs.size()), w.h.now);
    for (size_t i = 0; i < descs.size(); ++i) {
        check(descs[i], bufs[i].data(), bufs[i].data() + bufs[i].size(), inputs[i]);
    }
    std::vector<uint8_t> gen(2048);
    dp::pkt_desc g{gen.data(), 0, 2048, 0, 0, dp::verdict::consumed, 0, 0};
    w.h.path().generate_rtcp(&g, 1, w.h.now);
    check(g, gen.data(), gen.data() + gen.size(), {});
    w.h.notices();
    w.h.tables().rcu.quiescent(0);
    w.h.control().reclaim();
    return 0;
}
