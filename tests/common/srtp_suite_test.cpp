// The one SRTP suite table: lookups by id and by wire name, and the rows the dataplane runs.
#include "common/srtp_suite.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sbc {
namespace {

TEST(SrtpSuite, EveryRowIsFoundByIdAndByName) {
    std::set<std::string_view> names;
    std::set<srtp_suite> ids;
    for (const srtp_suite_info& s : srtp_suites) {
        EXPECT_TRUE(names.insert(s.name).second) << s.name;
        EXPECT_TRUE(ids.insert(s.id).second) << s.name;
        EXPECT_EQ(find_srtp_suite(s.id), &s);
        EXPECT_EQ(find_srtp_suite(s.name), &s);
        EXPECT_EQ(srtp_suite_name(s.id), s.name);
        EXPECT_NE(s.id, srtp_suite::none);
    }
    EXPECT_EQ(find_srtp_suite(srtp_suite::none), nullptr);
    EXPECT_EQ(find_srtp_suite(static_cast<srtp_suite>(99)), nullptr);
    EXPECT_EQ(srtp_suite_name(srtp_suite::none), "");
    // RFC 4568 grammar: suite names are case-sensitive.
    EXPECT_EQ(find_srtp_suite("aes_cm_128_hmac_sha1_80"), nullptr);
    EXPECT_EQ(find_srtp_suite(""), nullptr);
}

TEST(SrtpSuite, TheDataplaneRunsTheSixSuitesOfRfc4568Rfc6188AndRfc7714) {
    std::set<std::string_view> runnable;
    for (const srtp_suite_info& s : srtp_suites) {
        EXPECT_EQ(dataplane_runs(s.id), s.runnable);
        if (s.runnable) {
            runnable.insert(s.name);
        }
    }
    EXPECT_EQ(runnable,
              (std::set<std::string_view>{"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                          "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32",
                                          "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"}));
    EXPECT_FALSE(dataplane_runs(srtp_suite::none));
    EXPECT_FALSE(dataplane_runs(srtp_suite::f8_128_hmac_sha1_80));
}

TEST(SrtpSuite, LengthsFollowTheRfcs) {
    for (const srtp_suite_info& s : srtp_suites) {
        if (s.aead) {
            // RFC 7714 §8.2, §14.2: 96-bit salt, 128-bit tag, no separate auth key.
            EXPECT_EQ(s.master_salt_len, 12) << s.name;
            EXPECT_EQ(s.rtp_tag_len, 16) << s.name;
            EXPECT_EQ(s.rtcp_tag_len, 16) << s.name;
            EXPECT_EQ(s.auth_key_len, 0) << s.name;
        } else {
            // RFC 3711 §8.2 / RFC 4568 §6.2: 112-bit salt, HMAC-SHA1 with a 160-bit key; SRTCP's
            // tag is 80 bits even for the _32 suites.
            EXPECT_EQ(s.master_salt_len, 14) << s.name;
            EXPECT_EQ(s.auth_key_len, 20) << s.name;
            EXPECT_EQ(s.rtcp_tag_len, 10) << s.name;
            const bool short_tag = std::string_view(s.name).ends_with("_32");
            EXPECT_EQ(s.rtp_tag_len, short_tag ? 4 : 10) << s.name;
        }
    }
}

}  // namespace
}  // namespace sbc
