// From a=crypto to the dataplane's keys: which suites the SBC runs (the one suite table) and the
// shm::srtp_key a key-param becomes.
#include <gtest/gtest.h>

#include "controlplane/media/sdes_keys.hpp"

namespace sbc::cp::media {
namespace {

namespace sdp = sip::sdp;

// RFC 4568 §9.2 example key: 30 bytes (16 key + 14 salt).
constexpr const char* key30 = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

TEST(SdesKeys, EverySuiteTheDataplaneRunsBecomesAKey) {
    for (const srtp_suite_info& info : srtp_suites) {
        const std::size_t bytes = std::size_t(info.master_key_len) + info.master_salt_len;
        std::vector<uint8_t> material(bytes);
        for (std::size_t i = 0; i < material.size(); ++i) {
            material[i] = uint8_t(i * 7 + 1);
        }
        auto r = sdp::parse_crypto("9 " + std::string(info.name) +
                                   " inline:" + sdp::base64_encode(material));
        ASSERT_TRUE(r.ok()) << info.name;
        auto key = to_srtp_key(r.value);
        if (!info.runnable) {
            EXPECT_FALSE(key.has_value()) << info.name;
            continue;
        }
        ASSERT_TRUE(key.has_value()) << info.name;
        EXPECT_EQ(key->suite, info.id);
        EXPECT_EQ(key->master_key_len, info.master_key_len);
        EXPECT_EQ(key->master_salt_len, info.master_salt_len);
        EXPECT_EQ(key->master_key[0], 1);
        EXPECT_EQ(key->master_salt[0], material[key->master_key_len]);
        EXPECT_FALSE(to_srtp_key(r.value, 1).has_value()) << "only one key-param";
    }
    EXPECT_FALSE(to_srtp_key(sdp::crypto_attribute{}).has_value()) << "unknown suite";
}

TEST(SdesKeys, MkiCrosses) {
    auto r =
        sdp::parse_crypto(std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + "|2^20|7:2");
    ASSERT_TRUE(r.ok());
    auto key = to_srtp_key(r.value);
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->mki_len, 2);
    EXPECT_EQ(key->mki, 7u);
}

// RFC 4568 allows MKIs of up to 128 bytes and sip/ parses them (issue 10); the dataplane's MKI
// field holds 4, so a longer one becomes no key (the offer's line is not usable).
TEST(SdesKeys, MkisLongerThanTheDataplanesFourBytesBecomeNoKey) {
    const std::string prefix = std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + "|";
    for (unsigned length = 1; length <= 128; ++length) {
        auto r = sdp::parse_crypto(prefix + "1:" + std::to_string(length));
        ASSERT_TRUE(r.ok()) << length;
        const auto key = to_srtp_key(r.value);
        EXPECT_EQ(key.has_value(), length <= 4) << length;
        if (key) {
            EXPECT_EQ(key->mki_len, length);
            EXPECT_EQ(key->mki, 1u);
        }
    }
}

TEST(SdesKeys, SuitesTheDataplaneCannotRunAreNeverChosen) {
    sdp::media m;
    m.add_attribute("crypto", "1 AES_256_CM_HMAC_SHA1_80 inline:" +
                                  sdp::base64_encode(std::vector<uint8_t>(46, 1)));
    m.add_attribute("crypto", std::string("2 AES_CM_128_HMAC_SHA1_80 inline:") + key30);
    m.add_attribute("crypto", "3 F8_128_HMAC_SHA1_80 inline:" + std::string(key30));
    auto list = sdp::parse_crypto_lines(m);
    ASSERT_TRUE(list.ok());
    config::media_profile p;
    p.sdes_suites = {srtp_suite::f8_128_hmac_sha1_80, srtp_suite::aes_cm_128_hmac_sha1_80};
    const auto wanted = runnable_suites(p);
    EXPECT_EQ(wanted, std::vector{srtp_suite::aes_cm_128_hmac_sha1_80});
    const sdp::crypto_attribute* c = sdp::choose_crypto(list.value, wanted);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->tag, 2u);  // F8 is skipped: the dataplane cannot do it
}

}  // namespace
}  // namespace sbc::cp::media
