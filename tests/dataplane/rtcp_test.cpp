// RTCP: compound validation and generation for a silent side (RFC 3550).

#include "dataplane/core/rtcp.hpp"

#include <gtest/gtest.h>

#include "dataplane/core/headers.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"
#include "tests/dataplane/support/path_harness.hpp"

using namespace sbc;
using namespace sbc::test;
using shm::media_protocol;
namespace wire = dp::wire;

namespace {
const shm::srtp_key k_rx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 21);
const shm::srtp_key k_tx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 22);
const bool libsrtp_ready = [] {
    srtp::test::ref_session s(k_rx, true);
    return true;
}();
}  // namespace

TEST(rtcp_valid, accepts_compounds_and_refuses_bad_lengths) {
    auto sr = srtp::test::make_rtcp(1);
    EXPECT_TRUE(dp::rtcp_valid(sr.data(), static_cast<uint16_t>(sr.size())));
    auto two = sr;
    two.insert(two.end(), sr.begin(), sr.end());
    EXPECT_TRUE(dp::rtcp_valid(two.data(), static_cast<uint16_t>(two.size())));
    auto longer = sr;
    longer[3] += 1;  // says one word more than there is
    EXPECT_FALSE(dp::rtcp_valid(longer.data(), static_cast<uint16_t>(longer.size())));
    auto shorter = sr;
    shorter[3] -= 1;  // leaves trailing bytes
    EXPECT_FALSE(dp::rtcp_valid(shorter.data(), static_cast<uint16_t>(shorter.size())));
    auto v1 = sr;
    v1[0] = 0x40;
    EXPECT_FALSE(dp::rtcp_valid(v1.data(), static_cast<uint16_t>(v1.size())));
    auto pt = sr;
    pt[1] = 100;
    EXPECT_FALSE(dp::rtcp_valid(pt.data(), static_cast<uint16_t>(pt.size())));
    auto pad_first = two;
    pad_first[0] |= 0x20;  // padding bit on a packet that is not the last
    EXPECT_FALSE(dp::rtcp_valid(pad_first.data(), static_cast<uint16_t>(pad_first.size())));
    EXPECT_FALSE(dp::rtcp_valid(sr.data(), 4));
}

TEST(rtcp_generation, silent_side_gets_sr_with_report_block_as_srtcp) {
    harness h;
    // A: core RTP leg (the PBX never sends RTCP). X: access SRTP leg that wants generation.
    auto a =
        make_leg(1, core_ip, 30000, 0, access_ip, 20000, core_peer, 50000, media_protocol::rtp);
    auto x =
        make_leg(0, access_ip, 20000, 1, core_ip, 30000, access_peer, 40000, media_protocol::srtp);
    x.rx = k_rx;
    x.tx = k_tx;
    x.rtcp = shm::rtcp_mode::generate;
    x.rtcp_generation_timeout_ms = 1000;
    ASSERT_EQ(h.add(a).type, shm::event_type::ack);
    ASSERT_EQ(h.add(x).type, shm::event_type::ack);
    srtp::test::ref_session peer_tx(k_rx, false), peer_rx(k_tx, true);
    // 50 packets each way over one second.
    for (uint16_t i = 0; i < 50; ++i) {
        h.now += 20'000'000;
        auto d = h.run1(
            make_frame(1, core_peer, 50000, core_ip, 30000,
                       srtp::test::make_rtp(static_cast<uint16_t>(100 + i), 0xa0a0a0a0, 160)));
        ASSERT_EQ(d.v, dp::verdict::transmit);
        auto out = payload_of(d);
        ASSERT_EQ(peer_rx.unprotect(out), srtp_err_status_ok);
        if (i == 10) {
            continue;  // one packet from the softphone lost
        }
        auto p = srtp::test::make_rtp(static_cast<uint16_t>(500 + i), 0xb0b0b0b0, 160);
        ASSERT_EQ(peer_tx.protect(p), srtp_err_status_ok);
        ASSERT_EQ(h.run1(make_frame(0, access_peer, 40000, access_ip, 20000, p)).v,
                  dp::verdict::transmit);
    }
    h.now += 200'000'000;
    std::vector<uint8_t> mem(2048);
    dp::pkt_desc buf{mem.data(), 0, 2048, 0, 0, dp::verdict::consumed, 0, 0};
    ASSERT_EQ(h.path().generate_rtcp(&buf, 1, h.now), 1u);
    ASSERT_EQ(buf.v, dp::verdict::transmit);
    EXPECT_EQ(buf.port, 0);
    const uint8_t* ip = buf.data + wire::eth_len;
    EXPECT_TRUE(wire::ipv4_cksum_ok(ip, 20));
    EXPECT_EQ(wire::load32(ip + wire::ip_dst), access_peer);
    EXPECT_EQ(wire::load16(ip + 20 + wire::udp_sport), 20001);
    EXPECT_EQ(wire::load16(ip + 20 + wire::udp_dport), 40001);
    auto rtcp = payload_of(buf);
    ASSERT_EQ(peer_rx.unprotect_rtcp(rtcp), srtp_err_status_ok);
    ASSERT_TRUE(dp::rtcp_valid(rtcp.data(), static_cast<uint16_t>(rtcp.size())));
    EXPECT_EQ(rtcp[1], wire::rtcp_sr);
    EXPECT_EQ(rtcp[0] & 0x1f, 1);                           // one report block
    EXPECT_EQ(wire::load32(rtcp.data() + 4), 0xa0a0a0a0u);  // the PBX's stream
    EXPECT_EQ(wire::load32(rtcp.data() + 20), 50u);         // sender packet count
    EXPECT_EQ(wire::load32(rtcp.data() + 24), 50u * 160);   // sender octet count
    const uint8_t* block = rtcp.data() + 28;
    EXPECT_EQ(wire::load32(block), 0xb0b0b0b0u);        // about the softphone's stream
    EXPECT_EQ(wire::load32(block + 4) & 0xffffff, 1u);  // one lost
    EXPECT_EQ(wire::load32(block + 8), 549u);           // highest sequence
    const uint8_t* sdes = rtcp.data() + 52;
    EXPECT_EQ(sdes[1], wire::rtcp_sdes);
    EXPECT_EQ(sdes[8], 1);  // CNAME
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(sdes + 10), sdes[9]), "sbc@10.0.0.1");
    // Not again before the interval; and not while the side sends RTCP itself.
    buf = dp::pkt_desc{mem.data(), 0, 2048, 0, 0, dp::verdict::consumed, 0, 0};
    h.now += 2'000'000;
    EXPECT_EQ(h.path().generate_rtcp(&buf, 1, h.now), 0u);
    h.now += 1'500'000'000;
    h.run1(make_frame(1, core_peer, 50001, core_ip, 30001, srtp::test::make_rtcp(0xa0a0a0a0)));
    h.now += 500'000'000;
    for (int i = 0; i < 10; ++i) {
        h.now += 2'000'000;
        EXPECT_EQ(h.path().generate_rtcp(&buf, 1, h.now), 0u);
    }
}
