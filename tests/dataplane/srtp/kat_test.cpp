// Known-answer tests: RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key derivation), and
// RFC 7714 §16-17 (AES-GCM SRTP/SRTCP IVs and the RTP packet vector).

#include <gtest/gtest.h>
#include <intel-ipsec-mb.h>
#include <openssl/evp.h>

#include <cstring>

#include "dataplane/srtp/detail/iv.hpp"
#include "dataplane/srtp/detail/key_build.hpp"
#include "dataplane/srtp/detail/sha1_block.hpp"
#include "dataplane/srtp/kdf.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"

namespace sbc::srtp::test {
namespace {

std::vector<uint8_t> bytes(const uint8_t* p, size_t n) {
    return {p, p + n};
}

TEST(Rfc3711B3, KeyDerivation) {
    shm::srtp_key k{};
    k.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    k.master_key_len = 16;
    k.master_salt_len = 14;
    auto mk = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    auto ms = hex("0EC675AD498AFEEBB6960B3AABE6");
    std::memcpy(k.master_key, mk.data(), 16);
    std::memcpy(k.master_salt, ms.data(), 14);
    session_keys sk{};
    ASSERT_TRUE(derive_session_keys(k, false, sk));
    EXPECT_EQ(bytes(sk.enc, 16), hex("C61E7A93744F39EE10734AFE3FF7A087"));
    EXPECT_EQ(bytes(sk.salt, 14), hex("30CBBC08863D8C85D49DB34A9AE1"));
    EXPECT_EQ(bytes(sk.auth, 20), hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));

    // Longer PRF output continues the same keystream (B.3 lists 94 bytes of auth key).
    uint8_t auth[32];
    ASSERT_TRUE(kdf(k.master_key, 16, k.master_salt, kdf_label::rtp_auth, auth, sizeof auth));
    EXPECT_EQ(bytes(auth, 32),
              hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"));

    // SRTCP uses its own labels: different keys from the same master.
    session_keys rtcp{};
    ASSERT_TRUE(derive_session_keys(k, true, rtcp));
    EXPECT_NE(bytes(rtcp.enc, 16), bytes(sk.enc, 16));
}

// The combined RTP + RTCP derivation (one key schedule) gives what the per-label one does, and
// the PRF (counter blocks of all labels in one batch) what AES-CTR from each label's IV gives,
// for every suite (AES-128 and AES-256 PRFs, 96-bit GCM salts).
TEST(Rfc3711B3, CombinedDerivationMatchesPerLabel) {
    for (auto suite : all_suites) {
        for (uint32_t seed = 1; seed < 20; ++seed) {
            const shm::srtp_key k = make_key(suite, seed);
            session_keys rtp{}, rtcp{}, rtp1{}, rtcp1{};
            ASSERT_TRUE(derive_session_keys(k, rtp, rtcp));
            ASSERT_TRUE(derive_session_keys(k, false, rtp1));
            ASSERT_TRUE(derive_session_keys(k, true, rtcp1));
            EXPECT_EQ(0, std::memcmp(&rtp, &rtp1, sizeof rtp));
            EXPECT_EQ(0, std::memcmp(&rtcp, &rtcp1, sizeof rtcp));
            // The PRF itself against OpenSSL's AES-CTR (RFC 3711 §4.3.3), for every label.
            for (uint8_t label = 0; label < 6; ++label) {
                uint8_t salt[14] = {};
                std::memcpy(salt, k.master_salt, k.master_salt_len);
                uint8_t iv[16] = {};
                std::memcpy(iv, salt, 14);
                iv[7] ^= label;
                uint8_t want[48] = {}, got[48];
                EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
                int n = 0;
                ASSERT_EQ(EVP_EncryptInit_ex(
                              ctx, k.master_key_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(),
                              nullptr, k.master_key, iv),
                          1);
                ASSERT_EQ(EVP_EncryptUpdate(ctx, want, &n, want, sizeof want), 1);
                EVP_CIPHER_CTX_free(ctx);
                ASSERT_TRUE(kdf(k.master_key, k.master_key_len, salt, static_cast<kdf_label>(label),
                                got, sizeof got));
                EXPECT_EQ(bytes(got, 48), bytes(want, 48)) << int(label);
            }
        }
    }
}

// HMAC-SHA1 pads: OpenSSL's block function (what key sets use) leaves exactly the state
// ipsec-mb's own one-block helper does, for arbitrary blocks.
TEST(HmacPrecompute, Sha1OneBlockMatchesIpsecMb) {
    IMB_MGR* mgr = alloc_mb_mgr(0);
    ASSERT_NE(mgr, nullptr);
    init_mb_mgr_auto(mgr, nullptr);
    uint32_t x = 99;
    for (int n = 0; n < 200; ++n) {
        uint8_t block[64];
        for (auto& b : block) {
            x = x * 1103515245u + 12345u;
            b = static_cast<uint8_t>(x >> 16);
        }
        uint8_t ours[20], theirs[32];
        detail::sha1_one_block(block, ours);
        IMB_SHA1_ONE_BLOCK(mgr, block, theirs);
        ASSERT_EQ(0, std::memcmp(ours, theirs, 20)) << n;
    }
    free_mb_mgr(mgr);
}

TEST(Rfc3711B3, RefusesBadLengths) {
    shm::srtp_key k = make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 1);
    k.master_key_len = 32;
    session_keys sk{};
    EXPECT_FALSE(derive_session_keys(k, false, sk));
    uint8_t out[16];
    EXPECT_FALSE(kdf(k.master_key, 24, k.master_salt, kdf_label::rtp_encryption, out, 16));
}

// B.2: session key 2B7E..., salt F0F1...FD, SSRC 0, index 0: the IV of §4.1.1 and ipsec-mb's
// counter mode give the listed keystream blocks, including across the 16-bit block counter
// (blocks 0xFEFF..0xFF01).
TEST(Rfc3711B2, AesCmKeystream) {
    IMB_MGR* mgr = alloc_mb_mgr(0);
    ASSERT_NE(mgr, nullptr);
    init_mb_mgr_auto(mgr, nullptr);
    auto key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
    alignas(16) uint8_t enc[240];
    alignas(16) uint8_t dec[240];
    IMB_AES_KEYEXP_128(mgr, key.data(), enc, dec);
    uint8_t salt[16] = {};
    auto s = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
    std::memcpy(salt, s.data(), 14);
    alignas(16) uint8_t iv[16];
    detail::cm_iv(iv, salt, 0, 0);
    EXPECT_EQ(bytes(iv, 16), hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"));

    std::vector<uint8_t> ks(size_t{0xff02} * 16, 0);
    IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_CIPHER_HASH;
    job->cipher_mode = IMB_CIPHER_CNTR;
    job->hash_alg = IMB_AUTH_NULL;
    job->enc_keys = enc;
    job->dec_keys = enc;
    job->key_len_in_bytes = 16;
    job->src = ks.data();
    job->dst = ks.data();
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = ks.size();
    job->iv = iv;
    job->iv_len_in_bytes = 16;
    job = IMB_SUBMIT_JOB(mgr);
    if (job == nullptr) {
        job = IMB_FLUSH_JOB(mgr);
    }
    ASSERT_NE(job, nullptr);
    ASSERT_EQ(job->status, IMB_STATUS_COMPLETED);
    auto block = [&](size_t i) { return bytes(ks.data() + 16 * i, 16); };
    EXPECT_EQ(block(0x0000), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
    EXPECT_EQ(block(0x0001), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
    EXPECT_EQ(block(0x0002), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
    EXPECT_EQ(block(0xfeff), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
    EXPECT_EQ(block(0xff00), hex("362B7C3C6773516318A077D7FC5073AE"));
    EXPECT_EQ(block(0xff01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
    free_mb_mgr(mgr);
}

// B.2 through the engine: with the B.2 session key and salt, an RTP packet of SSRC 0 and
// sequence 0 encrypts its payload with exactly that keystream.
TEST(Rfc3711B2, ThroughTheEngine) {
    shm::srtp_key k = make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 1);
    session_keys sk{};
    auto key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
    auto salt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
    std::memcpy(sk.enc, key.data(), 16);
    std::memcpy(sk.salt, salt.data(), 14);
    key_error err{};
    auto ks = detail::make_key_set_from_session_keys(k, sk, sk, direction::outbound,
                                                     engine_kind::ipsecmb, err);
    ASSERT_TRUE(ks);
    stream tx(direction::outbound);
    tx.install(std::move(ks));
    engine e(engine_kind::ipsecmb);
    auto plain = make_rtp(0, 0, 48);
    std::memset(plain.data() + 12, 0, 48);
    buf b(plain);
    ASSERT_EQ(run1(protect_rtp, e, tx, b), status::ok);
    EXPECT_EQ(std::vector<uint8_t>(b.bytes.begin() + 12, b.bytes.begin() + 60),
              hex("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
                  "41E95B3BB0A2E8DD477901E4FCA894C0"));
}

TEST(Rfc7714, Ivs) {
    uint8_t salt[16] = {};
    auto s = hex("517569642070726f2071756f");
    std::memcpy(salt, s.data(), 12);
    alignas(16) uint8_t iv[16];
    detail::gcm_rtp_iv(iv, salt, 0x5501a0b2, 0xf17b);  // §16.1
    EXPECT_EQ(bytes(iv, 12), hex("51753c6580c2726f20718414"));
    detail::gcm_rtcp_iv(iv, salt, 0x4d617273, 0x5d4);  // §17.1, SSRC "Mars"
    EXPECT_EQ(bytes(iv, 12), hex("517524055203726f207170bb"));
}

// §16.1.1: AEAD_AES_128_GCM, the RTP packet "Gallia est omnis divisa in partes tres".
TEST(Rfc7714, RtpPacketAes128Gcm) {
    shm::srtp_key k = make_key(shm::srtp_suite::aead_aes_128_gcm, 1);
    session_keys sk{};
    auto key = hex("000102030405060708090a0b0c0d0e0f");
    auto salt = hex("517569642070726f2071756f");
    std::memcpy(sk.enc, key.data(), 16);
    std::memcpy(sk.salt, salt.data(), 12);
    auto plain =
        hex("8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e697320646976"
            "69736120696e207061727465732074726573");
    auto wire =
        hex("8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd5"
            "0d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee439"
            "0cce");
    engine e(engine_kind::ipsecmb);
    key_error err{};
    stream tx(direction::outbound);
    tx.install(detail::make_key_set_from_session_keys(k, sk, sk, direction::outbound,
                                                      engine_kind::ipsecmb, err));
    buf out(plain);
    ASSERT_EQ(run1(protect_rtp, e, tx, out), status::ok);
    EXPECT_EQ(out.view(), wire);

    stream rx(direction::inbound);
    rx.install(detail::make_key_set_from_session_keys(k, sk, sk, direction::inbound,
                                                      engine_kind::ipsecmb, err));
    buf in(wire);
    ASSERT_EQ(run1(unprotect_rtp, e, rx, in), status::ok);
    EXPECT_EQ(in.view(), plain);
}

}  // namespace
}  // namespace sbc::srtp::test
