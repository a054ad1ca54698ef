// multipart/* bodies (RFC 2046 §5.1, RFC 5621): parts, nesting, SDP lookup, malformed bodies.
#include <gtest/gtest.h>

#include "sip/message.hpp"
#include "sip/multipart.hpp"

namespace sbc::sip {
namespace {

const std::string body =
    "preamble to ignore\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello\r\n"
    "--b1\r\n"
    "Content-Type: multipart/alternative; boundary=\"in ner\"\r\n"
    "\r\n"
    "--in ner\r\n"
    "Content-Type: application/sdp\r\n"
    "\r\n"
    "v=0\r\n"
    "--in ner--\r\n"
    "\r\n"
    "--b1\r\n"
    "\r\n"
    "no headers: text/plain by default\r\n"
    "--b1--\r\n"
    "epilogue";

TEST(Multipart, PartsAndNesting) {
    auto parts = parse_multipart(body, "b1");
    ASSERT_TRUE(parts.ok());
    ASSERT_EQ(parts->size(), 3u);
    EXPECT_EQ(parts->at(0).content_type, "text/plain");
    EXPECT_EQ(parts->at(0).body, "hello");
    EXPECT_EQ(parts->at(2).content_type, "");
    EXPECT_EQ(parts->at(2).body, "no headers: text/plain by default");
    EXPECT_EQ(find_part(body, "b1", "application", "sdp"), "v=0");
    EXPECT_EQ(find_part(body, "b1", "image", "png"), std::nullopt);
}

TEST(Multipart, MalformedBodiesRejected) {
    EXPECT_FALSE(parse_multipart("no delimiter at all", "b1").ok());
    EXPECT_FALSE(parse_multipart("--b1\r\nContent-Type: text/plain\r\n\r\nx\r\n", "b1").ok());
    EXPECT_FALSE(parse_multipart("--b1\r\nContent-Type: text/plain", "b1").ok());
    EXPECT_FALSE(parse_multipart(body, "").ok());
    EXPECT_FALSE(parse_multipart(body, std::string(71, 'x')).ok());
    std::string many;
    for (int i = 0; i < 40; ++i) {
        many += "--b\r\n\r\nx\r\n";
    }
    many += "--b--\r\n";
    EXPECT_FALSE(parse_multipart(many, "b").ok());  // more parts than the limit
    EXPECT_TRUE(parse_multipart(many, "b", 64).ok());
}

TEST(Multipart, DeepNestingIsBounded) {
    // Each level names the next boundary; the search stops at a fixed depth.
    std::string inner = "--l9\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--l9--\r\n";
    for (int level = 8; level >= 0; --level) {
        const std::string b{'l', char('0' + level)};
        const std::string next{'l', char('0' + level + 1)};
        std::string outer = "--";
        outer.append(b).append("\r\nContent-Type: multipart/mixed;boundary=").append(next);
        outer.append("\r\n\r\n").append(inner).append("\r\n--").append(b).append("--\r\n");
        inner = std::move(outer);
    }
    EXPECT_EQ(find_part(inner, "l0", "application", "sdp"), std::nullopt);
}

TEST(Multipart, MessageSdpBodyFromMultipart) {
    std::string msg =
        "INVITE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: mp\r\n"
        "CSeq: 1 INVITE\r\nContent-Type: multipart/mixed;boundary=b1\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    auto m = parse(msg);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->sdp_body(), "v=0");
}

}  // namespace
}  // namespace sbc::sip
