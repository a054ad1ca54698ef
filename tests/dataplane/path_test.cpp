// The packet path on plain buffers: relay in every mode, header rewrite and checksums, RTCP
// demux and SRTCP conversion, and every drop reason counted where it should be.

#include <gtest/gtest.h>

#include "dataplane/core/arp.hpp"
#include "dataplane/core/notices.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"
#include "tests/dataplane/support/path_harness.hpp"

using namespace sbc;
using namespace sbc::test;
using dp::verdict;
using shm::drop_reason;
using shm::media_protocol;
namespace wire = dp::wire;

namespace {

const shm::srtp_key key_peer = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 1);
const shm::srtp_key key_ours = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 2);
constexpr uint32_t ssrc_a = 0x11223344, ssrc_b = 0x55667788;
// The reference session initialises libsrtp2 once per process and throws if the libsrtp engine
// did it first: make it go first.
const bool libsrtp_ready = [] {
    srtp::test::ref_session s(key_peer, true);
    return true;
}();

class call : public ::testing::TestWithParam<srtp::engine_kind> {
  protected:
    call() : h(GetParam()) {}

    // Access leg A (port 0, 10.0.0.1:20000, peer 10.0.0.2:40000) and core leg B (port 1,
    // 192.168.1.1:30000, peer 192.168.1.2:50000).
    void install(media_protocol a_proto, media_protocol b_proto, bool mux = false) {
        a = make_leg(0, access_ip, 20000, 1, core_ip, 30000, access_peer, 40000, a_proto);
        b = make_leg(1, core_ip, 30000, 0, access_ip, 20000, core_peer, 50000, b_proto);
        a.rtcp_mux = b.rtcp_mux = mux ? 1 : 0;
        if (a_proto == media_protocol::srtp) {
            a.rx = key_peer;
            a.tx = key_ours;
        }
        if (b_proto == media_protocol::srtp) {
            b.rx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 3);
            b.tx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 4);
        }
        auto ea = h.add(a);
        ASSERT_EQ(ea.type, shm::event_type::ack) << shm::nack_reason_text[size_t(ea.reason)];
        slot_a = ea.slot;
        auto eb = h.add(b);
        ASSERT_EQ(eb.type, shm::event_type::ack) << shm::nack_reason_text[size_t(eb.reason)];
        slot_b = eb.slot;
    }

    frame from_access(const std::vector<uint8_t>& payload, uint16_t dport = 20000,
                      uint32_t src = access_peer, uint16_t sport = 40000) {
        return make_frame(0, src, sport, access_ip, dport, payload);
    }
    frame from_core(const std::vector<uint8_t>& payload, uint16_t dport = 30000) {
        return make_frame(1, core_peer, 50000, core_ip, dport, payload);
    }

    // RTP `seq` protected by `sender` (the peer of the access leg, or of the core leg) is relayed
    // to the other leg's peer, where `receiver` unprotects the very same packet.
    void expect_srtp_relayed(srtp::test::ref_session& sender, srtp::test::ref_session& receiver,
                             uint16_t seq, uint32_t ssrc, bool from_access_peer);

    harness h;
    shm::flow_spec a{}, b{};
    uint32_t slot_a = 0, slot_b = 0;
};

void expect_headers(const dp::pkt_desc& d, uint16_t port, const shm::mac_address& dst_mac,
                    uint32_t src_ip, uint16_t sport, uint32_t dst_ip, uint16_t dport) {
    using namespace wire;
    ASSERT_EQ(d.v, verdict::transmit);
    EXPECT_EQ(d.port, port);
    EXPECT_EQ(0, std::memcmp(d.data, dst_mac.data(), 6));
    EXPECT_EQ(0, std::memcmp(d.data + 6, port_mac[port].data(), 6));
    const uint8_t* ip = d.data + eth_len;
    EXPECT_EQ(ip[0], 0x45);
    EXPECT_EQ(load16(ip + ip_total), d.len - eth_len);
    EXPECT_EQ(load32(ip + ip_src), src_ip);
    EXPECT_EQ(load32(ip + ip_dst), dst_ip);
    EXPECT_EQ(ip[ip_ttl], 64);
    EXPECT_EQ(ip[ip_tos], 0xb8);  // DSCP kept
    EXPECT_TRUE(ipv4_cksum_ok(ip, ipv4_len));
    const uint8_t* udp = ip + ipv4_len;
    EXPECT_EQ(load16(udp + udp_sport), sport);
    EXPECT_EQ(load16(udp + udp_dport), dport);
    EXPECT_EQ(load16(udp + udp_length), d.len - eth_len - ipv4_len);
    EXPECT_NE(load16(udp + udp_cksum), 0);
    EXPECT_TRUE(udp_cksum_ok(ip, udp, load16(udp + udp_length)));
}

void call::expect_srtp_relayed(srtp::test::ref_session& sender, srtp::test::ref_session& receiver,
                               uint16_t seq, uint32_t ssrc, bool from_access_peer) {
    const auto rtp = srtp::test::make_rtp(seq, ssrc, 160);
    auto wire_pkt = rtp;
    ASSERT_EQ(sender.protect(wire_pkt), srtp_err_status_ok);
    auto d = h.run1(from_access_peer ? from_access(wire_pkt) : from_core(wire_pkt));
    if (from_access_peer) {
        expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
    } else {
        expect_headers(d, 0, access_peer_mac, access_ip, 20000, access_peer, 40000);
    }
    auto out = payload_of(d);
    ASSERT_EQ(receiver.unprotect(out), srtp_err_status_ok) << seq;
    EXPECT_EQ(out, rtp);
}

}  // namespace

TEST_P(call, rtp_to_rtp_rewrites_headers_and_keeps_payload) {
    install(media_protocol::rtp, media_protocol::rtp);
    const auto rtp = srtp::test::make_rtp(1, ssrc_a, 160);
    auto d = h.run1(from_access(rtp));
    expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
    EXPECT_EQ(payload_of(d), rtp);
    EXPECT_EQ(h.flow(slot_a).rx_packets, 1u);
    EXPECT_EQ(h.flow(slot_a).fwd_packets, 1u);
    // And back.
    const auto back = srtp::test::make_rtp(7, ssrc_b, 160);
    d = h.run1(from_core(back));
    expect_headers(d, 0, access_peer_mac, access_ip, 20000, access_peer, 40000);
    EXPECT_EQ(payload_of(d), back);
}

TEST_P(call, srtp_to_rtp_and_rtp_to_srtp) {
    install(media_protocol::srtp, media_protocol::rtp);
    srtp::test::ref_session peer_tx(key_peer, false), peer_rx(key_ours, true);
    for (uint16_t seq = 100; seq < 110; ++seq) {
        const auto rtp = srtp::test::make_rtp(seq, ssrc_a, 160);
        auto wire_pkt = rtp;
        ASSERT_EQ(peer_tx.protect(wire_pkt), srtp_err_status_ok);
        auto d = h.run1(from_access(wire_pkt));
        expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
        EXPECT_EQ(payload_of(d), rtp) << seq;

        const auto plain = srtp::test::make_rtp(seq, ssrc_b, 160, 0x42);
        d = h.run1(from_core(plain));
        expect_headers(d, 0, access_peer_mac, access_ip, 20000, access_peer, 40000);
        auto out = payload_of(d);
        EXPECT_EQ(out.size(), plain.size() + 10);
        ASSERT_EQ(peer_rx.unprotect(out), srtp_err_status_ok) << seq;
        EXPECT_EQ(out, plain);
    }
}

// A port that classifies frames (rte_mbuf::packet_type: Ethernet / IPv4 without options / UDP)
// spares the path the checks it made; the result is the same, and lengths are still checked
// (they bound what the path reads).
TEST_P(call, port_packet_type_gives_the_same_result) {
    install(media_protocol::rtp, media_protocol::rtp);
    for (uint16_t seq = 1; seq < 5; ++seq) {
        const auto rtp = srtp::test::make_rtp(seq, ssrc_a, 160 + seq);
        frame f = from_access(rtp);
        auto plain = h.run1(f);
        frame g = from_access(srtp::test::make_rtp(seq + 100, ssrc_a, 160 + seq));
        dp::pkt_desc d = g.desc();
        d.offload = dp::rx_ptype_ipv4_udp;
        std::vector<dp::pkt_desc> one{d};
        h.path().process(one.data(), 1, h.now);
        ASSERT_EQ(one[0].v, verdict::transmit);
        expect_headers(one[0], 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
        EXPECT_EQ(one[0].len, plain.len);
    }
    // An IPv4 total length beyond the frame is refused whatever the port says.
    frame bad = from_access(srtp::test::make_rtp(50, ssrc_a, 160));
    wire::store16(bad.bytes.data() + 14 + 2, static_cast<uint16_t>(bad.len));
    dp::pkt_desc d = bad.desc();
    d.offload = dp::rx_ptype_ipv4_udp;
    const uint64_t before = h.drops(drop_reason::bad_header);
    h.path().process(&d, 1, h.now);
    EXPECT_EQ(d.drop, uint8_t(drop_reason::bad_header));
    EXPECT_EQ(h.drops(drop_reason::bad_header), before + 1);
}

// The path remembers the MAC of the next hops it sends to; a changed neighbour entry (neigh_set,
// learning) is used from the next packet on.
TEST_P(call, a_changed_next_hop_mac_is_used_at_once) {
    install(media_protocol::rtp, media_protocol::rtp);
    const shm::mac_address moved = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    auto d = h.run1(from_access(srtp::test::make_rtp(1, ssrc_a, 160)));
    expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
    shm::command c{};
    c.type = shm::command_type::neigh_set;
    c.neigh.dpdk_port = 1;
    c.neigh.addr = shm::ipv4(core_peer);
    std::memcpy(c.neigh.mac, moved.data(), 6);
    ASSERT_EQ(h.command(c).type, shm::event_type::ack);
    d = h.run1(from_access(srtp::test::make_rtp(2, ssrc_a, 160)));
    expect_headers(d, 1, moved, core_ip, 30000, core_peer, 50000);
}

// The index keeps a signature of each key, not the key: a packet whose first candidate belongs
// to another key with the same signature still finds its own flow.
TEST_P(call, a_shared_index_signature_does_not_hide_a_flow) {
    b = make_leg(1, core_ip, 30000, 0, access_ip, 20000, core_peer, 50000, media_protocol::rtp);
    a = make_leg(0, access_ip, 20000, 1, core_ip, 30000, access_peer, 40000, media_protocol::rtp);
    auto eb = h.add(b);
    ASSERT_EQ(eb.type, shm::event_type::ack);
    // What a key sharing A's signature looks like to a lookup of A: an earlier entry that names
    // a slot whose own key is not A's.
    const uint64_t key_a = dp::pack_key(0, access_ip, 20000);
    ASSERT_TRUE(h.tables().index_flow(key_a, eb.slot));
    ASSERT_EQ(h.tables().index.lookup(key_a), eb.slot);
    auto ea = h.add(a);
    ASSERT_EQ(ea.type, shm::event_type::ack) << "the look-alike entry is not A";
    const auto rtp = srtp::test::make_rtp(1, ssrc_a, 160);
    auto d = h.run1(from_access(rtp));
    expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
    EXPECT_EQ(h.flow(ea.slot).rx_packets, 1u);
    EXPECT_EQ(h.flow(eb.slot).rx_packets, 0u);
}

// sbcd ends calls without media after media_timeout_s from the flow counters' last_rx_ns: every
// accepted RTP packet moves it to the burst's CLOCK_MONOTONIC time; a packet that fails
// authentication does not keep a call alive.
TEST_P(call, last_rx_time_follows_accepted_packets_only) {
    install(media_protocol::srtp, media_protocol::rtp);
    EXPECT_EQ(h.flow(slot_a).last_rx_ns, h.now) << "silence counts from the installation";
    srtp::test::ref_session peer_tx(key_peer, false);
    auto good = srtp::test::make_rtp(1, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(good), srtp_err_status_ok);
    // The harness's TSC runs at 1 GHz from CLOCK_MONOTONIC 0: nanoseconds are TSC cycles.
    h.now = 5'000'000'000;
    ASSERT_EQ(h.run1(from_access(good)).v, verdict::transmit);
    EXPECT_EQ(h.flow(slot_a).last_rx_ns, 5'000'000'000u);
    auto forged = srtp::test::make_rtp(2, ssrc_a, 160);
    forged.resize(forged.size() + 10, 0x5a);
    h.now = 9'000'000'000;
    EXPECT_EQ(h.run1(from_access(forged)).drop, uint8_t(drop_reason::auth_fail));
    EXPECT_EQ(h.flow(slot_a).last_rx_ns, 5'000'000'000u);
    const auto rtp = srtp::test::make_rtp(1, ssrc_b, 160);
    h.now = 11'000'000'000;
    ASSERT_EQ(h.run1(from_core(rtp)).v, verdict::transmit);
    EXPECT_EQ(h.flow(slot_b).last_rx_ns, 11'000'000'000u);
    EXPECT_EQ(h.flow(slot_a).last_rx_ns, 5'000'000'000u);
}

TEST_P(call, srtp_to_srtp_reencrypts_with_the_other_legs_key) {
    install(media_protocol::srtp, media_protocol::srtp);
    srtp::test::ref_session a_peer_tx(key_peer, false);
    srtp::test::ref_session b_peer_rx(b.tx, true);
    for (uint16_t seq = 65530; seq != 6; ++seq) {  // across the sequence wrap: ROC 0 -> 1
        expect_srtp_relayed(a_peer_tx, b_peer_rx, seq, ssrc_a, true);
    }
    EXPECT_EQ(h.tables().rx_stream(slot_a)->roc(), 1u);
}

// SRTP state exists only for legs that speak SRTP: a record per SRTP leg, none for the PBX's
// plain RTP leg; a leg that turns to SRTP in a re-INVITE gets one with its keys, the partner
// protects towards it at once, and records go back (and are reused) when legs are removed.
TEST_P(call, srtp_state_only_where_srtp_is_spoken) {
    install(media_protocol::srtp, media_protocol::rtp);
    auto& t = h.tables();
    EXPECT_EQ(t.srtp.in_use(), 1u);
    EXPECT_NE(t.rx_stream(slot_a), nullptr);
    EXPECT_EQ(t.rx_stream(slot_b), nullptr);
    const size_t allocated = t.srtp.allocated_bytes();
    EXPECT_GT(allocated, 0u);

    // The PBX leg turns to SRTP (a re-INVITE): it gets its record, and packets flow both ways.
    b.protocol = media_protocol::srtp;
    b.latch = shm::latch_policy::srtp_authenticated;
    b.rx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 3);
    b.tx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 4);
    ASSERT_EQ(h.update(b).type, shm::event_type::ack);
    EXPECT_EQ(t.srtp.in_use(), 2u);
    ASSERT_NE(t.rx_stream(slot_b), nullptr);
    srtp::test::ref_session a_peer_tx(key_peer, false), b_peer_rx(b.tx, true);
    srtp::test::ref_session b_peer_tx(b.rx, false), a_peer_rx(key_ours, true);
    for (uint16_t seq = 1; seq < 4; ++seq) {
        expect_srtp_relayed(a_peer_tx, b_peer_rx, seq, ssrc_a, true);
        expect_srtp_relayed(b_peer_tx, a_peer_rx, seq, ssrc_b, false);
    }

    // Removed legs give their records back once no lcore can see them; new legs reuse them.
    ASSERT_EQ(h.del(a.key).type, shm::event_type::ack);
    ASSERT_EQ(h.del(b.key).type, shm::event_type::ack);
    t.rcu.quiescent(0);
    h.control().reclaim();
    EXPECT_EQ(t.srtp.in_use(), 0u);
    install(media_protocol::srtp, media_protocol::srtp);
    EXPECT_EQ(t.srtp.in_use(), 2u);
    EXPECT_EQ(t.srtp.allocated_bytes(), allocated);
}

TEST_P(call, rtcp_on_port_plus_one_and_srtcp_conversion) {
    install(media_protocol::srtp, media_protocol::rtp);
    srtp::test::ref_session peer_tx(key_peer, false), peer_rx(key_ours, true);
    // SRTCP from the softphone -> plain RTCP to the PBX, port + 1 both sides.
    const auto sr = srtp::test::make_rtcp(ssrc_a);
    auto wire_pkt = sr;
    ASSERT_EQ(peer_tx.protect_rtcp(wire_pkt), srtp_err_status_ok);
    auto d = h.run1(from_access(wire_pkt, 20001, access_peer, 40001));
    expect_headers(d, 1, core_peer_mac, core_ip, 30001, core_peer, 50001);
    EXPECT_EQ(payload_of(d), sr);
    EXPECT_EQ(h.flow(slot_a).rtcp_fwd_packets, 1u);
    // Plain RTCP from the PBX -> SRTCP to the softphone's RTCP source.
    const auto rr = srtp::test::make_rtcp(ssrc_b, 0);
    d = h.run1(from_core(rr, 30001));
    expect_headers(d, 0, access_peer_mac, access_ip, 20001, access_peer, 40001);
    auto out = payload_of(d);
    ASSERT_EQ(peer_rx.unprotect_rtcp(out), srtp_err_status_ok);
    EXPECT_EQ(out, rr);
}

TEST_P(call, rtcp_mux_demultiplexes_by_payload_type) {
    install(media_protocol::rtp, media_protocol::rtp, true);
    const auto sr = srtp::test::make_rtcp(ssrc_a);  // second octet 200
    auto d = h.run1(from_access(sr));
    expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);  // mux: same ports
    EXPECT_EQ(h.flow(slot_a).rtcp_rx_packets, 1u);
    EXPECT_EQ(h.flow(slot_a).rx_packets, 0u);
    // An RTP packet with marker bit and PT 72 would collide (RFC 5761 §4): it is RTCP, and
    // invalid as such.
    auto rtp = srtp::test::make_rtp(1, ssrc_a, 20);
    rtp[1] = 0x80 | 72;
    d = h.run1(from_access(rtp));
    EXPECT_EQ(d.v, verdict::drop);
    EXPECT_EQ(d.drop, uint8_t(drop_reason::bad_rtcp));
    rtp[1] = 0x80 | 8;  // marker + PCMA: RTP
    d = h.run1(from_access(rtp));
    EXPECT_EQ(d.v, verdict::transmit);
    EXPECT_EQ(h.flow(slot_a).rx_packets, 1u);
}

TEST_P(call, payload_type_rewrite_applies_towards_the_leg_that_asks) {
    install(media_protocol::rtp, media_protocol::rtp);
    b.pt_rewrite_count = 1;
    b.pt_rewrites[0] = {101, 96};
    ASSERT_EQ(h.update(b).type, shm::event_type::ack);
    auto rtp = srtp::test::make_rtp(1, ssrc_a, 20);
    rtp[1] = 0x80 | 101;
    auto d = h.run1(from_access(rtp));
    ASSERT_EQ(d.v, verdict::transmit);
    EXPECT_EQ(payload_of(d)[1], 0x80 | 96);
    expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);  // checksum updated
}

// Plain RTP keeps its payload: the UDP checksum is updated from the received one (RFC 1624)
// rather than summed again. Whatever the sender's addresses, ports, payload and IPv4 options,
// the result must equal a full computation; a packet that came without a checksum gets one.
TEST_P(call, plain_relay_updates_the_udp_checksum_incrementally) {
    install(media_protocol::rtp, media_protocol::rtp);
    a.peer = {};  // latch to whatever sends first
    ASSERT_EQ(h.update(a).type, shm::event_type::ack);
    uint32_t x = 12345;
    auto next = [&x] { return x = x * 1103515245u + 12345u; };
    for (int i = 0; i < 200; ++i) {
        auto rtp = srtp::test::make_rtp(static_cast<uint16_t>(i), ssrc_a,
                                        static_cast<uint16_t>(1 + next() % 300));
        for (size_t k = 12; k < rtp.size(); ++k) {
            rtp[k] = static_cast<uint8_t>(next() >> 13);
        }
        frame f = from_access(rtp);
        if (i == 7) {
            wire::store16(f.bytes.data() + 34 + 6, 0);  // the sender computed none
        }
        if (i % 5 == 3) {
            // Four bytes of IPv4 options (NOPs): the path strips them; the UDP checksum does
            // not cover them.
            frame g = f;
            g.len = static_cast<uint16_t>(f.len + 4);
            g.bytes.insert(g.bytes.begin() + 34, {1, 1, 1, 1});
            uint8_t* ip = g.bytes.data() + 14;
            ip[0] = 0x46;
            wire::store16(ip + 2, static_cast<uint16_t>(wire::load16(ip + 2) + 4));
            ip[10] = ip[11] = 0;
            const uint16_t c = wire::ipv4_cksum(ip, 24);
            std::memcpy(ip + 10, &c, 2);
            f = g;
        }
        auto d = h.run1(f);
        expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
        EXPECT_EQ(payload_of(d), rtp) << i;
    }
}

TEST_P(call, every_drop_reason_is_named_and_counted) {
    install(media_protocol::srtp, media_protocol::rtp);
    auto expect_drop = [&](frame f, drop_reason r, bool on_flow) {
        const uint64_t before = h.drops(r);
        const uint32_t flow_before = shm::flow_drops(h.flow(slot_a), r);
        auto d = h.run1(std::move(f));
        EXPECT_EQ(d.drop, uint8_t(r)) << shm::drop_reason_name[size_t(r)];
        EXPECT_EQ(h.drops(r), before + 1) << shm::drop_reason_name[size_t(r)];
        EXPECT_EQ(shm::flow_drops(h.flow(slot_a), r), flow_before + (on_flow ? 1 : 0))
            << shm::drop_reason_name[size_t(r)];
        return d;
    };
    srtp::test::ref_session peer_tx(key_peer, false);
    auto good = srtp::test::make_rtp(1, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(good), srtp_err_status_ok);

    frame f = from_access(good);
    f.len = 10;
    expect_drop(f, drop_reason::bad_header, false);
    f = from_access(good);
    f.bytes[12] = 0x86;
    f.bytes[13] = 0xdd;
    expect_drop(f, drop_reason::not_ipv4, false);
    f = from_access(good);
    f.bytes[12] = 0x88;
    f.bytes[13] = 0xcc;
    expect_drop(f, drop_reason::other_ethertype, false);
    const uint8_t other_mac[6] = {2, 9, 9, 9, 9, 9};
    expect_drop(make_frame(0, access_peer, 40000, access_ip, 20000, good, 64, other_mac),
                drop_reason::not_for_us, false);
    f = from_access(good);
    f.bytes[14] = 0x65;  // IPv6 version in an IPv4 frame
    expect_drop(f, drop_reason::bad_header, false);
    f = from_access(good);
    f.bytes[14 + 10] ^= 0xff;  // IP header checksum
    expect_drop(f, drop_reason::bad_header, false);
    f = from_access(good);
    f.bytes[14 + 6] = 0x20;  // MF set
    f.bytes[14 + 10] = f.bytes[14 + 11] = 0;
    {
        const uint16_t c = wire::ipv4_cksum(f.bytes.data() + 14, 20);
        std::memcpy(f.bytes.data() + 24, &c, 2);
    }
    expect_drop(f, drop_reason::ip_fragment, false);
    f = from_access(good);
    f.bytes[14 + 9] = 6;  // TCP
    f.bytes[14 + 10] = f.bytes[14 + 11] = 0;
    {
        const uint16_t c = wire::ipv4_cksum(f.bytes.data() + 14, 20);
        std::memcpy(f.bytes.data() + 24, &c, 2);
    }
    expect_drop(f, drop_reason::not_udp, false);
    f = from_access(good);
    wire::store16(f.bytes.data() + 34 + 4, 4000);  // UDP length past the datagram
    expect_drop(f, drop_reason::bad_header, false);
    expect_drop(from_access(good, 22000), drop_reason::no_flow, false);

    auto bad = good;
    bad[0] = 0x40;  // RTP version 1
    expect_drop(from_access(bad), drop_reason::bad_rtp, true);
    bad = good;
    bad[0] = 0x8f;  // 15 CSRCs: longer than the packet
    expect_drop(from_access(std::vector<uint8_t>(bad.begin(), bad.begin() + 40)),
                drop_reason::bad_rtp, true);
    bad = srtp::test::make_rtp(2, ssrc_a, 4, 0, {0, 1, 0});
    bad[12 + 2] = 0xff;  // extension length far past the end
    expect_drop(from_access(bad), drop_reason::bad_rtp, true);
    expect_drop(from_access(std::vector<uint8_t>(good.begin(), good.begin() + 11)),
                drop_reason::bad_rtp, true);
    expect_drop(from_access({0x80, 200, 0x00, 0x40, 1, 2, 3, 4}, 20001), drop_reason::bad_rtcp,
                true);  // SRTCP too short for the tag
    bad = good;
    bad[bad.size() - 1] ^= 1;
    expect_drop(from_access(bad), drop_reason::auth_fail, true);
    auto wk = srtp::test::make_rtp(3, ssrc_a, 160);
    srtp::test::ref_session wrong(srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 9),
                                  false);
    ASSERT_EQ(wrong.protect(wk), srtp_err_status_ok);
    expect_drop(from_access(wk), drop_reason::auth_fail, true);

    // The first good packet goes through, the replay of it does not.
    auto d = h.run1(from_access(good));
    EXPECT_EQ(d.v, verdict::transmit);
    expect_drop(from_access(good), drop_reason::replay, true);

    // Core side: RTP from an address that is not the SDP peer.
    const auto rtp = srtp::test::make_rtp(1, ssrc_b, 160);
    {
        const uint64_t before = h.drops(drop_reason::unlatched_source);
        d = h.run1(make_frame(1, 0xc0a80163, 50000, core_ip, 30000, rtp));
        EXPECT_EQ(d.drop, uint8_t(drop_reason::unlatched_source));
        EXPECT_EQ(h.drops(drop_reason::unlatched_source), before + 1);
    }
    // RTP -> SRTP without room for the tag.
    {
        frame tight = make_frame(1, core_peer, 50000, core_ip, 30000, rtp, 4);
        d = h.run1(std::move(tight));
        EXPECT_EQ(d.drop, uint8_t(drop_reason::no_room));
    }
    // Hold on the access leg: nothing is sent to its peer.
    auto held = a;
    held.media_flags = shm::media_flag::hold;
    ASSERT_EQ(h.update(held).type, shm::event_type::ack);
    d = h.run1(from_core(srtp::test::make_rtp(2, ssrc_b, 160)));
    EXPECT_EQ(d.drop, uint8_t(drop_reason::held));
    ASSERT_EQ(h.update(a).type, shm::event_type::ack);

    // An unknown next hop: counted as no_neighbour, the buffer becomes an ARP request.
    auto far = b;
    far.peer = shm::make_endpoint(shm::ipv4(0xc0a80177), 50000);
    ASSERT_EQ(h.update(far).type, shm::event_type::ack);
    auto again = srtp::test::make_rtp(4, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(again), srtp_err_status_ok);
    d = expect_drop(from_access(again), drop_reason::no_neighbour, true);
    ASSERT_EQ(d.v, verdict::transmit);
    EXPECT_EQ(d.port, 1);
    EXPECT_EQ(wire::load16(d.data + 12), wire::ethertype_arp);
    EXPECT_EQ(wire::load32(d.data + 14 + wire::arp_tpa), 0xc0a80177u);
    EXPECT_EQ(wire::load32(d.data + 14 + wire::arp_spa), core_ip);

    // No peer known for the core leg.
    auto nopeer = b;
    nopeer.peer = {};
    ASSERT_EQ(h.update(nopeer).type, shm::event_type::ack);
    auto p5 = srtp::test::make_rtp(5, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(p5), srtp_err_status_ok);
    expect_drop(from_access(p5), drop_reason::no_peer, true);

    // Partner removed.
    ASSERT_EQ(h.del(b.key).type, shm::event_type::ack);
    auto p6 = srtp::test::make_rtp(6, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(p6), srtp_err_status_ok);
    expect_drop(from_access(p6), drop_reason::no_partner, true);

    // A stream without a key (cannot happen through commands): the engine's error is counted.
    ASSERT_EQ(h.add(b).type, shm::event_type::ack);
    h.tables().rx_stream(slot_a)->clear();
    auto p7 = srtp::test::make_rtp(7, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(p7), srtp_err_status_ok);
    expect_drop(from_access(p7), drop_reason::crypto_error, true);

    // Another lcore owns the leg: the packet goes there, untouched and not counted as a drop.
    h.tables().legs[slot_a].owner.store(5);
    frame mine = from_access(p6);
    const auto before = mine.bytes;
    d = h.run1(mine);
    EXPECT_EQ(d.v, verdict::handoff);
    EXPECT_EQ(d.drop, 5);
    EXPECT_EQ(std::vector<uint8_t>(d.data, d.data + d.len),
              std::vector<uint8_t>(before.begin(), before.begin() + d.len));
}

TEST_P(call, arp_for_media_addresses_is_answered_and_learned) {
    using namespace wire;
    std::vector<uint8_t> req(60 + 32, 0);
    shm::mac_address asker{0x02, 0xaa, 0, 0, 0, 1};
    dp::build_arp_request(req.data(), 60, asker, 0x0a000063, access_ip);
    frame f;
    f.bytes = req;
    f.len = 60;
    f.port = 0;
    auto d = h.run1(f);
    ASSERT_EQ(d.v, verdict::transmit);
    EXPECT_EQ(d.port, 0);
    EXPECT_EQ(load16(d.data + eth_len + arp_oper), arp_reply);
    EXPECT_EQ(0, std::memcmp(d.data, asker.data(), 6));
    EXPECT_EQ(0, std::memcmp(d.data + eth_len + arp_sha, port_mac[0].data(), 6));
    EXPECT_EQ(load32(d.data + eth_len + arp_spa), access_ip);
    EXPECT_EQ(load32(d.data + eth_len + arp_tpa), 0x0a000063u);
    EXPECT_EQ(h.lcore.arp_replies, 1u);
    auto n = h.notices();
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].type, dp::notice_neighbour_learned);
    EXPECT_EQ(shm::ipv4_value(n[0].addr.addr), 0x0a000063u);

    dp::build_arp_request(req.data(), 60, asker, 0x0a000063, 0x0a000099);  // not ours
    f.bytes = req;
    d = h.run1(f);
    EXPECT_EQ(d.drop, uint8_t(drop_reason::arp_ignored));
    req[eth_len + arp_hlen] = 8;  // malformed
    f.bytes = req;
    d = h.run1(f);
    EXPECT_EQ(d.drop, uint8_t(drop_reason::bad_header));
}

namespace {

// Empty buffers as the worker hands them to send_solicits().
struct out_buffers {
    explicit out_buffers(uint16_t n) : mem(n, std::vector<uint8_t>(256)), d(n) {
        for (uint16_t i = 0; i < n; ++i) {
            d[i].data = mem[i].data();
            d[i].len = 0;
            d[i].room = 256;
            d[i].v = verdict::consumed;
        }
    }
    std::vector<std::vector<uint8_t>> mem;
    std::vector<dp::pkt_desc> d;
};

void expect_arp_request(const dp::pkt_desc& d, uint16_t port, uint32_t sender, uint32_t target) {
    using namespace wire;
    ASSERT_EQ(d.v, verdict::transmit);
    EXPECT_EQ(d.port, port);
    EXPECT_EQ(load16(d.data + 12), ethertype_arp);
    EXPECT_EQ(0, std::memcmp(d.data + 6, port_mac[port].data(), 6));
    EXPECT_EQ(load16(d.data + eth_len + arp_oper), arp_request);
    EXPECT_EQ(load32(d.data + eth_len + arp_spa), sender);
    EXPECT_EQ(load32(d.data + eth_len + arp_tpa), target);
}

}  // namespace

// Installing a flow whose peer is not resolved asks for it at once (worker 0 sends the ARP
// request), so the flow's first packet is relayed instead of being spent as the request.
TEST_P(call, flow_install_resolves_the_peer_before_the_first_packet) {
    install(media_protocol::rtp, media_protocol::rtp);
    EXPECT_FALSE(h.path().solicits_pending());  // both peers are static neighbours
    auto far = b;
    far.peer = shm::make_endpoint(shm::ipv4(0xc0a80177), 50000);  // on-link, unknown
    ASSERT_EQ(h.update(far).type, shm::event_type::ack);
    ASSERT_TRUE(h.path().solicits_pending());
    out_buffers out(4);
    ASSERT_EQ(h.path().send_solicits(out.d.data(), 4, h.now), 1u);
    expect_arp_request(out.d[0], 1, core_ip, 0xc0a80177);
    EXPECT_EQ(h.lcore.arp_requests, 1u);
    EXPECT_FALSE(h.path().solicits_pending());

    // The same next hop again within a second (a re-INVITE republishes the leg): no second
    // request. The answer arrives; the first packet goes out.
    ASSERT_EQ(h.update(far).type, shm::event_type::ack);
    out_buffers again(4);
    EXPECT_EQ(h.path().send_solicits(again.d.data(), 4, h.now + 1000), 0u);
    const shm::mac_address far_mac{0x02, 0, 0, 0, 1, 0x77};
    h.tables().neighbours.set(1, 0xc0a80177, far_mac, false);
    auto d = h.run1(from_access(srtp::test::make_rtp(1, ssrc_a, 160)));
    expect_headers(d, 1, far_mac, core_ip, 30000, 0xc0a80177, 50000);
    // Resolved before the worker got to it: nothing is sent.
    auto other = b;
    other.peer = shm::make_endpoint(shm::ipv4(0xc0a80178), 50000);
    ASSERT_EQ(h.update(other).type, shm::event_type::ack);
    h.tables().neighbours.set(1, 0xc0a80178, far_mac, false);
    EXPECT_EQ(h.path().send_solicits(again.d.data(), 4, h.now + 2'000'000'000), 0u);
    EXPECT_EQ(h.lcore.arp_requests, 1u);
}

// A peer outside the media subnet is reached through the port's gateway: the gateway is what
// gets resolved and whose MAC the packets carry; the IP destination stays the peer.
TEST_P(call, peer_outside_the_media_subnet_goes_through_the_gateway) {
    const uint32_t gateway = 0xc0a801fe, internet_peer = 0xcb007107;  // 203.0.113.7
    h.tables().ports[1].gateway = gateway;
    install(media_protocol::rtp, media_protocol::rtp);
    auto far = b;
    far.peer = shm::make_endpoint(shm::ipv4(internet_peer), 50000);
    ASSERT_EQ(h.update(far).type, shm::event_type::ack);
    out_buffers out(2);
    ASSERT_EQ(h.path().send_solicits(out.d.data(), 2, h.now), 1u);
    expect_arp_request(out.d[0], 1, core_ip, gateway);
    const shm::mac_address gw_mac{0x02, 0, 0, 0, 1, 0xfe};
    h.tables().neighbours.set(1, gateway, gw_mac, false);
    auto d = h.run1(from_access(srtp::test::make_rtp(1, ssrc_a, 160)));
    expect_headers(d, 1, gw_mac, core_ip, 30000, internet_peer, 50000);
    // On-link peers are still reached directly.
    ASSERT_EQ(h.update(b).type, shm::event_type::ack);
    d = h.run1(from_access(srtp::test::make_rtp(2, ssrc_a, 160)));
    expect_headers(d, 1, core_peer_mac, core_ip, 30000, core_peer, 50000);
}

// A client that latches from a new on-link address is a neighbour from its packet's Ethernet
// source (told to the main lcore, which owns the table); one behind the gateway is not.
TEST_P(call, latching_from_an_on_link_address_learns_its_mac) {
    install(media_protocol::srtp, media_protocol::rtp);
    h.notices();
    srtp::test::ref_session peer_tx(key_peer, false);
    auto p1 = srtp::test::make_rtp(1, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(p1), srtp_err_status_ok);
    ASSERT_EQ(h.run1(from_access(p1, 20000, 0x0a000077, 61000)).v, verdict::transmit);
    std::vector<shm::event> learned;
    for (const auto& e : h.notices()) {
        if (e.type == dp::notice_neighbour_learned) {
            learned.push_back(e);
        }
    }
    ASSERT_EQ(learned.size(), 1u);
    EXPECT_EQ(shm::ipv4_value(learned[0].addr.addr), 0x0a000077u);
    EXPECT_EQ(learned[0].key.dpdk_port, 0);
    shm::mac_address mac;
    dp::decode_neighbour_notice(learned[0], mac);
    EXPECT_EQ(mac, access_peer_mac);

    // Behind the gateway: the source MAC is the router's, not the client's.
    h.tables().ports[0].gateway = 0x0a0000fe;
    auto p2 = srtp::test::make_rtp(2, ssrc_a, 160);
    ASSERT_EQ(peer_tx.protect(p2), srtp_err_status_ok);
    ASSERT_EQ(h.run1(from_access(p2, 20000, 0xcb007107, 61000)).v, verdict::transmit);
    for (const auto& e : h.notices()) {
        EXPECT_NE(e.type, dp::notice_neighbour_learned);
    }
}

INSTANTIATE_TEST_SUITE_P(engines, call,
                         ::testing::Values(srtp::engine_kind::ipsecmb, srtp::engine_kind::libsrtp),
                         [](const auto& i) {
                             return std::string(i.param == srtp::engine_kind::libsrtp ? "libsrtp"
                                                                                      : "ipsecmb");
                         });
