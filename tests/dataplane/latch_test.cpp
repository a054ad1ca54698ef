// Latching rules, key roll and flow_update through the packet path (plain buffers).

#include <gtest/gtest.h>

#include "tests/dataplane/srtp/srtp_test_util.hpp"
#include "tests/dataplane/support/path_harness.hpp"

using namespace sbc;
using namespace sbc::test;
using dp::verdict;
using shm::drop_reason;
using shm::media_protocol;

namespace {

const shm::srtp_key k1 = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 11);
const shm::srtp_key k2 = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 12);
const shm::srtp_key k_tx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 13);
const shm::srtp_key k_tx2 = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 14);
const bool libsrtp_ready = [] {
    srtp::test::ref_session s(k1, true);
    return true;
}();
constexpr uint32_t ssrc = 0xabcdef01;

class latching : public ::testing::Test {
  protected:
    void install(media_protocol a_proto) {
        a = make_leg(0, access_ip, 20000, 1, core_ip, 30000, access_peer, 40000, a_proto);
        b = make_leg(1, core_ip, 30000, 0, access_ip, 20000, core_peer, 50000, media_protocol::rtp);
        if (a_proto == media_protocol::srtp) {
            a.rx = k1;
            a.tx = k_tx;
        }
        ASSERT_EQ(h.add(a).type, shm::event_type::ack);
        slot_a = h.replies.back().slot;
        ASSERT_EQ(h.add(b).type, shm::event_type::ack);
    }
    dp::pkt_desc send(const std::vector<uint8_t>& payload, uint32_t src_ip, uint16_t sport) {
        h.now += 20'000'000;  // 20 ms
        return h.run1(make_frame(0, src_ip, sport, access_ip, 20000, payload));
    }
    std::vector<shm::event> events(shm::event_type t) {
        std::vector<shm::event> out;
        for (auto& e : h.notices()) {
            if (e.type == t) {
                out.push_back(e);
            }
        }
        return out;
    }
    uint64_t latch() { return h.tables().legs[slot_a].latch.load(); }

    harness h;
    shm::flow_spec a{}, b{};
    uint32_t slot_a = 0;
};

}  // namespace

TEST_F(latching, srtp_latch_moves_only_on_authenticated_packets) {
    install(media_protocol::srtp);
    srtp::test::ref_session peer(k1, false);
    auto p1 = srtp::test::make_rtp(1, ssrc, 160);
    ASSERT_EQ(peer.protect(p1), srtp_err_status_ok);
    // A NATed client: its first packet arrives from an address nobody told us about.
    EXPECT_EQ(send(p1, 0x0a000077, 61000).v, verdict::transmit);
    EXPECT_EQ(latch(), dp::pack_latch(0x0a000077, 61000));
    auto ev = events(shm::event_type::latched);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(shm::ipv4_value(ev[0].addr.addr), 0x0a000077u);
    EXPECT_EQ(ev[0].addr.port, 61000);
    EXPECT_EQ(ev[0].cookie, 20000u);

    // An attacker sends a forged packet and a replay from elsewhere: no latch move (no RTP bleed).
    auto forged = srtp::test::make_rtp(2, ssrc, 160);
    ASSERT_EQ(srtp::test::ref_session(k2, false).protect(forged), srtp_err_status_ok);
    EXPECT_EQ(send(forged, 0x0a000066, 5000).drop, uint8_t(drop_reason::auth_fail));
    EXPECT_EQ(send(p1, 0x0a000066, 5000).drop, uint8_t(drop_reason::replay));
    EXPECT_EQ(latch(), dp::pack_latch(0x0a000077, 61000));
    EXPECT_TRUE(events(shm::event_type::latched).empty());

    // The client roams: its next authenticated packet moves the latch.
    auto p3 = srtp::test::make_rtp(3, ssrc, 160);
    ASSERT_EQ(peer.protect(p3), srtp_err_status_ok);
    EXPECT_EQ(send(p3, 0x0a000088, 62000).v, verdict::transmit);
    EXPECT_EQ(latch(), dp::pack_latch(0x0a000088, 62000));
    EXPECT_EQ(events(shm::event_type::latched).size(), 1u);
    // Return traffic goes to the latched address (the harness does not apply the neighbour
    // notice the latch produced, so first: an ARP request for it).
    auto arp = h.run1(
        make_frame(1, core_peer, 50000, core_ip, 30000, srtp::test::make_rtp(8, 0x9999, 160)));
    EXPECT_EQ(arp.drop, uint8_t(drop_reason::no_neighbour));
    EXPECT_EQ(dp::wire::load16(arp.data + 12), dp::wire::ethertype_arp);
    shm::command n{};
    n.type = shm::command_type::neigh_set;
    n.neigh.dpdk_port = 0;
    n.neigh.addr = shm::ipv4(0x0a000088);
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x88};
    std::memcpy(n.neigh.mac, mac, 6);
    ASSERT_EQ(h.command(n).type, shm::event_type::ack);
    auto back = h.run1(
        make_frame(1, core_peer, 50000, core_ip, 30000, srtp::test::make_rtp(9, 0x9999, 160)));
    ASSERT_EQ(back.v, verdict::transmit);
    EXPECT_EQ(dp::wire::load32(back.data + 14 + 16), 0x0a000088u);
    EXPECT_EQ(dp::wire::load16(back.data + 34 + 2), 62000);
}

TEST_F(latching, auth_failure_bursts_are_reported_rate_limited) {
    install(media_protocol::srtp);
    auto forged = srtp::test::make_rtp(2, ssrc, 160);
    ASSERT_EQ(srtp::test::ref_session(k2, false).protect(forged), srtp_err_status_ok);
    for (int i = 0; i < 20; ++i) {
        h.now += 1'000'000;  // 1 ms apart: 20 failures inside one second
        h.run1(make_frame(0, 0x0a000066, 5000, access_ip, 20000, forged));
    }
    auto ev = events(shm::event_type::auth_fail_burst);
    ASSERT_EQ(ev.size(), 1u);  // the first; the rest wait for the interval
    EXPECT_EQ(shm::ipv4_value(ev[0].addr.addr), 0x0a000066u);
    h.now += 2'000'000'000;
    h.run1(make_frame(0, 0x0a000066, 5000, access_ip, 20000, forged));
    ev = events(shm::event_type::auth_fail_burst);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].count, 20u);  // 19 held back + this one
    EXPECT_EQ(h.drops(drop_reason::auth_fail), 21u);
}

TEST_F(latching, rtp_leg_rules_r1_r2_r3) {
    install(media_protocol::rtp);
    // R1: the SDP address, any port (NAT), latches; another address is refused.
    EXPECT_EQ(send(srtp::test::make_rtp(1, ssrc, 160), 0x0a000099, 40000).drop,
              uint8_t(drop_reason::unlatched_source));
    EXPECT_EQ(send(srtp::test::make_rtp(1, ssrc, 160), access_peer, 41234).v, verdict::transmit);
    EXPECT_EQ(latch(), dp::pack_latch(access_peer, 41234));
    // R2: while the latch is alive nobody else gets in, even with the right SSRC.
    EXPECT_EQ(send(srtp::test::make_rtp(2, ssrc, 160), 0x0a000099, 40000).drop,
              uint8_t(drop_reason::unlatched_source));
    // After relatch_idle_ms of silence, the same SSRC from elsewhere takes over...
    h.now += 3'000'000'000;
    EXPECT_EQ(send(srtp::test::make_rtp(3, 0x0bad0bad, 160), 0x0a000099, 40000).drop,
              uint8_t(drop_reason::unlatched_source));  // ...but not another SSRC
    EXPECT_EQ(send(srtp::test::make_rtp(3, ssrc, 160), 0x0a000099, 40000).v, verdict::transmit);
    EXPECT_EQ(latch(), dp::pack_latch(0x0a000099, 40000));
    // R3: a new SDP address starts over.
    auto moved = a;
    moved.peer = shm::make_endpoint(shm::ipv4(0x0a000042), 42000);
    ASSERT_EQ(h.update(moved).type, shm::event_type::ack);
    EXPECT_EQ(send(srtp::test::make_rtp(4, ssrc, 160), 0x0a000099, 40000).drop,
              uint8_t(drop_reason::unlatched_source));
    EXPECT_EQ(send(srtp::test::make_rtp(5, ssrc, 160), 0x0a000042, 42000).v, verdict::transmit);
}

TEST_F(latching, fixed_policy_accepts_only_the_sdp_endpoint) {
    a = make_leg(0, access_ip, 20000, 1, core_ip, 30000, access_peer, 40000, media_protocol::rtp);
    a.latch = shm::latch_policy::fixed;
    b = make_leg(1, core_ip, 30000, 0, access_ip, 20000, core_peer, 50000, media_protocol::rtp);
    ASSERT_EQ(h.add(a).type, shm::event_type::ack);
    ASSERT_EQ(h.add(b).type, shm::event_type::ack);
    EXPECT_EQ(send(srtp::test::make_rtp(1, ssrc, 160), access_peer, 40001).drop,
              uint8_t(drop_reason::unlatched_source));
    EXPECT_EQ(send(srtp::test::make_rtp(1, ssrc, 160), access_peer, 40000).v, verdict::transmit);
    h.now += 10'000'000'000;
    EXPECT_EQ(send(srtp::test::make_rtp(2, ssrc, 160), access_peer, 40002).drop,
              uint8_t(drop_reason::unlatched_source));
}

TEST_F(latching, rx_key_roll_keeps_the_old_key_until_the_new_one_authenticates) {
    install(media_protocol::srtp);
    srtp::test::ref_session old_key(k1, false);
    srtp::test::ref_session new_key(k2, false);
    // Both sessions share the peer's index space: same SSRC, sequence continues.
    auto send_with = [&](srtp::test::ref_session& s, uint16_t seq) {
        auto p = srtp::test::make_rtp(seq, ssrc, 160);
        EXPECT_EQ(s.protect(p), srtp_err_status_ok);
        return send(p, access_peer, 40000);
    };
    for (uint16_t seq = 1; seq <= 5; ++seq) {
        EXPECT_EQ(send_with(old_key, seq).v, verdict::transmit);
    }
    ASSERT_EQ(h.roll(a.key, shm::key_direction::rx, k2).type, shm::event_type::ack);
    // In flight under the old key: still accepted.
    EXPECT_EQ(send_with(old_key, 6).v, verdict::transmit);
    EXPECT_EQ(send_with(old_key, 7).v, verdict::transmit);
    EXPECT_TRUE(events(shm::event_type::key_switched).empty());
    // First packet under the new key switches.
    EXPECT_EQ(send_with(new_key, 10).v, verdict::transmit);
    EXPECT_EQ(events(shm::event_type::key_switched).size(), 1u);
    // A late old-key packet older than the switch is still fine; a newer one is not.
    EXPECT_EQ(send_with(old_key, 8).v, verdict::transmit);
    EXPECT_EQ(send_with(old_key, 11).drop, uint8_t(drop_reason::auth_fail));
    EXPECT_EQ(send_with(new_key, 12).v, verdict::transmit);
}

TEST_F(latching, tx_key_roll_switches_at_once_and_keeps_the_roc) {
    // Core RTP -> access SRTP; the SBC's own key is re-keyed by a re-INVITE.
    install(media_protocol::srtp);
    srtp::test::ref_session rx1(k_tx, true);
    auto from_core = [&](uint16_t seq) {
        h.now += 20'000'000;
        return h.run1(make_frame(1, core_peer, 50000, core_ip, 30000,
                                 srtp::test::make_rtp(seq, 0x7777, 160)));
    };
    for (uint16_t seq = 65533; seq != 2; ++seq) {  // wraps: ROC 1
        auto d = from_core(seq);
        ASSERT_EQ(d.v, verdict::transmit);
        auto out = payload_of(d);
        ASSERT_EQ(rx1.unprotect(out), srtp_err_status_ok) << seq;
    }
    ASSERT_EQ(h.roll(a.key, shm::key_direction::tx, k_tx2).type, shm::event_type::ack);
    // The peer's new session must start at the same ROC: give libsrtp the index it is at.
    srtp::test::ref_session rx2(k_tx2, true);
    ASSERT_EQ(srtp_set_stream_roc(rx2.get(), 0x7777, 1), srtp_err_status_bad_param)
        << "libsrtp has no stream before the first packet";
    auto d = from_core(2);
    ASSERT_EQ(d.v, verdict::transmit);
    auto out = payload_of(d);
    auto probe = out;
    EXPECT_NE(rx1.unprotect(probe), srtp_err_status_ok);  // not the old key any more
    EXPECT_EQ(h.tables().tx_stream(slot_a)->roc(), 1u);
}

TEST_F(latching, update_with_the_same_key_and_ssrc_keeps_roc_and_replay_state) {
    install(media_protocol::srtp);
    srtp::test::ref_session peer(k1, false);
    std::vector<std::vector<uint8_t>> sent;
    for (uint16_t seq = 65530; seq != 3; ++seq) {
        auto p = srtp::test::make_rtp(seq, ssrc, 160);
        ASSERT_EQ(peer.protect(p), srtp_err_status_ok);
        sent.push_back(p);
        ASSERT_EQ(send(p, access_peer, 40000).v, verdict::transmit) << seq;
    }
    // Re-INVITE (session refresh, hold/resume): same key, new peer port, new cookie.
    auto refresh = a;
    refresh.peer.port = 40010;
    refresh.cookie = 999;
    ASSERT_EQ(h.update(refresh).type, shm::event_type::ack);
    auto resumed = refresh;
    resumed.media_flags = shm::media_flag::hold;
    ASSERT_EQ(h.update(resumed).type, shm::event_type::ack);
    ASSERT_EQ(h.update(refresh).type, shm::event_type::ack);
    EXPECT_EQ(h.tables().rx_stream(slot_a)->roc(), 1u);
    // Replays from before the update are still refused; new packets (ROC 1) pass.
    EXPECT_EQ(send(sent.back(), access_peer, 40000).drop, uint8_t(drop_reason::replay));
    auto p = srtp::test::make_rtp(3, ssrc, 160);
    ASSERT_EQ(peer.protect(p), srtp_err_status_ok);
    EXPECT_EQ(send(p, access_peer, 40000).v, verdict::transmit);
    // The local port never changed: the flow is still found under its key.
    EXPECT_EQ(h.control().slot_of(a.key), slot_a);
}

TEST_F(latching, ssrc_change_on_an_rtp_leg_is_reported) {
    install(media_protocol::rtp);
    EXPECT_EQ(send(srtp::test::make_rtp(1, ssrc, 160), access_peer, 40000).v, verdict::transmit);
    EXPECT_TRUE(events(shm::event_type::ssrc_changed).empty());
    EXPECT_EQ(send(srtp::test::make_rtp(1, 0x12121212, 160), access_peer, 40000).v,
              verdict::transmit);
    auto ev = events(shm::event_type::ssrc_changed);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].ssrc, 0x12121212u);
}

TEST_F(latching, idle_flows_are_reported_once_per_silence) {
    a = make_leg(0, access_ip, 20000, 1, core_ip, 30000, access_peer, 40000, media_protocol::rtp);
    a.idle_timeout_ms = 1000;
    ASSERT_EQ(h.add(a).type, shm::event_type::ack);
    h.replies.clear();
    h.now += 500'000'000;
    h.control().sweep_idle(h.now);
    EXPECT_TRUE(h.replies.empty());
    h.now += 600'000'000;
    h.control().sweep_idle(h.now);
    ASSERT_EQ(h.replies.size(), 1u);
    EXPECT_EQ(h.replies[0].type, shm::event_type::flow_idle);
    EXPECT_GE(h.replies[0].count, 1000u);
    h.control().sweep_idle(h.now + 1);
    EXPECT_EQ(h.replies.size(), 1u);
}
