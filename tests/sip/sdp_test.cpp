// SDP parse/serialize, offer/answer helpers and hostile SDP.
#include <gtest/gtest.h>

#include "sip/offer_answer.hpp"
#include "sip/sdes.hpp"
#include "sip/sdp.hpp"

namespace sbc::sip::sdp {
namespace {

const std::string offer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 client.atlanta.example.com\r\n"
    "s=-\r\n"
    "i=A call\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "b=AS:128\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "m=audio 49172 RTP/SAVP 0 8 96 101\r\n"
    "b=TIAS:64000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendonly\r\n"
    "a=rtcp:49173 IN IP4 192.0.2.101\r\n"
    "a=rtcp-mux\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"
    "a=x-unknown:keep me verbatim\r\n"
    "m=video 0 RTP/AVP 31\r\n"
    "c=IN IP6 2001:db8::1\r\n";

TEST(Sdp, ParsesSessionAndMedia) {
    auto r = parse(offer);
    ASSERT_TRUE(r.ok()) << error_name(r.err) << " line " << r.line;
    const session& s = r.value;
    EXPECT_EQ(s.orig.username, "alice");
    EXPECT_EQ(s.orig.session_version, "2890844527");
    EXPECT_EQ(s.conn->address, "192.0.2.101");
    EXPECT_EQ(s.bandwidths.at(0).type, "AS");
    EXPECT_EQ(s.bandwidths.at(0).value, 128u);
    EXPECT_EQ(s.get_direction(), direction::sendrecv);
    ASSERT_EQ(s.media_sections.size(), 2u);
    const media& a = s.media_sections[0];
    EXPECT_EQ(a.type, "audio");
    EXPECT_EQ(a.port, 49172);
    EXPECT_EQ(a.proto, "RTP/SAVP");
    EXPECT_EQ(a.formats.size(), 4u);
    EXPECT_EQ(a.get_direction(), direction::sendonly);
    EXPECT_EQ(a.rtpmap_for("96")->encoding, "opus");
    EXPECT_EQ(a.rtpmap_for("96")->clock_rate, 48000u);
    EXPECT_EQ(a.rtpmap_for("96")->encoding_params, "2");
    EXPECT_EQ(a.fmtp_for("101"), "0-16");
    EXPECT_EQ(a.ptime(), 20u);
    EXPECT_EQ(a.rtcp()->port, 49173);
    EXPECT_EQ(a.rtcp()->address, "192.0.2.101");
    EXPECT_TRUE(a.rtcp_mux());
    EXPECT_EQ(a.crypto_lines().size(), 1u);
    EXPECT_EQ(a.find("x-unknown")->value, "keep me verbatim");
    EXPECT_EQ(s.connection_for(a)->address, "192.0.2.101");
    const media& v = s.media_sections[1];
    EXPECT_TRUE(v.rejected());
    EXPECT_EQ(s.connection_for(v)->addrtype, "IP6");
}

TEST(Sdp, RoundTrip) {
    auto r = parse(offer);
    ASSERT_TRUE(r.ok());
    std::string out = serialize(r.value);
    EXPECT_EQ(out, offer);  // canonical order and CRLF in, identical out
    auto again = parse(out);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(serialize(again.value), out);
}

TEST(Sdp, HoldAndDirectionEdits) {
    std::string hold =
        "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 4000 RTP/AVP 0\n";
    auto r = parse(hold);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value.conn->is_hold());
    media& m = r.value.media_sections[0];
    EXPECT_EQ(m.get_direction(), direction::sendrecv);
    m.set_direction(direction::inactive);
    EXPECT_EQ(m.get_direction(), direction::inactive);
    m.set_direction(direction::recvonly);
    EXPECT_EQ(m.get_direction(), direction::recvonly);
    EXPECT_EQ(m.attributes.size(), 1u);
}

TEST(OfferAnswer, AnswerDirection) {
    EXPECT_EQ(answer_direction(direction::sendonly), direction::recvonly);
    EXPECT_EQ(answer_direction(direction::recvonly), direction::sendonly);
    EXPECT_EQ(answer_direction(direction::inactive), direction::inactive);
    EXPECT_EQ(answer_direction(direction::sendrecv), direction::sendrecv);
    EXPECT_EQ(answer_direction(direction::sendrecv, direction::recvonly), direction::recvonly);
    EXPECT_EQ(answer_direction(direction::sendonly, direction::sendonly), direction::inactive);
}

TEST(OfferAnswer, CodecIntersectionKeepsOfferOrder) {
    auto r = parse(offer);
    ASSERT_TRUE(r.ok());
    media m = r.value.media_sections[0];
    std::vector<codec> ours = {
        {"telephone-event", 8000, ""}, {"pcmu", 8000, ""}, {"G729", 8000, ""}};
    auto pts = intersect_codecs(m, ours);
    EXPECT_EQ(pts, (std::vector<std::string>{"0", "101"}));
    keep_formats(m, pts);
    EXPECT_EQ(m.formats, pts);
    EXPECT_FALSE(m.rtpmap_for("96").has_value());
    EXPECT_FALSE(m.fmtp_for("96").has_value());
    EXPECT_EQ(m.fmtp_for("101"), "0-16");
    // Static payload type without rtpmap.
    media s;
    s.formats = {"18", "8"};
    EXPECT_EQ(intersect_codecs(s, {{"PCMA", 8000, ""}}), std::vector<std::string>{"8"});
    EXPECT_TRUE(intersect_codecs(s, {{"opus", 48000, "2"}}).empty());
}

TEST(OfferAnswer, RejectStream) {
    auto r = parse(offer);
    ASSERT_TRUE(r.ok());
    media m = r.value.media_sections[0];
    reject_stream(m);
    EXPECT_TRUE(m.rejected());
    EXPECT_EQ(m.formats.size(), 1u);
    EXPECT_TRUE(m.attributes.empty());
    session s = r.value;
    s.media_sections[0] = m;
    auto again = parse(serialize(s));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again.value.media_sections[0].rejected());
}

struct hostile_case {
    const char* name;
    std::string text;
    error expected;
};

std::string base(std::string_view media_lines) {
    return "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" +
           std::string(media_lines);
}

std::string many_crypto(int n) {
    std::string s = "m=audio 4000 RTP/SAVP 0\r\n";
    for (int i = 1; i <= n; ++i) {
        s += "a=crypto:" + std::to_string(i) +
             " AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";
    }
    return base(s);
}

class HostileSdp : public ::testing::TestWithParam<hostile_case> {};

TEST_P(HostileSdp, RejectedWithPreciseReason) {
    auto r = parse(GetParam().text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(error_name(r.err), error_name(GetParam().expected));
    EXPECT_FALSE(error_reason(r.err).empty());
}

INSTANTIATE_TEST_SUITE_P(
    All, HostileSdp,
    ::testing::Values(
        hostile_case{"empty", "", error::missing_version},
        hostile_case{"no_version", "o=- 1 1 IN IP4 1.2.3.4\r\n", error::missing_version},
        hostile_case{"version_1", "v=1\r\n", error::bad_version},
        hostile_case{"no_origin", "v=0\r\ns=-\r\nt=0 0\r\n", error::missing_origin},
        hostile_case{"bad_origin", "v=0\r\no=- x 1 IN IP4 a\r\ns=-\r\nt=0 0\r\n",
                     error::malformed_origin},
        hostile_case{"no_name", "v=0\r\no=- 1 1 IN IP4 a.b\r\nt=0 0\r\n",
                     error::missing_session_name},
        hostile_case{"no_timing", "v=0\r\no=- 1 1 IN IP4 a.b\r\ns=-\r\n", error::missing_timing},
        hostile_case{"garbage_line", base("garbage\r\n"), error::malformed_line},
        hostile_case{"missing_c",
                     "v=0\r\no=- 1 1 IN IP4 a.b\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
                     error::missing_connection},
        hostile_case{"bad_c", base("m=audio 4000 RTP/AVP 0\r\nc=IN IP4 999.1.1.1\r\n"),
                     error::malformed_connection},
        hostile_case{"port_range", base("m=audio 65536 RTP/AVP 0\r\n"), error::port_out_of_range},
        hostile_case{"port_huge", base("m=audio 99999999999999999999999 RTP/AVP 0\r\n"),
                     error::port_out_of_range},
        hostile_case{"port_negative", base("m=audio -1 RTP/AVP 0\r\n"), error::malformed_media},
        hostile_case{"no_formats", base("m=audio 4000 RTP/AVP\r\n"), error::malformed_media},
        hostile_case{"bad_rtpmap", base("m=audio 4000 RTP/AVP 0\r\na=rtpmap:200 X/8000\r\n"),
                     error::malformed_rtpmap},
        hostile_case{"bad_rtcp", base("m=audio 4000 RTP/AVP 0\r\na=rtcp:70000\r\n"),
                     error::malformed_rtcp},
        hostile_case{"crypto_17", many_crypto(17), error::too_many_crypto},
        hostile_case{"crypto_200_default_limits", many_crypto(200), error::too_large},
        hostile_case{"too_many_media", base([] {
                         std::string s;
                         for (int i = 0; i < 20; ++i) {
                             s += "m=audio 4000 RTP/AVP 0\r\n";
                         }
                         return s;
                     }()),
                     error::too_many_media},
        hostile_case{"too_large", std::string(20000, 'a'), error::too_large}),
    [](const auto& tp) { return std::string(tp.param.name); });

// RFC 4568 §7.1.2: an invalid a=crypto line is an attribute the answerer cannot accept, not a
// broken SDP; the SDP parses and parse_crypto_lines() names each line's fault.
TEST(Sdp, InvalidCryptoLinesLeaveTheSdpValid) {
    struct line_case {
        const char* crypto;
        error expected;
    };
    const line_case cases[] = {
        {"1 AES_CM_128_HMAC_SHA1_80", error::malformed_crypto},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQ==",
         error::crypto_bad_key_length},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewky*jA7fQp9CnVubGVz",
         error::crypto_bad_base64},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz NEW",
         error::crypto_unknown_session_param},
    };
    for (const line_case& c : cases) {
        auto r =
            parse(base("m=audio 4000 RTP/SAVP 0\r\na=crypto:" + std::string(c.crypto) + "\r\n"));
        ASSERT_TRUE(r.ok()) << c.crypto << ": " << error_name(r.err);
        EXPECT_EQ(error_name(parse_crypto_lines(r.value.media_sections.at(0)).err),
                  error_name(c.expected))
            << c.crypto;
    }
}

TEST(Sdp, CryptoLineLimitHoldsWithLargeSizeLimit) {
    limits lim;
    lim.max_bytes = 1 << 20;
    lim.max_lines = 100000;
    auto r = parse(many_crypto(200), lim);
    EXPECT_EQ(r.err, error::too_many_crypto);
    EXPECT_EQ(r.line, 6u + 16u + 1u);  // v o s c t m, then the 17th a=crypto
}

}  // namespace
}  // namespace sbc::sip::sdp
