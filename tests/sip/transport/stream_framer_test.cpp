#include "sip/transport/stream_framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::sip {
namespace {

std::string options_msg(std::string_view body = {}, std::string_view cl_header = "Content-Length") {
    std::string m =
        "OPTIONS sip:sbc.example.com SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
        "From: <sip:alice@example.com>;tag=1928301774\r\n"
        "To: <sip:sbc.example.com>\r\n"
        "Call-ID: a84b4c76e66710\r\n"
        "CSeq: 63104 OPTIONS\r\n";
    m += std::string(cl_header) + ": " + std::to_string(body.size()) + "\r\n\r\n";
    m += body;
    return m;
}

struct events {
    std::vector<std::string> messages;
    int pings = 0;
    int pongs = 0;
    frame_error error = frame_error::none;
    std::string error_head;
};

void drain(stream_framer& f, events& ev) {
    for (;;) {
        stream_frame fr = f.next();
        switch (fr.kind) {
            case frame_kind::need_more:
                return;
            case frame_kind::message:
                ev.messages.emplace_back(fr.bytes);
                break;
            case frame_kind::ping:
                ++ev.pings;
                break;
            case frame_kind::pong:
                ++ev.pongs;
                break;
            case frame_kind::error:
                ev.error = fr.error;
                ev.error_head = std::string(fr.head);
                return;
        }
    }
}

events feed(std::string_view data, std::size_t chunk, stream_limits limits = {}) {
    stream_framer f(limits);
    events ev;
    for (std::size_t i = 0; i < data.size() && ev.error == frame_error::none; i += chunk) {
        f.append(data.substr(i, chunk));
        drain(f, ev);
    }
    return ev;
}

TEST(StreamFramer, WholeMessageWithBody) {
    const auto m = options_msg("v=0\r\n");
    auto ev = feed(m, m.size());
    ASSERT_EQ(ev.messages.size(), 1u);
    EXPECT_EQ(ev.messages[0], m);
    EXPECT_EQ(ev.error, frame_error::none);
}

TEST(StreamFramer, SplitAtEveryByte) {
    const auto m = options_msg("hello body");
    auto ev = feed(m + m, 1);
    ASSERT_EQ(ev.messages.size(), 2u);
    EXPECT_EQ(ev.messages[0], m);
    EXPECT_EQ(ev.messages[1], m);
}

TEST(StreamFramer, CoalescedMessagesComeOutInOrder) {
    const auto a = options_msg("a");
    const auto b = options_msg("");
    const auto c = options_msg("ccc", "l");
    auto ev = feed(a + b + c + a.substr(0, 10), 1 << 20);
    ASSERT_EQ(ev.messages.size(), 3u);
    EXPECT_EQ(ev.messages[0], a);
    EXPECT_EQ(ev.messages[1], b);
    EXPECT_EQ(ev.messages[2], c);
    EXPECT_EQ(ev.error, frame_error::none);
}

TEST(StreamFramer, CompactAndOddlySpelledContentLength) {
    std::string m = options_msg("");
    m.replace(m.find("Content-Length: 0"), 17, "cOnTeNt-LeNgTh  :   4  ");
    m += "body";
    auto ev = feed(m, 7);
    ASSERT_EQ(ev.messages.size(), 1u);
    EXPECT_EQ(ev.messages[0], m);
}

TEST(StreamFramer, PingGetsReportedAndPongToo) {
    const auto m = options_msg("");
    auto ev = feed("\r\n\r\n" + m + "\r\n", 1 << 20);
    EXPECT_EQ(ev.pings, 1);
    EXPECT_EQ(ev.pongs, 1);
    ASSERT_EQ(ev.messages.size(), 1u);
    EXPECT_EQ(ev.messages[0], m);
}

TEST(StreamFramer, PingSplitAcrossReadsIsStillAPing) {
    stream_framer f({});
    events ev;
    f.append("\r\n");
    drain(f, ev);
    f.append("\r\n");
    drain(f, ev);
    EXPECT_EQ(ev.pings, 1);
    f.append("\r");
    drain(f, ev);
    f.append("\n");
    drain(f, ev);
    EXPECT_EQ(ev.pings, 1);
    EXPECT_EQ(ev.pongs, 2);  // the first half of the split ping, then a real pong
}

TEST(StreamFramer, MissingContentLengthIsAnErrorWithTheHead) {
    std::string m = options_msg("");
    m.erase(m.find("Content-Length"), 19);
    auto ev = feed(m + "garbage", 1 << 20);
    EXPECT_TRUE(ev.messages.empty());
    EXPECT_EQ(ev.error, frame_error::missing_content_length);
    EXPECT_EQ(ev.error_head, m);
}

TEST(StreamFramer, ConflictingContentLengthsAreRejected) {
    std::string m = options_msg("");
    m.insert(m.find("CSeq"), "l: 5\r\n");
    auto ev = feed(m, 3);
    EXPECT_EQ(ev.error, frame_error::bad_content_length);
    EXPECT_EQ(ev.error_head, m);
}

TEST(StreamFramer, NonNumericContentLengthIsRejected) {
    for (std::string_view bad : {"-1", "0x10", "", "1 2", "+3"}) {
        std::string m = options_msg("");
        m.replace(m.find("Content-Length: 0"), 17, "Content-Length: " + std::string(bad));
        auto ev = feed(m, 1 << 20);
        EXPECT_EQ(ev.error, frame_error::bad_content_length) << bad;
    }
}

TEST(StreamFramer, HugeContentLengthIsTooLargeWithTheHeadToAnswer) {
    std::string m = options_msg("");
    m.replace(m.find("Content-Length: 0"), 17, "Content-Length: 99999999999999999999999999");
    auto ev = feed(m, 1 << 20);
    EXPECT_EQ(ev.error, frame_error::body_too_large);
    EXPECT_EQ(ev.error_head, m);

    stream_limits small;
    small.max_message_size = 400;
    auto ev2 = feed(options_msg(std::string(300, 'x')), 1 << 20, small);
    EXPECT_EQ(ev2.error, frame_error::body_too_large);
}

TEST(StreamFramer, EndlessHeaderBlockIsBounded) {
    stream_limits limits;
    limits.max_message_size = 4096;
    limits.max_headers = 1000;
    std::string m = "INVITE sip:x SIP/2.0\r\n";
    while (m.size() < 10000) {
        m += "X-Filler: 0123456789\r\n";
    }
    auto ev = feed(m, 100, limits);
    EXPECT_EQ(ev.error, frame_error::header_too_large);
}

TEST(StreamFramer, TooManyHeaders) {
    stream_limits limits;
    limits.max_headers = 10;
    std::string m = "INVITE sip:x SIP/2.0\r\n";
    for (int i = 0; i < 11; ++i) {
        m += "X-H: v\r\n";
    }
    auto ev = feed(m, 1 << 20, limits);
    EXPECT_EQ(ev.error, frame_error::too_many_headers);
    // Exactly at the limit is fine.
    std::string ok = "INVITE sip:x SIP/2.0\r\n";
    for (int i = 0; i < 9; ++i) {
        ok += "X-H: v\r\n";
    }
    ok += "Content-Length: 0\r\n\r\n";
    auto ev2 = feed(ok, 1 << 20, limits);
    EXPECT_EQ(ev2.error, frame_error::none);
    EXPECT_EQ(ev2.messages.size(), 1u);
}

TEST(StreamFramer, LongLinesFoldsAndPartialLinesAreBounded) {
    stream_limits limits;
    limits.max_line_length = 100;
    // A complete header line over the limit.
    auto ev =
        feed("INVITE sip:x SIP/2.0\r\nX-Long: " + std::string(100, 'a') + "\r\n", 1 << 20, limits);
    EXPECT_EQ(ev.error, frame_error::line_too_long);
    // A header whose folds together pass the limit.
    auto ev2 = feed("INVITE sip:x SIP/2.0\r\nX-Fold: " + std::string(60, 'a') + "\r\n " +
                        std::string(60, 'b') + "\r\n",
                    1 << 20, limits);
    EXPECT_EQ(ev2.error, frame_error::line_too_long);
    // A line that never ends.
    auto ev3 = feed("INVITE sip:x SIP/2.0\r\nX-Endless: " + std::string(500, 'a'), 7, limits);
    EXPECT_EQ(ev3.error, frame_error::line_too_long);
    // The start line counts too.
    auto ev4 = feed("INVITE sip:" + std::string(200, 'u') + " SIP/2.0\r\n", 1 << 20, limits);
    EXPECT_EQ(ev4.error, frame_error::line_too_long);
    // Exactly at the limit passes.
    std::string line = "X-Ok: " + std::string(94, 'a');
    ASSERT_EQ(line.size(), 100u);
    auto ev5 =
        feed("INVITE sip:x SIP/2.0\r\n" + line + "\r\nContent-Length: 0\r\n\r\n", 1 << 20, limits);
    EXPECT_EQ(ev5.error, frame_error::none);
    EXPECT_EQ(ev5.messages.size(), 1u);
}

TEST(StreamFramer, PendingBytesOverflow) {
    stream_limits limits;
    limits.max_pending_bytes = 512;
    const auto m = options_msg(std::string(1000, 'b'));
    auto ev = feed(m, 64, limits);
    EXPECT_EQ(ev.error, frame_error::pending_overflow);
    EXPECT_TRUE(ev.messages.empty());
}

TEST(StreamFramer, CoalescedCompleteMessagesDoNotCountAsPending) {
    stream_limits limits;
    limits.max_pending_bytes = 600;
    const auto m = options_msg("x");
    ASSERT_LT(m.size(), 600u);
    std::string burst;
    for (int i = 0; i < 10; ++i) {
        burst += m;
    }
    auto ev = feed(burst, burst.size(), limits);
    EXPECT_EQ(ev.error, frame_error::none);
    EXPECT_EQ(ev.messages.size(), 10u);
}

TEST(StreamFramer, ErrorIsTerminal) {
    stream_framer f({});
    f.append("INVITE sip:x SIP/2.0\r\nContent-Length: x\r\n\r\n");
    EXPECT_EQ(f.next().error, frame_error::bad_content_length);
    f.append(options_msg(""));
    auto again = f.next();
    EXPECT_EQ(again.kind, frame_kind::error);
    EXPECT_TRUE(f.failed());
}

TEST(StreamFramer, SlowDripOfALargeHeaderBlockScansOnce) {
    // 60 KB of headers one byte at a time: with a rescan per byte this would take minutes.
    std::string m = "REGISTER sip:x SIP/2.0\r\n";
    while (m.size() < 60000) {
        m += "X-Pad: 0123456789012345678901234567890123456789\r\n";
    }
    m += "Content-Length: 0\r\n\r\n";
    stream_limits limits;
    limits.max_headers = 5000;
    auto ev = feed(m, 1, limits);
    ASSERT_EQ(ev.messages.size(), 1u);
    EXPECT_EQ(ev.messages[0], m);
}

TEST(StreamFramer, NamesComeFromTheTable) {
    EXPECT_EQ(frame_error_name(frame_error::pending_overflow), "pending_overflow");
    EXPECT_EQ(frame_error_name(frame_error::none), "none");
}

}  // namespace
}  // namespace sbc::sip
