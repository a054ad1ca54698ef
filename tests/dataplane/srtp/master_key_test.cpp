// Suite table, master key validation and generation, status and error tables.

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <set>

#include "dataplane/srtp/srtp.hpp"

namespace sbc::srtp {
namespace {

shm::srtp_key valid() {
    shm::srtp_key k{};
    k.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    k.master_key_len = 16;
    k.master_salt_len = 14;
    return k;
}

TEST(Suites, TableAndNames) {
    EXPECT_EQ(find_suite(shm::srtp_suite::none), nullptr);
    EXPECT_EQ(find_suite(static_cast<shm::srtp_suite>(99)), nullptr);
    const suite_params* s = find_suite("AES_CM_128_HMAC_SHA1_32");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->rtp_tag_len, 4);
    EXPECT_EQ(s->rtcp_tag_len, 10);
    s = find_suite("AEAD_AES_256_GCM");
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->aead);
    EXPECT_EQ(s->master_key_len, 32);
    EXPECT_EQ(s->master_salt_len, 12);
    EXPECT_EQ(find_suite("aes_cm_128_hmac_sha1_80"), nullptr);
}

TEST(MasterKey, Validation) {
    EXPECT_EQ(validate(valid()), key_error::none);
    auto k = valid();
    k.suite = shm::srtp_suite::none;
    EXPECT_EQ(validate(k), key_error::unsupported_suite);
    k = valid();
    k.master_key_len = 32;
    EXPECT_EQ(validate(k), key_error::bad_key_length);
    k = valid();
    k.master_salt_len = 12;
    EXPECT_EQ(validate(k), key_error::bad_salt_length);
    k = valid();
    k.mki_len = 5;
    EXPECT_EQ(validate(k), key_error::bad_mki_length);
    k = valid();
    k.mki_len = 1;
    k.mki = 0x100;
    EXPECT_EQ(validate(k), key_error::mki_too_large);
    k.mki = 0xff;
    EXPECT_EQ(validate(k), key_error::none);
    EXPECT_EQ(to_nack_reason(key_error::unsupported_suite), shm::nack_reason::unsupported_suite);
    EXPECT_EQ(to_nack_reason(key_error::bad_key_length), shm::nack_reason::bad_key);
    EXPECT_STREQ(key_error_text(key_error::bad_salt_length),
                 "master salt length does not match the suite");
}

TEST(MasterKey, RefusedAtCreationNotAtPacketTime) {
    auto k = valid();
    k.master_key_len = 15;
    key_error err{};
    EXPECT_FALSE(make_key_set(k, direction::inbound, engine_kind::ipsecmb, err));
    EXPECT_EQ(err, key_error::bad_key_length);
    stream s(direction::inbound);
    EXPECT_EQ(s.set_key(k, engine_kind::ipsecmb), key_error::bad_key_length);
    EXPECT_FALSE(s.has_key());
}

TEST(MasterKey, GenerateFillsFreshKeys) {
    std::set<std::array<uint8_t, 32>> seen;
    for (auto suite :
         {shm::srtp_suite::aes_cm_128_hmac_sha1_80, shm::srtp_suite::aead_aes_256_gcm}) {
        for (int i = 0; i < 20; ++i) {
            shm::srtp_key k{};
            ASSERT_EQ(generate_master_key(suite, k), key_error::none);
            EXPECT_EQ(validate(k), key_error::none);
            EXPECT_EQ(k.mki_len, 0);
            std::array<uint8_t, 32> key{};
            std::memcpy(key.data(), k.master_key, sizeof k.master_key);
            seen.insert(key);
        }
    }
    EXPECT_EQ(seen.size(), 40u);
    shm::srtp_key k{};
    EXPECT_EQ(generate_master_key(shm::srtp_suite::none, k), key_error::unsupported_suite);
}

TEST(MasterKey, SameKey) {
    auto a = valid();
    a.master_key[0] = 1;
    auto b = a;
    EXPECT_TRUE(same_key(a, b));
    b.master_salt[13] ^= 1;
    EXPECT_FALSE(same_key(a, b));
    b = a;
    b.mki_len = 1;
    EXPECT_FALSE(same_key(a, b));
    b = a;
    b.master_key[20] = 7;  // beyond the key length: not part of the key
    EXPECT_TRUE(same_key(a, b));
}

TEST(Statuses, MapOntoDropReasons) {
    EXPECT_EQ(to_drop_reason(status::auth_fail), shm::drop_reason::auth_fail);
    EXPECT_EQ(to_drop_reason(status::replay), shm::drop_reason::replay);
    EXPECT_EQ(to_drop_reason(status::bad_header), shm::drop_reason::bad_rtp);
    EXPECT_EQ(to_drop_reason(status::too_short), shm::drop_reason::bad_rtp);
    EXPECT_EQ(to_drop_reason(status::no_room), shm::drop_reason::crypto_error);
    EXPECT_EQ(to_drop_reason(status::crypto_error), shm::drop_reason::crypto_error);
    EXPECT_STREQ(status_name(status::index_exhausted), "index_exhausted");
    EXPECT_STREQ(status_name(status::ok), "ok");
}

TEST(Engine, KindsAndArch) {
    engine_kind k{};
    EXPECT_TRUE(parse_engine_kind("libsrtp", k));
    EXPECT_EQ(k, engine_kind::libsrtp);
    EXPECT_TRUE(parse_engine_kind("ipsecmb", k));
    EXPECT_EQ(k, engine_kind::ipsecmb);
    EXPECT_FALSE(parse_engine_kind("openssl", k));
    engine e(engine_kind::ipsecmb);
    EXPECT_STRNE(e.arch(), "unknown");
    engine l(engine_kind::libsrtp);
    EXPECT_STREQ(l.arch(), "libsrtp2");
}

TEST(Engine, KeyMadeForTheOtherEngine) {
    engine l(engine_kind::libsrtp);
    stream s(direction::outbound);
    ASSERT_EQ(s.set_key(valid(), engine_kind::ipsecmb), key_error::none);  // no libsrtp session
    std::vector<uint8_t> p(200, 0);
    p[0] = 0x80;
    packet pk{p.data(), &s, 100, 200, status::ok, 0, 0};
    EXPECT_EQ(protect_rtp(l, &pk, 1), 0);
    EXPECT_EQ(pk.result, status::crypto_error);
}

}  // namespace
}  // namespace sbc::srtp
