// Stream framing: keep-alives, partial heads and bodies, pipelined messages, hostile lengths.
#include <gtest/gtest.h>

#include "sip/framing.hpp"

namespace sbc::sip {
namespace {

const std::string msg =
    "MESSAGE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
    "From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: f\r\n"
    "CSeq: 1 MESSAGE\r\nl: 5\r\n\r\nhello";

TEST(Framing, CompleteMessageAndPipelining) {
    std::string two = msg + msg;
    frame f = next_frame(two);
    ASSERT_EQ(f.status, frame_status::message);
    EXPECT_EQ(f.size, msg.size());
    parse_options o;
    o.how = framing::stream;
    EXPECT_TRUE(parse(std::string_view(two).substr(0, f.size), o).ok());
    EXPECT_EQ(next_frame(std::string_view(two).substr(f.size)).size, msg.size());
}

TEST(Framing, NeedsMoreUntilBodyArrives) {
    for (std::size_t n = 0; n < msg.size(); ++n) {
        EXPECT_EQ(next_frame(std::string_view(msg).substr(0, n)).status, frame_status::need_more)
            << n;
    }
}

TEST(Framing, KeepAlives) {
    frame f = next_frame("\r\n\r\nINVITE");
    EXPECT_EQ(f.status, frame_status::keepalive);
    EXPECT_EQ(f.size, 4u);
}

TEST(Framing, Errors) {
    std::string no_length = msg;
    no_length.replace(no_length.find("l: 5\r\n"), 6, "");
    EXPECT_EQ(next_frame(no_length).error, error_code::missing_content_length);
    std::string conflicting = msg;
    conflicting.insert(conflicting.find("l: 5"), "Content-Length: 7\r\n");
    EXPECT_EQ(next_frame(conflicting).error, error_code::malformed_content_length);
    std::string negative = msg;
    negative.replace(negative.find("l: 5"), 4, "l: -5");
    EXPECT_EQ(next_frame(negative).error, error_code::malformed_content_length);
    std::string huge = msg;
    huge.replace(huge.find("l: 5"), 4, "l: 999999999");
    EXPECT_EQ(next_frame(huge).error, error_code::malformed_content_length);
    parse_limits small;
    small.max_message_bytes = 200;
    std::string big_body = msg;
    big_body.replace(big_body.find("l: 5"), 4, "l: 150");
    EXPECT_EQ(next_frame(big_body, small).error, error_code::message_too_large);
    EXPECT_EQ(next_frame(std::string(300, 'A'), small).error, error_code::message_too_large);
}

}  // namespace
}  // namespace sbc::sip
