// Hostile input: malformed headers, wrong keys, flipped bits, forged packets. Nothing here may
// change the stream: the next genuine packet must still authenticate.

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/dataplane/srtp/srtp_test_util.hpp"

namespace sbc::srtp::test {
namespace {

constexpr auto suite80 = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
constexpr uint32_t ssrc = 0x600df00d;

class Hostile : public testing::TestWithParam<engine_kind> {
  protected:
    Hostile() : e(GetParam()), rx(direction::inbound) {
        EXPECT_EQ(rx.set_key(key, GetParam()), key_error::none);
    }
    // libsrtp will not protect one index twice: each sequence number is protected once.
    std::vector<uint8_t> wire(uint16_t seq, rtp_opts o = {}) {
        auto it = sent.find(seq);
        if (it != sent.end()) {
            return it->second;
        }
        auto p = make_rtp(seq, ssrc, 160, 1, o);
        EXPECT_EQ(peer.protect(p), srtp_err_status_ok);
        sent[seq] = p;
        return p;
    }
    status recv(const std::vector<uint8_t>& w) {
        buf b(w);
        return run1(unprotect_rtp, e, rx, b);
    }
    status recv_rtcp(const std::vector<uint8_t>& w) {
        buf b(w);
        return run1(unprotect_rtcp, e, rx, b);
    }
    // State before and after must be the same, and the stream still works.
    void expect_untouched(uint16_t next_seq) {
        EXPECT_EQ(rx.highest_seq(), 100);
        EXPECT_EQ(rx.roc(), 0u);
        EXPECT_EQ(rx.ssrc(), ssrc);
        EXPECT_EQ(recv(wire(next_seq)), status::ok);
    }

    std::map<uint16_t, std::vector<uint8_t>> sent;
    shm::srtp_key key = make_key(suite80, 9);
    ref_session peer{key, false};
    engine e;
    stream rx;
};

TEST_P(Hostile, TruncatedPackets) {
    ASSERT_EQ(recv(wire(100)), status::ok);
    auto w = wire(101);
    for (size_t n = 0; n < 12 + 10; ++n) {
        std::vector<uint8_t> t(w.begin(), w.begin() + static_cast<long>(n));
        EXPECT_EQ(recv(t), status::too_short) << n;
    }
    std::vector<uint8_t> cut(w.begin(), w.end() - 1);  // long enough, tag cut short
    EXPECT_EQ(recv(cut), status::auth_fail);
    expect_untouched(101);
}

TEST_P(Hostile, MalformedHeaders) {
    ASSERT_EQ(recv(wire(100)), status::ok);
    for (uint8_t v : {0x00, 0x40, 0xc0}) {
        auto w = wire(101);
        w[0] = static_cast<uint8_t>((w[0] & 0x3f) | v);
        EXPECT_EQ(recv(w), status::bad_header) << int(v);
    }
    auto csrc = wire(101);
    csrc[0] |= 0x0f;  // 15 CSRCs = 60 bytes, more than the packet holds before the tag
    csrc.resize(12 + 40 + 10);
    EXPECT_EQ(recv(csrc), status::bad_header);

    auto ext = wire(150, rtp_opts{0, 1, 0});
    ext[14] = 0xff;  // extension length 0xff.. words, beyond the packet
    ext[15] = 0xff;
    EXPECT_EQ(recv(ext), status::bad_header);

    std::vector<uint8_t> x_no_room = make_rtp(101, ssrc, 0);
    x_no_room[0] |= 0x10;  // X set, no room for the extension header before the tag
    x_no_room.resize(x_no_room.size() + 10, 0);
    EXPECT_EQ(recv(x_no_room), status::bad_header);
    expect_untouched(101);
}

TEST_P(Hostile, WrongKeyAndFlippedBits) {
    ASSERT_EQ(recv(wire(100)), status::ok);
    ref_session stranger(make_key(suite80, 10), false);
    auto other = make_rtp(101, ssrc, 160);
    ASSERT_EQ(stranger.protect(other), srtp_err_status_ok);
    EXPECT_EQ(recv(other), status::auth_fail);

    auto w = wire(101);
    for (size_t bit = 0; bit < 80; ++bit) {
        auto f = w;
        f[f.size() - 10 + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        EXPECT_EQ(recv(f), status::auth_fail) << "tag bit " << bit;
    }
    for (size_t byte : {size_t{1}, size_t{4}, size_t{11}, size_t{12}, w.size() - 11}) {
        auto f = w;
        f[byte] ^= 0x01;
        EXPECT_EQ(recv(f), status::auth_fail) << "byte " << byte;
    }
    expect_untouched(101);
}

TEST_P(Hostile, ForgedJumpsDoNotMoveState) {
    ASSERT_EQ(recv(wire(100)), status::ok);
    std::mt19937 rng(5);
    // Valid headers, random payload and tag: sequence jumps that would move ROC or s_l far,
    // another SSRC, and the same sequence again.
    for (uint16_t seq : {30000, 32868, 32869, 40000, 65535, 0, 99, 100, 101}) {
        for (uint32_t s : {ssrc, ssrc + 1}) {
            auto f = make_rtp(seq, s, 160, static_cast<uint8_t>(rng()));
            for (int i = 0; i < 10; ++i) {
                f.push_back(static_cast<uint8_t>(rng()));
            }
            status st = recv(f);
            EXPECT_TRUE(st == status::auth_fail || st == status::replay) << seq;
        }
    }
    // A genuine packet re-labelled with another sequence number.
    auto g = wire(101);
    g[3] ^= 0x40;
    EXPECT_EQ(recv(g), status::auth_fail);
    expect_untouched(101);
}

TEST_P(Hostile, ForgeriesMixedIntoABurst) {
    ASSERT_EQ(recv(wire(100)), status::ok);
    std::vector<buf> bufs;
    std::vector<bool> genuine;
    std::mt19937 rng(6);
    uint16_t seq = 101;
    for (int i = 0; i < 64; ++i) {
        if (i % 2 == 0) {
            bufs.emplace_back(wire(seq++));
            genuine.push_back(true);
        } else {
            auto f = make_rtp(static_cast<uint16_t>(rng()), ssrc, 160);
            f.resize(f.size() + 10, static_cast<uint8_t>(rng()));
            bufs.emplace_back(f);
            genuine.push_back(false);
        }
    }
    std::vector<packet> pk;
    pk.reserve(bufs.size());
    for (auto& b : bufs) {
        pk.push_back(b.pkt(rx));
    }
    EXPECT_EQ(unprotect_rtp(e, pk.data(), static_cast<uint16_t>(pk.size())), 32);
    for (size_t i = 0; i < pk.size(); ++i) {
        EXPECT_EQ(pk[i].result == status::ok, genuine[i]) << i;
    }
    EXPECT_EQ(rx.highest_seq(), seq - 1);
}

TEST_P(Hostile, RandomBytesNeverPass) {
    ASSERT_EQ(recv(wire(100)), status::ok);
    std::mt19937 rng(7);
    for (int i = 0; i < 3000; ++i) {
        std::vector<uint8_t> r(rng() % 300);
        for (auto& x : r) {
            x = static_cast<uint8_t>(rng());
        }
        if (!r.empty() && i % 2 == 0) {
            r[0] = static_cast<uint8_t>(0x80 | (r[0] & 0x3f));
        }
        EXPECT_NE(recv(r), status::ok);
        EXPECT_NE(recv_rtcp(r), status::ok);
    }
    expect_untouched(101);
}

TEST_P(Hostile, MalformedRtcp) {
    ASSERT_EQ(recv(wire(100)), status::ok);
    auto w = make_rtcp(ssrc);
    ASSERT_EQ(peer.protect_rtcp(w), srtp_err_status_ok);
    for (size_t n = 0; n < 8 + 4 + 10; ++n) {
        std::vector<uint8_t> t(w.begin(), w.begin() + static_cast<long>(n));
        EXPECT_EQ(recv_rtcp(t), status::too_short) << n;
    }
    auto v = w;
    v[0] &= 0x3f;
    EXPECT_EQ(recv_rtcp(v), status::bad_header);
    auto f = w;
    f[f.size() - 1] ^= 0x80;
    EXPECT_EQ(recv_rtcp(f), status::auth_fail);
    auto idx = w;
    idx[idx.size() - 14] ^= 0x01;  // the SRTCP index is authenticated too
    EXPECT_EQ(recv_rtcp(idx), status::auth_fail);
    EXPECT_EQ(recv_rtcp(w), status::ok);
    expect_untouched(101);
}

INSTANTIATE_TEST_SUITE_P(Engines, Hostile,
                         testing::Values(engine_kind::ipsecmb, engine_kind::libsrtp),
                         [](const auto& i) { return std::string(engine_kind_name(i.param)); });

}  // namespace
}  // namespace sbc::srtp::test
