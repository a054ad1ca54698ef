// Byte-for-byte cross-check of the fast path (ipsecmb engine) and the libsrtp engine against
// libsrtp2 itself, for every suite, with and without MKI, over a sequence wrap (ROC 0 -> 1),
// random payload sizes, CSRCs and header extensions; RTP and RTCP.

#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "tests/dataplane/srtp/srtp_test_util.hpp"

namespace sbc::srtp::test {
namespace {

struct interop_case {
    shm::srtp_suite suite;
    uint8_t mki_len;
    engine_kind kind;
};

std::string case_name(const testing::TestParamInfo<interop_case>& i) {
    return std::string(find_suite(i.param.suite)->name) + "_mki" + std::to_string(i.param.mki_len) +
           "_" + engine_kind_name(i.param.kind);
}

std::vector<interop_case> all_cases() {
    std::vector<interop_case> v;
    for (auto s : all_suites) {
        for (uint8_t m : {0, 4}) {
            for (auto k : {engine_kind::ipsecmb, engine_kind::libsrtp}) {
                v.push_back({s, m, k});
            }
        }
    }
    // Odd MKI lengths move the tag off alignment.
    v.push_back({shm::srtp_suite::aes_cm_128_hmac_sha1_80, 1, engine_kind::ipsecmb});
    v.push_back({shm::srtp_suite::aes_cm_128_hmac_sha1_32, 3, engine_kind::ipsecmb});
    v.push_back({shm::srtp_suite::aead_aes_128_gcm, 2, engine_kind::ipsecmb});
    return v;
}

class Interop : public testing::TestWithParam<interop_case> {
  protected:
    // libsrtp 2.5 looks for the SRTCP MKI with the RTP tag length: with a _32 suite and an MKI
    // it cannot unprotect even its own SRTCP (srtp_err_status_bad_mki). The fast path follows
    // RFC 3711 (it reads libsrtp's output, and writes the same bytes); the libsrtp engine
    // inherits the bug.
    bool libsrtp_rtcp_mki_bug() const {
        const auto* s = find_suite(GetParam().suite);
        return GetParam().mki_len > 0 && s->rtp_tag_len != s->rtcp_tag_len;
    }

    shm::srtp_key key() const {
        const auto& c = GetParam();
        uint32_t mki = c.mki_len == 0 ? 0 : (0xa1b2c3d4u >> (8 * (4 - c.mki_len)));
        return make_key(c.suite, 7, c.mki_len, mki);
    }
    std::vector<uint8_t> random_rtp(std::mt19937& rng, uint16_t seq, uint32_t ssrc) {
        rtp_opts o;
        o.csrc_count = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 3 : 0);
        o.ext_words = static_cast<uint16_t>(rng() % 5 == 0 ? 1 + rng() % 3 : 0);
        auto len = static_cast<uint16_t>(rng() % 1200);
        return make_rtp(seq, ssrc, len, static_cast<uint8_t>(rng()), o);
    }
};

TEST_P(Interop, RtpFromLibsrtpAcrossSequenceWrap) {
    engine e(GetParam().kind);
    ref_session sender(key(), false);
    stream rx(direction::inbound);
    ASSERT_EQ(rx.set_key(key(), GetParam().kind), key_error::none);

    std::mt19937 rng(1);
    const uint32_t ssrc = 0x11223344;
    uint16_t seq = 65400;
    for (int burst = 0; burst < 20; ++burst) {
        std::vector<std::vector<uint8_t>> plain;
        std::vector<buf> bufs;
        for (int i = 0; i < 32; ++i, ++seq) {
            plain.push_back(random_rtp(rng, seq, ssrc));
            std::vector<uint8_t> wire = plain.back();
            ASSERT_EQ(sender.protect(wire), srtp_err_status_ok);
            bufs.emplace_back(wire);
        }
        std::vector<packet> pk;
        pk.reserve(bufs.size());
        for (auto& b : bufs) {
            pk.push_back(b.pkt(rx));
        }
        ASSERT_EQ(unprotect_rtp(e, pk.data(), static_cast<uint16_t>(pk.size())), 32);
        for (size_t i = 0; i < pk.size(); ++i) {
            ASSERT_EQ(pk[i].result, status::ok);
            bufs[i].len = pk[i].len;
            ASSERT_EQ(bufs[i].view(), plain[i]) << "burst " << burst << " packet " << i;
        }
    }
    EXPECT_EQ(rx.roc(), 1u);  // 65400 + 640 packets crossed the wrap
    EXPECT_EQ(rx.ssrc(), ssrc);
}

TEST_P(Interop, RtpToLibsrtpIsByteIdentical) {
    engine e(GetParam().kind);
    ref_session reference(key(), false);  // protects the same packets for comparison
    ref_session receiver(key(), true);
    stream tx(direction::outbound);
    ASSERT_EQ(tx.set_key(key(), GetParam().kind), key_error::none);

    std::mt19937 rng(2);
    const uint32_t ssrc = 0xdeadbeef;
    uint16_t seq = 65500;
    for (int burst = 0; burst < 20; ++burst) {
        std::vector<std::vector<uint8_t>> plain;
        std::vector<buf> bufs;
        for (int i = 0; i < 16; ++i, ++seq) {
            plain.push_back(random_rtp(rng, seq, ssrc));
            bufs.emplace_back(plain.back());
        }
        std::vector<packet> pk;
        pk.reserve(bufs.size());
        for (auto& b : bufs) {
            pk.push_back(b.pkt(tx));
        }
        ASSERT_EQ(protect_rtp(e, pk.data(), static_cast<uint16_t>(pk.size())), 16);
        for (size_t i = 0; i < pk.size(); ++i) {
            bufs[i].len = pk[i].len;
            std::vector<uint8_t> expect = plain[i];
            ASSERT_EQ(reference.protect(expect), srtp_err_status_ok);
            ASSERT_EQ(bufs[i].view(), expect) << "burst " << burst << " packet " << i;
            std::vector<uint8_t> back = bufs[i].view();
            ASSERT_EQ(receiver.unprotect(back), srtp_err_status_ok);
            ASSERT_EQ(back, plain[i]);
        }
    }
    EXPECT_EQ(tx.roc(), 1u);
}

TEST_P(Interop, RtcpBothWays) {
    engine e(GetParam().kind);
    ref_session lib_tx(key(), false);
    ref_session lib_rx(key(), true);
    stream rx(direction::inbound);
    stream tx(direction::outbound);
    ASSERT_EQ(rx.set_key(key(), GetParam().kind), key_error::none);
    ASSERT_EQ(tx.set_key(key(), GetParam().kind), key_error::none);

    std::mt19937 rng(3);
    const bool inherits_bug = libsrtp_rtcp_mki_bug() && GetParam().kind == engine_kind::libsrtp;
    for (int n = 0; n < 200; ++n) {
        auto plain = make_rtcp(0x5ec0ffee, static_cast<uint16_t>(4 * (rng() % 40)),
                               static_cast<uint8_t>(rng()));
        // libsrtp -> fast path
        auto wire = plain;
        ASSERT_EQ(lib_tx.protect_rtcp(wire), srtp_err_status_ok);
        buf in(wire);
        if (inherits_bug) {
            EXPECT_EQ(run1(unprotect_rtcp, e, rx, in), status::auth_fail) << n;
        } else {
            ASSERT_EQ(run1(unprotect_rtcp, e, rx, in), status::ok) << n;
            ASSERT_EQ(in.view(), plain);
        }
        // fast path -> libsrtp, and identical to what libsrtp sends for the same index
        buf out(plain);
        ASSERT_EQ(run1(protect_rtcp, e, tx, out), status::ok) << n;
        EXPECT_EQ(out.view(), wire) << n;
        if (libsrtp_rtcp_mki_bug()) {
            continue;
        }
        auto back = out.view();
        ASSERT_EQ(lib_rx.unprotect_rtcp(back), srtp_err_status_ok) << n;
        ASSERT_EQ(back, plain);
    }
    EXPECT_EQ(tx.srtcp_index(), 200u);
}

TEST_P(Interop, LibsrtpRejectsTamperedFastPathOutput) {
    engine e(GetParam().kind);
    ref_session receiver(key(), true);
    stream tx(direction::outbound);
    ASSERT_EQ(tx.set_key(key(), GetParam().kind), key_error::none);
    buf b(make_rtp(100, 42, 160));
    ASSERT_EQ(run1(protect_rtp, e, tx, b), status::ok);
    auto wire = b.view();
    wire[20] ^= 1;
    EXPECT_EQ(receiver.unprotect(wire), srtp_err_status_auth_fail);
}

INSTANTIATE_TEST_SUITE_P(AllSuites, Interop, testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace sbc::srtp::test
