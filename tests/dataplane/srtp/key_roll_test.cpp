// Key roll semantics (DESIGN: "a new key is installed without losing a packet of the old one
// in flight"): the old key stays valid until the first packet authenticates under the new one,
// then only for packets older than that one; ROC and replay state carry over; a repeated key
// changes nothing (rtpengine #1443/#209 must not happen here).

#include <gtest/gtest.h>

#include "tests/dataplane/srtp/srtp_test_util.hpp"

namespace sbc::srtp::test {
namespace {

constexpr auto suite80 = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
constexpr uint32_t ssrc = 0xabcd;

class KeyRoll : public testing::TestWithParam<engine_kind> {
  protected:
    KeyRoll() : e(GetParam()), rx(direction::inbound) {}

    // Our own sender (tx stream) so that a roll can carry the ROC on the sending side too.
    struct sender {
        stream tx{direction::outbound};
        std::vector<uint8_t> send(engine& eng, uint16_t seq) {
            buf out(make_rtp(seq, ssrc, 80, static_cast<uint8_t>(seq)));
            EXPECT_EQ(run1(protect_rtp, eng, tx, out), status::ok) << seq;
            return out.view();
        }
    };

    void roll_after_wrap(uint16_t roll_at);

    status recv(const std::vector<uint8_t>& w, uint8_t* ev = nullptr) {
        buf in(w);
        return run1(unprotect_rtp, e, rx, in, ev);
    }

    shm::srtp_key a = make_key(suite80, 1);
    shm::srtp_key b = make_key(suite80, 2);
    shm::srtp_key c = make_key(suite80, 3);
    engine e;
    stream rx;
};

TEST_P(KeyRoll, RepeatedKeyChangesNothing) {
    sender s;
    ASSERT_EQ(s.tx.set_key(a, GetParam()), key_error::none);
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);
    for (uint16_t q : {65534, 65535, 0, 1}) {
        ASSERT_EQ(recv(s.send(e, q)), status::ok);
    }
    const key_set* before = rx.current_key();
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);  // re-INVITE with the same a=crypto
    key_error err{};
    rx.install(make_key_set(a, direction::inbound, GetParam(), err));
    ASSERT_EQ(s.tx.set_key(a, GetParam()), key_error::none);
    EXPECT_EQ(rx.current_key(), before);
    EXPECT_FALSE(rx.key_pending());
    EXPECT_EQ(rx.roc(), 1u);
    EXPECT_EQ(s.tx.roc(), 1u);
    EXPECT_EQ(recv(s.send(e, 2)), status::ok);
}

TEST_P(KeyRoll, OldKeyValidUntilFirstPacketUnderTheNewOne) {
    ref_session peer_a(a, false);
    ref_session peer_b(b, false);
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);
    auto wa = [&](uint16_t q) {
        auto p = make_rtp(q, ssrc, 80);
        EXPECT_EQ(peer_a.protect(p), srtp_err_status_ok);
        return p;
    };
    auto wb = [&](uint16_t q) {
        auto p = make_rtp(q, ssrc, 80);
        EXPECT_EQ(peer_b.protect(p), srtp_err_status_ok);
        return p;
    };
    std::vector<std::vector<uint8_t>> old_packets;
    for (uint16_t q = 10; q < 20; ++q) {
        old_packets.push_back(wa(q));
    }
    ASSERT_EQ(recv(old_packets[0]), status::ok);  // 10
    ASSERT_EQ(rx.set_key(b, GetParam()), key_error::none);
    EXPECT_TRUE(rx.key_pending());
    ASSERT_EQ(recv(old_packets[1]), status::ok);  // 11, old key still good
    ASSERT_EQ(recv(old_packets[2]), status::ok);  // 12
    EXPECT_TRUE(rx.key_pending());
    // 13 and 14 under the old key are still in flight; the peer switches at 15.
    uint8_t ev = 0;
    ASSERT_EQ(recv(wb(15), &ev), status::ok);
    EXPECT_EQ(ev, key_switched);
    EXPECT_FALSE(rx.key_pending());
    EXPECT_TRUE(rx.key_retiring());
    EXPECT_EQ(recv(old_packets[4]), status::ok);         // 14 arrives late: older than 15, accepted
    EXPECT_EQ(recv(old_packets[3]), status::ok);         // 13
    EXPECT_EQ(recv(old_packets[6]), status::auth_fail);  // 16 under the old key: refused
    EXPECT_EQ(recv(wb(16)), status::ok);
    EXPECT_EQ(recv(old_packets[3]), status::replay);
}

TEST_P(KeyRoll, NoPacketLostInABurstThatCrossesTheRoll) {
    ref_session peer_a(a, false);
    ref_session peer_b(b, false);
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);
    auto w = [&](ref_session& p, uint16_t q) {
        auto x = make_rtp(q, ssrc, 80);
        EXPECT_EQ(p.protect(x), srtp_err_status_ok);
        return x;
    };
    ASSERT_EQ(recv(w(peer_a, 100)), status::ok);
    ASSERT_EQ(rx.set_key(b, GetParam()), key_error::none);
    // One burst, reordered across the roll: A101 B103 A102 B104 B105.
    std::vector<buf> bufs;
    auto a101 = w(peer_a, 101);
    auto a102 = w(peer_a, 102);
    auto b103 = w(peer_b, 103);
    auto b104 = w(peer_b, 104);
    auto b105 = w(peer_b, 105);
    for (auto* x : {&a101, &b103, &a102, &b104, &b105}) {
        bufs.emplace_back(*x);
    }
    std::vector<packet> pk;
    pk.reserve(bufs.size());
    for (auto& bb : bufs) {
        pk.push_back(bb.pkt(rx));
    }
    EXPECT_EQ(unprotect_rtp(e, pk.data(), static_cast<uint16_t>(pk.size())), 5);
    for (auto& p : pk) {
        EXPECT_EQ(p.result, status::ok);
    }
    EXPECT_EQ(pk[1].events, key_switched);
    EXPECT_EQ(rx.highest_seq(), 105);
}

// Sends from 65530 (ROC 0) up to `roll_at` (ROC 1), holds the last two back, rolls both sides
// and checks the new key continues at ROC 1 while the two late old-key packets still pass.
void KeyRoll::roll_after_wrap(uint16_t roll_at) {
    sender s;
    ASSERT_EQ(s.tx.set_key(a, GetParam()), key_error::none);
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);
    std::vector<std::vector<uint8_t>> sent;
    for (uint32_t q = 65530; q < 65536u + roll_at; ++q) {
        sent.push_back(s.send(e, static_cast<uint16_t>(q)));
    }
    for (size_t i = 0; i + 2 < sent.size(); ++i) {  // the last two are still in flight
        ASSERT_EQ(recv(sent[i]), status::ok) << i;
    }
    EXPECT_EQ(rx.roc(), 1u);
    // Both sides roll: our sender switches at once and keeps its ROC; the receiver waits.
    ASSERT_EQ(s.tx.set_key(b, GetParam()), key_error::none);
    ASSERT_EQ(rx.set_key(b, GetParam()), key_error::none);
    EXPECT_EQ(s.tx.roc(), 1u);
    uint8_t ev = 0;
    ASSERT_EQ(recv(s.send(e, roll_at), &ev), status::ok);  // first under the new key, ROC 1
    EXPECT_EQ(ev, key_switched);
    ASSERT_EQ(recv(sent[sent.size() - 2]), status::ok);  // late, old key
    ASSERT_EQ(recv(sent[sent.size() - 1]), status::ok);
    EXPECT_EQ(rx.roc(), 1u);
    EXPECT_EQ(recv(s.send(e, static_cast<uint16_t>(roll_at + 1))), status::ok);
    // The sender did not restart at ROC 0 under the new key: a receiver that starts from
    // scratch (ROC 0) cannot authenticate its packets.
    ref_session fresh_b(b, true);
    auto w = s.send(e, static_cast<uint16_t>(roll_at + 2));
    EXPECT_EQ(fresh_b.unprotect(w), srtp_err_status_auth_fail);
}

TEST_P(KeyRoll, RocCarriesAcrossTheRollLowSequence) {
    roll_after_wrap(1000);
}
TEST_P(KeyRoll, RocCarriesAcrossTheRollHighSequence) {
    roll_after_wrap(40000);
}

TEST_P(KeyRoll, NewerOfferReplacesThePendingKey) {
    ref_session peer_b(b, false);
    ref_session peer_c(c, false);
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);
    ASSERT_EQ(rx.set_key(b, GetParam()), key_error::none);
    ASSERT_EQ(rx.set_key(c, GetParam()), key_error::none);
    auto pb = make_rtp(5, ssrc, 80);
    ASSERT_EQ(peer_b.protect(pb), srtp_err_status_ok);
    EXPECT_EQ(recv(pb), status::auth_fail);
    auto pc = make_rtp(6, ssrc, 80);
    ASSERT_EQ(peer_c.protect(pc), srtp_err_status_ok);
    uint8_t ev = 0;
    EXPECT_EQ(recv(pc, &ev), status::ok);
    EXPECT_EQ(ev, ssrc_learned | key_switched);
}

TEST_P(KeyRoll, ForgedPacketNeverSwitches) {
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);
    ASSERT_EQ(rx.set_key(b, GetParam()), key_error::none);
    auto forged = make_rtp(7, ssrc, 80);
    forged.resize(forged.size() + 10, 0x42);  // a made-up tag
    EXPECT_EQ(recv(forged), status::auth_fail);
    EXPECT_TRUE(rx.key_pending());
    EXPECT_FALSE(rx.has_ssrc());
}

TEST_P(KeyRoll, MkiSelectsTheKey) {
    auto am = make_key(suite80, 1, 1, 0x01);
    auto bm = make_key(suite80, 2, 1, 0x02);
    ref_session peer_a(am, false);
    ref_session peer_b(bm, false);
    ASSERT_EQ(rx.set_key(am, GetParam()), key_error::none);
    ASSERT_EQ(rx.set_key(bm, GetParam()), key_error::none);
    auto w = [&](ref_session& p, uint16_t q) {
        auto x = make_rtp(q, ssrc, 80);
        EXPECT_EQ(p.protect(x), srtp_err_status_ok);
        return x;
    };
    auto a2 = w(peer_a, 2);
    auto a4 = w(peer_a, 4);
    EXPECT_EQ(recv(w(peer_a, 1)), status::ok);
    uint8_t ev = 0;
    EXPECT_EQ(recv(w(peer_b, 3), &ev), status::ok);
    EXPECT_EQ(ev, key_switched);
    EXPECT_EQ(recv(a2), status::ok);         // older than the switch
    EXPECT_EQ(recv(a4), status::auth_fail);  // newer: the old key is retired
    auto wrong_mki = w(peer_b, 5);
    wrong_mki[wrong_mki.size() - 11] = 0x09;  // MKI byte precedes the 10-byte tag
    EXPECT_EQ(recv(wrong_mki), status::auth_fail);
}

TEST_P(KeyRoll, OutboundSwitchesAtOnce) {
    ref_session peer_b(b, true);
    stream tx(direction::outbound);
    ASSERT_EQ(tx.set_key(a, GetParam()), key_error::none);
    buf p1(make_rtp(1, ssrc, 80));
    ASSERT_EQ(run1(protect_rtp, e, tx, p1), status::ok);
    ASSERT_EQ(tx.set_key(b, GetParam()), key_error::none);
    EXPECT_FALSE(tx.key_pending());
    buf p2(make_rtp(2, ssrc, 80));
    ASSERT_EQ(run1(protect_rtp, e, tx, p2), status::ok);
    auto w2 = p2.view();
    EXPECT_EQ(peer_b.unprotect(w2), srtp_err_status_ok);
}

TEST_P(KeyRoll, RtcpCanSwitchFirst) {
    ref_session peer_a(a, false);
    ref_session peer_b(b, false);
    ASSERT_EQ(rx.set_key(a, GetParam()), key_error::none);
    auto ra = [&](uint16_t q) {
        auto x = make_rtp(q, ssrc, 80);
        EXPECT_EQ(peer_a.protect(x), srtp_err_status_ok);
        return x;
    };
    ASSERT_EQ(recv(ra(50)), status::ok);
    auto a51 = ra(51);
    auto a52 = ra(52);
    ASSERT_EQ(rx.set_key(b, GetParam()), key_error::none);
    auto rtcp = make_rtcp(ssrc);
    ASSERT_EQ(peer_b.protect_rtcp(rtcp), srtp_err_status_ok);
    buf rtcp_in(rtcp);
    uint8_t ev = 0;
    ASSERT_EQ(run1(unprotect_rtcp, e, rx, rtcp_in, &ev), status::ok);
    EXPECT_EQ(ev, key_switched);
    // No RTP seen under the new key yet: old-key RTP still in flight is accepted.
    EXPECT_EQ(recv(a51), status::ok);
    auto b53 = make_rtp(53, ssrc, 80);
    ASSERT_EQ(peer_b.protect(b53), srtp_err_status_ok);
    EXPECT_EQ(recv(b53), status::ok);
    EXPECT_EQ(recv(a52), status::ok);            // older than 53
    EXPECT_EQ(recv(ra(54)), status::auth_fail);  // newer, old key
}

INSTANTIATE_TEST_SUITE_P(Engines, KeyRoll,
                         testing::Values(engine_kind::ipsecmb, engine_kind::libsrtp),
                         [](const auto& i) { return std::string(engine_kind_name(i.param)); });

}  // namespace
}  // namespace sbc::srtp::test
