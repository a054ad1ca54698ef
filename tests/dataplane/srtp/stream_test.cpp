// Stream semantics through the engines: replay, ROC across the wrap, SSRC changes, state that
// only moves after authentication, and what protect refuses. Runs on both engines.

#include <gtest/gtest.h>

#include "tests/dataplane/srtp/srtp_test_util.hpp"

namespace sbc::srtp::test {
namespace {

constexpr auto suite80 = shm::srtp_suite::aes_cm_128_hmac_sha1_80;

class StreamTest : public testing::TestWithParam<engine_kind> {
  protected:
    StreamTest() : e(GetParam()), rx(direction::inbound), tx(direction::outbound) {
        EXPECT_EQ(rx.set_key(key, GetParam()), key_error::none);
        EXPECT_EQ(tx.set_key(key, GetParam()), key_error::none);
    }
    // SRTP packet protected by libsrtp (the peer).
    std::vector<uint8_t> wire(uint16_t seq, uint32_t ssrc = 0x1234, uint16_t len = 160) {
        auto p = make_rtp(seq, ssrc, len, static_cast<uint8_t>(seq));
        EXPECT_EQ(peer.protect(p), srtp_err_status_ok);
        return p;
    }
    status recv(const std::vector<uint8_t>& w, uint8_t* events = nullptr) {
        buf b(w);
        return run1(unprotect_rtp, e, rx, b, events);
    }
    // A burst through unprotect_rtp; returns the results.
    std::vector<status> recv_burst(const std::vector<std::vector<uint8_t>>& ws) {
        std::vector<buf> bufs;
        bufs.reserve(ws.size());
        for (const auto& w : ws) {
            bufs.emplace_back(w);
        }
        std::vector<packet> pk;
        pk.reserve(bufs.size());
        for (auto& b : bufs) {
            pk.push_back(b.pkt(rx));
        }
        unprotect_rtp(e, pk.data(), static_cast<uint16_t>(pk.size()));
        std::vector<status> out;
        out.reserve(pk.size());
        for (auto& p : pk) {
            out.push_back(p.result);
        }
        return out;
    }

    shm::srtp_key key = make_key(suite80, 3);
    ref_session peer{key, false};
    engine e;
    stream rx;
    stream tx;
};

TEST_P(StreamTest, FirstPacketLearnsTheSsrc) {
    EXPECT_FALSE(rx.has_ssrc());
    uint8_t ev = 0;
    ASSERT_EQ(recv(wire(10), &ev), status::ok);
    EXPECT_EQ(ev, ssrc_learned);
    EXPECT_TRUE(rx.has_ssrc());
    EXPECT_EQ(rx.ssrc(), 0x1234u);
    EXPECT_EQ(rx.highest_seq(), 10);
    ASSERT_EQ(recv(wire(11), &ev), status::ok);
    EXPECT_EQ(ev, 0);
}

TEST_P(StreamTest, DuplicatesAreRefusedAcrossAndWithinBursts) {
    auto w5 = wire(5);
    auto w6 = wire(6);
    ASSERT_EQ(recv(w5), status::ok);
    EXPECT_EQ(recv(w5), status::replay);
    auto r = recv_burst({w6, w6});
    EXPECT_EQ(r[0], status::ok);
    EXPECT_EQ(r[1], status::replay);
}

TEST_P(StreamTest, WindowEdgeAndOutOfOrder) {
    std::vector<std::vector<uint8_t>> w;
    for (uint16_t s = 0; s <= 300; ++s) {
        w.push_back(wire(static_cast<uint16_t>(1000 + s)));
    }
    ASSERT_EQ(recv(w[300]), status::ok);            // highest: 1300
    EXPECT_EQ(recv(w[300 - 128]), status::replay);  // 128 behind: outside the window
    EXPECT_EQ(recv(w[300 - 127]), status::ok);      // last slot inside
    EXPECT_EQ(recv(w[250]), status::ok);            // out of order, once
    EXPECT_EQ(recv(w[250]), status::replay);
    EXPECT_EQ(rx.highest_seq(), 1300);
}

TEST_P(StreamTest, RocRollsWithReorderingAroundTheWrap) {
    ASSERT_EQ(recv(wire(65530)), status::ok);
    std::vector<std::vector<uint8_t>> burst;
    for (uint16_t s : {65532, 0, 65531, 65535, 1, 65534, 2, 65533}) {
        burst.push_back(wire(s));
    }
    auto r = recv_burst(burst);
    for (size_t i = 0; i < r.size(); ++i) {
        EXPECT_EQ(r[i], status::ok) << i;
    }
    EXPECT_EQ(rx.roc(), 1u);
    EXPECT_EQ(rx.highest_seq(), 2);
    EXPECT_EQ(recv(wire(3)), status::ok);
    EXPECT_EQ(recv(burst[1]), status::replay);
}

TEST_P(StreamTest, SsrcChangeIsReportedAndStartsANewIndex) {
    ASSERT_EQ(recv(wire(65535, 0xa)), status::ok);
    ASSERT_EQ(recv(wire(0, 0xa)), status::ok);  // ROC 1 for A
    EXPECT_EQ(rx.roc(), 1u);
    uint8_t ev = 0;
    ASSERT_EQ(recv(wire(500, 0xb), &ev), status::ok);
    EXPECT_EQ(ev, ssrc_changed);
    EXPECT_EQ(rx.ssrc(), 0xbu);
    EXPECT_EQ(rx.roc(), 0u);
    ASSERT_EQ(recv(wire(1, 0xa), &ev), status::ok);  // A again, still ROC 1
    EXPECT_EQ(ev, ssrc_changed);
    EXPECT_EQ(rx.roc(), 1u);
}

TEST_P(StreamTest, ProtectRefusesRepeatsAndReportsSsrc) {
    uint8_t ev = 0;
    buf a(make_rtp(7, 0x99, 160));
    ASSERT_EQ(run1(protect_rtp, e, tx, a, &ev), status::ok);
    EXPECT_EQ(ev, ssrc_learned);
    buf again(make_rtp(7, 0x99, 160));
    EXPECT_EQ(run1(protect_rtp, e, tx, again), status::replay);  // no two-time pad
    buf other(make_rtp(8, 0x77, 160));
    ASSERT_EQ(run1(protect_rtp, e, tx, other, &ev), status::ok);
    EXPECT_EQ(ev, ssrc_changed);
}

TEST_P(StreamTest, ProtectNeedsRoomAndAKey) {
    auto plain = make_rtp(1, 2, 160);
    buf tight(plain, 9);  // one byte short of the 10-byte tag
    EXPECT_EQ(run1(protect_rtp, e, tx, tight), status::no_room);
    EXPECT_FALSE(tx.has_ssrc());  // nothing happened to the stream
    buf room(plain, 10);
    EXPECT_EQ(run1(protect_rtp, e, tx, room), status::ok);
    EXPECT_EQ(room.len, plain.size() + 10);

    stream keyless(direction::outbound);
    buf b(plain);
    EXPECT_EQ(run1(protect_rtp, e, keyless, b), status::no_key);
    packet p = b.pkt(keyless);
    p.strm = nullptr;
    protect_rtp(e, &p, 1);
    EXPECT_EQ(p.result, status::no_key);
}

TEST_P(StreamTest, RtcpReplayAndUnencryptedSrtcp) {
    auto plain = make_rtcp(0x1234);
    auto w = plain;
    ASSERT_EQ(peer.protect_rtcp(w), srtp_err_status_ok);
    buf b1(w);
    ASSERT_EQ(run1(unprotect_rtcp, e, rx, b1), status::ok);
    buf b2(w);
    EXPECT_EQ(run1(unprotect_rtcp, e, rx, b2), status::replay);

    ref_session auth_only(key, false, false);
    auto w0 = plain;
    ASSERT_EQ(auth_only.protect_rtcp(w0), srtp_err_status_ok);
    EXPECT_EQ(std::vector<uint8_t>(w0.begin(), w0.begin() + 8),
              std::vector<uint8_t>(plain.begin(), plain.begin() + 8));
    stream rx2(direction::inbound);
    ASSERT_EQ(rx2.set_key(key, GetParam()), key_error::none);
    buf b3(w0);
    if (GetParam() == engine_kind::libsrtp) {
        // libsrtp refuses E = 0 when its policy says encrypt; the fast path accepts an
        // authenticated unencrypted SRTCP packet (RFC 3711 §3.4: E says which it is).
        EXPECT_NE(run1(unprotect_rtcp, e, rx2, b3), status::ok);
        return;
    }
    ASSERT_EQ(run1(unprotect_rtcp, e, rx2, b3), status::ok);
    EXPECT_EQ(b3.view(), plain);
}

TEST_P(StreamTest, ManyStreamsInOneBurst) {
    // 40 streams with their own keys, two packets each, interleaved: grouping must not mix
    // keys or states.
    std::vector<std::unique_ptr<stream>> rxs;
    std::vector<std::unique_ptr<ref_session>> peers;
    std::vector<buf> bufs;
    std::vector<std::vector<uint8_t>> plains;
    std::vector<packet> pk;
    for (uint8_t i = 0; i < 40; ++i) {
        auto k = make_key(i % 2 ? suite80 : shm::srtp_suite::aead_aes_128_gcm, i);
        rxs.push_back(std::make_unique<stream>(direction::inbound));
        ASSERT_EQ(rxs.back()->set_key(k, GetParam()), key_error::none);
        peers.push_back(std::make_unique<ref_session>(k, false));
    }
    for (int round = 0; round < 2; ++round) {
        for (uint8_t i = 0; i < 40; ++i) {
            plains.push_back(make_rtp(static_cast<uint16_t>(100 + round), 1000u + i, 20 + i));
            auto w = plains.back();
            ASSERT_EQ(peers[i]->protect(w), srtp_err_status_ok);
            bufs.emplace_back(w);
        }
    }
    for (size_t j = 0; j < bufs.size(); ++j) {
        pk.push_back(bufs[j].pkt(*rxs[j % 40]));
    }
    ASSERT_EQ(unprotect_rtp(e, pk.data(), static_cast<uint16_t>(pk.size())), 80);
    for (size_t j = 0; j < bufs.size(); ++j) {
        bufs[j].len = pk[j].len;
        EXPECT_EQ(bufs[j].view(), plains[j]) << j;
    }
}

TEST_P(StreamTest, RestoredIndexContinuesTheStream) {
    // A dataplane restart: sbcd replays the flow with the ROC it recorded.
    stream sender(direction::outbound);
    ASSERT_EQ(sender.set_key(key, GetParam()), key_error::none);
    sender.restore_index(0x77, 5, 1000);
    rx.restore_index(0x77, 5, 999);
    buf b(make_rtp(1001, 0x77, 160));
    ASSERT_EQ(run1(protect_rtp, e, sender, b), status::ok);
    if (GetParam() == engine_kind::ipsecmb) {  // libsrtp keeps its own ROC per session
        uint8_t ev = 0;
        buf in(b.view());
        ASSERT_EQ(run1(unprotect_rtp, e, rx, in, &ev), status::ok);
        EXPECT_EQ(ev, 0);
        EXPECT_EQ(rx.roc(), 5u);
        buf again(b.view());
        EXPECT_EQ(run1(unprotect_rtp, e, rx, again), status::replay);
    }
    EXPECT_EQ(sender.roc(), 5u);
}

TEST_P(StreamTest, IndexSpaceExhaustionRefusesToProtect) {
    if (GetParam() == engine_kind::libsrtp) {
        GTEST_SKIP() << "libsrtp keeps its own index";
    }
    tx.restore_index(0x55, 0xffffffffu, 65534);
    buf last(make_rtp(65535, 0x55, 160));
    EXPECT_EQ(run1(protect_rtp, e, tx, last), status::ok);  // index 2^48 - 1
    buf over(make_rtp(0, 0x55, 160));
    EXPECT_EQ(run1(protect_rtp, e, tx, over), status::index_exhausted);
}

INSTANTIATE_TEST_SUITE_P(Engines, StreamTest,
                         testing::Values(engine_kind::ipsecmb, engine_kind::libsrtp),
                         [](const auto& i) { return std::string(engine_kind_name(i.param)); });

}  // namespace
}  // namespace sbc::srtp::test
