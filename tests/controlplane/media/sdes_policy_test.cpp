// SDES and SDP policy toward softphones (issue 10, finding 4): what the SRTP-only access profile
// refuses and how the refusal reads in the Warning the client gets.

#include <gtest/gtest.h>

#include "controlplane/media/peer_sdp.hpp"
#include "tests/controlplane/media/media_support.hpp"

using namespace sbc;
using namespace sbc::cp::media;
using namespace std::string_literals;

namespace {

class sdes_policy : public ::testing::Test {
  protected:
    void SetUp() override { cfg_ = test::test_config(); }

    status offer(const std::string& body, const char* own = "SRTP_SDES") {
        peer_sdp p;
        if (status st = read_sdp(body, p); !st) {
            return st;
        }
        return accept_offer(p, *cfg_.find_media_profile(own), *cfg_.find_media_profile("OSV_RTP"));
    }

    static std::string crypto_with_mki(int tag, int mki_len) {
        return "a=crypto:" + std::to_string(tag) +
               " AES_CM_128_HMAC_SHA1_80 inline:" + test::key_b64(0x21) +
               "|2^31|1:" + std::to_string(mki_len) + "\r\n";
    }

    config::appliance cfg_;
};

TEST_F(sdes_policy, crypto_on_rtp_avp_is_refused_by_the_srtp_only_profile_with_the_reason) {
    const status st = offer(test::client_offer(test::crypto80(1, 0x11), "", "RTP/AVP"));
    EXPECT_EQ(st.code, errc::crypto_on_plain_rtp) << st.message();
    EXPECT_EQ(st.sip_status(), 488);
    EXPECT_NE(st.warning().find("RTP/SAVP"), std::string::npos) << st.warning();
    EXPECT_NE(st.warning().find("offered RTP/AVP with a=crypto"), std::string::npos)
        << st.warning();
    // The same offer as RTP/SAVP is what the profile takes.
    EXPECT_TRUE(offer(test::client_offer(test::crypto80(1, 0x11))));
}

TEST_F(sdes_policy, crypto_on_rtp_avp_stays_acceptable_where_the_profile_allows_rtp) {
    auto* best = const_cast<config::media_profile*>(cfg_.find_media_profile("SRTP_SDES"));
    best->protocol = config::media_protocol::best_effort;
    EXPECT_TRUE(offer(test::client_offer(test::crypto80(1, 0x11), "", "RTP/AVP")));
    EXPECT_TRUE(offer(test::client_offer(test::crypto80(1, 0x11), "", "RTP/AVP"), "OSV_RTP"));
}

TEST_F(sdes_policy, an_mki_longer_than_the_dataplane_takes_is_refused_naming_the_limit) {
    for (int len : {5, 32, 128}) {
        const status st = offer(test::client_offer(crypto_with_mki(1, len)));
        EXPECT_EQ(st.code, errc::mki_too_long) << len << ": " << st.message();
        EXPECT_EQ(st.sip_status(), 488);
        EXPECT_NE(st.message().find("MKI of " + std::to_string(len) + " bytes"), std::string::npos)
            << st.message();
        EXPECT_NE(st.message().find("up to 4 bytes"), std::string::npos) << st.message();
        EXPECT_NE(st.warning().find("up to 4 bytes"), std::string::npos) << st.warning();
    }
    // Up to 4 bytes the dataplane runs it.
    for (int len : {1, 4}) {
        const status st = offer(test::client_offer(crypto_with_mki(1, len)));
        EXPECT_TRUE(st) << len << ": " << st.message();
    }
    // Over RFC 4568's 128 it is a malformed line, not a limit of ours.
    EXPECT_EQ(offer(test::client_offer(crypto_with_mki(1, 129))).code, errc::bad_crypto);
}

TEST_F(sdes_policy, warnings_are_well_formed_whatever_bytes_the_peer_sent) {
    // The SDP that killed sbcd: 0xFF in c=. The refusal quotes it; the Warning must not.
    std::string body = test::client_offer(test::crypto80(1, 0x11));
    const auto c = body.find("c=IN IP4");
    body.replace(c, 8, "c=IN\xff IP4");
    const status st = offer(body);
    ASSERT_FALSE(st);
    const std::string w = st.warning();
    for (char ch : w) {
        const auto u = static_cast<unsigned char>(ch);
        EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "byte " << int(u) << " in " << w;
    }
    EXPECT_EQ(w.rfind("399 sbc \"", 0), 0u) << w;
    EXPECT_EQ(w.back(), '"');
    EXPECT_EQ(std::count(w.begin(), w.end(), '"'), 2) << w;

    // Quotes, backslashes, CR, LF and NUL in a detail, and a detail of 20 kB.
    status crafted = fail(errc::bad_sdp, "a\"b\\c\rd\ne\0f"s + std::string(20000, 'x'));
    const std::string w2 = crafted.warning();
    EXPECT_LE(w2.size(), status::warning_text_max + 12) << w2.size();
    EXPECT_EQ(w2.find_first_of("\r\n\0\\"s), std::string::npos) << w2;
    EXPECT_EQ(std::count(w2.begin(), w2.end(), '"'), 2) << w2;
}

}  // namespace
