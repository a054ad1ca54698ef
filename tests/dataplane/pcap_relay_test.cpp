// Through the real EAL: sbc-dataplane reads generated pcaps of an SRTP <-> RTP call (plus
// hostile packets) on two net_pcap ports, relays, and writes the output pcaps, which are
// checked by decrypting with libsrtp2. Flows are programmed with dataplane_client before the
// ports are polled (--hold-rx, then rx_start).

#include <gtest/gtest.h>

#include <thread>

#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "dataplane/core/headers.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"
#include "tests/dataplane/support/dp_process.hpp"
#include "tests/dataplane/support/path_harness.hpp"
#include "tests/dataplane/support/pcap_file.hpp"

using namespace sbc;
using namespace sbc::test;
using namespace std::chrono_literals;
using shm::drop_reason;
namespace wire = dp::wire;

namespace {

const shm::srtp_key k_phone = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 31);
const shm::srtp_key k_sbc = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 32);
const shm::srtp_key k_wrong = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 33);
const shm::mac_address pcap_mac[2] = {{0x02, 0x70, 0x63, 0x61, 0x70, 0x00},
                                      {0x02, 0x70, 0x63, 0x61, 0x70, 0x01}};
constexpr uint32_t ssrc_phone = 0x0badcafe, ssrc_pbx = 0x0f0f0f0f;
constexpr int call_packets = 200;

std::vector<uint8_t> eth_frame(uint16_t port, uint32_t src, uint16_t sport, uint32_t dst,
                               uint16_t dport, const std::vector<uint8_t>& payload) {
    frame f = make_frame(port, src, sport, dst, dport, payload, 0, pcap_mac[port].data());
    return {f.bytes.begin(), f.bytes.begin() + f.len};
}

uint64_t drops(const std::vector<shm::lcore_counters>& l, drop_reason r) {
    uint64_t n = 0;
    for (const auto& c : l) {
        n += c.drops[static_cast<size_t>(r)];
    }
    return n;
}

class pcap_relay : public ::testing::TestWithParam<const char*> {};

}  // namespace

TEST_P(pcap_relay, srtp_call_with_hostile_packets) {
    const std::string engine = GetParam();
    const std::string inst = unique_instance(engine == "libsrtp" ? "pl" : "pi");
    const std::string dir = "/tmp/" + inst;
    ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
    { srtp::test::ref_session init(k_phone, true); }  // libsrtp2 initialised by the reference
    srtp::test::ref_session phone_tx(k_phone, false), phone_rx(k_sbc, true);
    srtp::test::ref_session wrong(k_wrong, false);

    std::vector<std::vector<uint8_t>> in0, in1;
    std::vector<std::vector<uint8_t>> phone_rtp, pbx_rtp;
    std::vector<uint8_t> replay;
    for (int i = 0; i < call_packets; ++i) {
        auto rtp = srtp::test::make_rtp(static_cast<uint16_t>(65400 + i), ssrc_phone, 160,
                                        static_cast<uint8_t>(i));
        phone_rtp.push_back(rtp);
        ASSERT_EQ(phone_tx.protect(rtp), srtp_err_status_ok);
        if (i == 5) {
            replay = rtp;
        }
        // The softphone is behind NAT: it sends from 10.0.0.77:61000, SDP said 10.0.0.2:40000.
        in0.push_back(eth_frame(0, 0x0a00004d, 61000, access_ip, 20000, rtp));
        auto plain = srtp::test::make_rtp(static_cast<uint16_t>(1000 + i), ssrc_pbx, 160,
                                          static_cast<uint8_t>(i + 7));
        pbx_rtp.push_back(plain);
        in1.push_back(eth_frame(1, core_peer, 50000, core_ip, 30000, plain));
    }
    // SRTCP from the phone, plain RTCP from the PBX.
    auto sr = srtp::test::make_rtcp(ssrc_phone);
    const auto sr_plain = sr;
    ASSERT_EQ(phone_tx.protect_rtcp(sr), srtp_err_status_ok);
    in0.push_back(eth_frame(0, 0x0a00004d, 61001, access_ip, 20001, sr));
    const auto pbx_sr = srtp::test::make_rtcp(ssrc_pbx);
    in1.push_back(eth_frame(1, core_peer, 50001, core_ip, 30001, pbx_sr));
    // Hostile traffic.
    in0.push_back(std::vector<uint8_t>(in0[0].begin(), in0[0].begin() + 10));  // truncated
    auto v1 = phone_rtp[0];
    v1[0] = 0x40;
    in0.push_back(eth_frame(0, 0x0a00004d, 61000, access_ip, 20000, v1));  // version 1
    auto csrc = phone_rtp[0];
    csrc[0] = 0x8f;
    csrc.resize(30);
    in0.push_back(eth_frame(0, 0x0a00004d, 61000, access_ip, 20000, csrc));  // 15 CSRCs
    auto bad_rtcp = srtp::test::make_rtcp(ssrc_phone);
    bad_rtcp[3] += 3;  // lengths do not add up (inside valid SRTCP)
    ASSERT_EQ(phone_tx.protect_rtcp(bad_rtcp), srtp_err_status_ok);
    in0.push_back(eth_frame(0, 0x0a00004d, 61001, access_ip, 20001, bad_rtcp));
    auto forged = srtp::test::make_rtp(300, ssrc_phone, 160);  // a fresh index: auth decides
    ASSERT_EQ(wrong.protect(forged), srtp_err_status_ok);
    in0.push_back(eth_frame(0, 0x0a000066, 5000, access_ip, 20000, forged));   // wrong key
    in0.push_back(eth_frame(0, 0x0a000066, 5000, access_ip, 20000, replay));   // replay, other src
    in0.push_back(eth_frame(0, 0x0a00004d, 61000, access_ip, 24000, replay));  // no flow
    in1.push_back(eth_frame(1, 0xc0a80163, 50000, core_ip, 30000, pbx_rtp[0]));  // unlatched
    ASSERT_TRUE(write_pcap(dir + "/in0.pcap", in0));
    ASSERT_TRUE(write_pcap(dir + "/in1.pcap", in1));

    dp_process proc;
    auto args = base_args(inst);
    args.insert(
        args.end(),
        {"--hold-rx", "--srtp-engine", engine, "--vdev",
         "net_pcap0,rx_pcap=" + dir + "/in0.pcap,tx_pcap=" + dir + "/out0.pcap", "--vdev",
         "net_pcap1,rx_pcap=" + dir + "/in1.pcap,tx_pcap=" + dir + "/out1.pcap", "--media",
         "0,10.0.0.1/24", "--media", "1,192.168.1.1/24", "--neighbour",
         "0,10.0.0.77,02:00:00:00:00:4d", "--neighbour", "1,192.168.1.2,02:00:00:00:01:02"});
    ASSERT_TRUE(proc.start(args, dir + "/dataplane.log"));
    cp::dataplane_client c;
    auto st = c.attach_with_retry(inst, {5ms, 100ms, 20s});
    ASSERT_TRUE(st) << st.message << proc.log();

    auto a = make_leg(0, access_ip, 20000, 1, core_ip, 30000, access_peer, 40000,
                      shm::media_protocol::srtp);
    a.rx = k_phone;
    a.tx = k_sbc;
    auto b = make_leg(1, core_ip, 30000, 0, access_ip, 20000, core_peer, 50000,
                      shm::media_protocol::rtp);
    for (const auto& leg : {a, b}) {
        auto r = c.flow_add(leg);
        ASSERT_TRUE(r.ok());
        auto ev = c.wait_for(r.seq, 5s);
        ASSERT_TRUE(ev.has_value());
        ASSERT_EQ(ev->raw.type, shm::event_type::ack) << ev->nack_text();
    }
    ASSERT_TRUE(c.rx_start().ok());
    const uint64_t total = in0.size() + in1.size();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    uint64_t rx = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        rx = 0;
        for (const auto& l : c.lcores()) {
            rx += l.rx_packets;
        }
        if (rx >= total) {
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_EQ(rx, total) << proc.log();
    // A worker counts a burst's rx_packets after it ran the path and transmitted it, so the
    // counters are final; the latch event still goes worker -> main lcore -> event ring.
    const auto lc = c.lcores();
    const auto fa = c.flow_counters(a.key);
    const auto fb = c.flow_counters(b.key);
    bool latched = false;
    const auto event_deadline = std::chrono::steady_clock::now() + 10s;
    while (!latched && std::chrono::steady_clock::now() < event_deadline) {
        for (const auto& e : c.poll_events()) {
            if (e.raw.type == shm::event_type::latched && e.raw.key == a.key) {
                latched =
                    shm::ipv4_value(e.raw.addr.addr) == 0x0a00004d && e.raw.addr.port == 61000;
            }
        }
        if (!latched) {
            std::this_thread::sleep_for(1ms);
        }
    }
    EXPECT_TRUE(latched);
    c.detach();
    ASSERT_EQ(proc.stop(), 0) << proc.log();

    EXPECT_EQ(drops(lc, drop_reason::bad_header), 1u);
    EXPECT_EQ(drops(lc, drop_reason::bad_rtp), 2u);
    EXPECT_EQ(drops(lc, drop_reason::bad_rtcp), 1u);
    EXPECT_EQ(drops(lc, drop_reason::auth_fail), 1u);
    EXPECT_EQ(drops(lc, drop_reason::replay), 1u);
    EXPECT_EQ(drops(lc, drop_reason::no_flow), 1u);
    EXPECT_EQ(drops(lc, drop_reason::unlatched_source), 1u);
    ASSERT_TRUE(fa.has_value());
    ASSERT_TRUE(fb.has_value());
    EXPECT_EQ(fa->fwd_packets, uint64_t(call_packets));
    EXPECT_EQ(fb->fwd_packets, uint64_t(call_packets));
    EXPECT_EQ(fa->rtcp_fwd_packets, 1u);
    EXPECT_EQ(fb->rtcp_fwd_packets, 1u);

    // Core side out: plain RTP equal to what the phone encrypted, then the RTCP.
    auto out1 = read_pcap(dir + "/out1.pcap");
    auto out0 = read_pcap(dir + "/out0.pcap");
    // The access leg's SDP peer (10.0.0.2) was not a known neighbour: installing the flow asked
    // for it once. The NATed client latched from 10.0.0.77 is reached without asking.
    std::vector<std::vector<uint8_t>> arp0;
    std::erase_if(out0, [&](const std::vector<uint8_t>& fr) {
        if (fr.size() >= 42 && wire::load16(fr.data() + 12) == wire::ethertype_arp) {
            arp0.push_back(fr);
            return true;
        }
        return false;
    });
    ASSERT_EQ(arp0.size(), 1u);
    EXPECT_EQ(wire::load16(arp0[0].data() + 14 + wire::arp_oper), wire::arp_request);
    EXPECT_EQ(wire::load32(arp0[0].data() + 14 + wire::arp_spa), access_ip);
    EXPECT_EQ(wire::load32(arp0[0].data() + 14 + wire::arp_tpa), access_peer);
    ASSERT_EQ(out1.size(), size_t(call_packets + 1));
    ASSERT_EQ(out0.size(), size_t(call_packets + 1));
    size_t rtp_seen = 0, rtcp_seen = 0;
    for (auto& fr : out1) {
        dp::pkt_desc d{
            fr.data(), static_cast<uint16_t>(fr.size()), 0, 1, 0, dp::verdict::transmit, 0, 0};
        EXPECT_TRUE(wire::ipv4_cksum_ok(fr.data() + 14, 20));
        EXPECT_EQ(wire::load32(fr.data() + 14 + 16), core_peer);
        const uint16_t dport = wire::load16(fr.data() + 34 + 2);
        auto p = payload_of(d);
        if (dport == 50000) {
            ASSERT_LT(rtp_seen, phone_rtp.size());
            EXPECT_EQ(p, phone_rtp[rtp_seen]) << rtp_seen;
            ++rtp_seen;
        } else {
            EXPECT_EQ(dport, 50001);
            EXPECT_EQ(p, sr_plain);
            ++rtcp_seen;
        }
    }
    EXPECT_EQ(rtp_seen, size_t(call_packets));
    EXPECT_EQ(rtcp_seen, 1u);
    // Access side out: SRTP to the latched NAT address, decrypts to the PBX's RTP.
    rtp_seen = rtcp_seen = 0;
    for (auto& fr : out0) {
        dp::pkt_desc d{
            fr.data(), static_cast<uint16_t>(fr.size()), 0, 0, 0, dp::verdict::transmit, 0, 0};
        EXPECT_EQ(wire::load32(fr.data() + 14 + 16), 0x0a00004du);
        const uint16_t dport = wire::load16(fr.data() + 34 + 2);
        auto p = payload_of(d);
        if (dport == 61000) {
            ASSERT_EQ(phone_rx.unprotect(p), srtp_err_status_ok) << rtp_seen;
            ASSERT_LT(rtp_seen, pbx_rtp.size());
            EXPECT_EQ(p, pbx_rtp[rtp_seen]);
            ++rtp_seen;
        } else {
            EXPECT_EQ(dport, 61001);
            ASSERT_EQ(phone_rx.unprotect_rtcp(p), srtp_err_status_ok);
            EXPECT_EQ(p, pbx_sr);
            ++rtcp_seen;
        }
    }
    EXPECT_EQ(rtp_seen, size_t(call_packets));
    EXPECT_EQ(rtcp_seen, 1u);
    EXPECT_FALSE(path_exists("/dev/shm/sbc-" + inst));
    system(("rm -rf " + dir).c_str());
}

INSTANTIATE_TEST_SUITE_P(engines, pcap_relay, ::testing::Values("ipsec-mb", "libsrtp"),
                         [](const auto& i) {
                             return std::string(i.param) == "libsrtp" ? std::string("libsrtp")
                                                                      : std::string("ipsecmb");
                         });
