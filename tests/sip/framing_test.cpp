// Stream framing as the parser meets it: what sip/transport's stream_framer hands over parses as a
// stream message, keep-alives come out before a message, a head or body still arriving yields
// nothing, and hostile lengths stop the stream with the reason an answer needs. (The framer's own
// bounds and chunking are tested in tests/sip/transport/stream_framer_test.cpp.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/message.hpp"
#include "sip/transport/stream_framer.hpp"

namespace sbc::sip {
namespace {

const std::string msg =
    "MESSAGE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
    "From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: f\r\n"
    "CSeq: 1 MESSAGE\r\nl: 5\r\n\r\nhello";

struct framed {
    std::vector<std::string> messages;
    int pings = 0;
    int pongs = 0;
    frame_error error = frame_error::none;
    std::string error_head;
};

framed frame_all(std::string_view bytes, const stream_limits& limits = {}) {
    stream_framer f(limits);
    f.append(bytes);
    framed out;
    for (int guard = 0; guard < 1000; ++guard) {
        stream_frame fr = f.next();
        switch (fr.kind) {
            case frame_kind::need_more:
                return out;
            case frame_kind::message:
                out.messages.emplace_back(fr.bytes);
                break;
            case frame_kind::ping:
                ++out.pings;
                break;
            case frame_kind::pong:
                ++out.pongs;
                break;
            case frame_kind::error:
                out.error = fr.error;
                out.error_head = std::string(fr.head);
                return out;
        }
    }
    ADD_FAILURE() << "framer did not settle";
    return out;
}

parse_options stream() {
    parse_options o;
    o.how = framing::stream;
    return o;
}

TEST(Framing, CompleteMessagesParseAsStreamMessages) {
    framed f = frame_all(msg + msg);
    ASSERT_EQ(f.messages.size(), 2u);
    for (const std::string& m : f.messages) {
        EXPECT_EQ(m, msg);
        auto r = parse(m, stream());
        ASSERT_TRUE(r.ok()) << error_name(r.error().code);
        EXPECT_EQ(r->body(), "hello");
        EXPECT_EQ(r->trailing_bytes(), 0u);
    }
}

TEST(Framing, NothingUntilTheBodyHasArrived) {
    for (std::size_t n = 1; n < msg.size(); ++n) {
        framed f = frame_all(std::string_view(msg).substr(0, n));
        EXPECT_TRUE(f.messages.empty()) << n;
        EXPECT_EQ(f.error, frame_error::none) << n;
    }
}

TEST(Framing, KeepAlivesBeforeAMessage) {
    framed f = frame_all("\r\n\r\n" + msg);
    EXPECT_EQ(f.pings, 1);
    ASSERT_EQ(f.messages.size(), 1u);
    EXPECT_TRUE(parse(f.messages[0], stream()).ok());
}

TEST(Framing, HostileLengthsStopTheStreamWithTheHead) {
    std::string no_length = msg;
    no_length.replace(no_length.find("l: 5\r\n"), 6, "");
    framed f = frame_all(no_length);
    EXPECT_EQ(f.error, frame_error::missing_content_length);
    // The head is handed over so that a 400 can be answered; the parser names the same fault.
    ASSERT_FALSE(f.error_head.empty());
    auto p = parse(no_length, stream());
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, error_code::missing_content_length);

    std::string conflicting = msg;
    conflicting.insert(conflicting.find("l: 5"), "Content-Length: 7\r\n");
    EXPECT_EQ(frame_all(conflicting).error, frame_error::bad_content_length);

    std::string negative = msg;
    negative.replace(negative.find("l: 5"), 4, "l: -5");
    EXPECT_EQ(frame_all(negative).error, frame_error::bad_content_length);

    std::string huge = msg;
    huge.replace(huge.find("l: 5"), 4, "l: 999999999");
    EXPECT_EQ(frame_all(huge).error, frame_error::body_too_large);

    stream_limits small;
    small.max_message_size = 200;
    std::string big_body = msg;
    big_body.replace(big_body.find("l: 5"), 4, "l: 150");
    EXPECT_EQ(frame_all(big_body, small).error, frame_error::body_too_large);
    EXPECT_EQ(frame_all(std::string(300, 'A'), small).error, frame_error::header_too_large);
}

}  // namespace
}  // namespace sbc::sip
