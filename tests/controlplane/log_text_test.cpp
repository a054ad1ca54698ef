// Peer bytes in log lines (issue 10): no line break, control character, invalid UTF-8 or
// flood reaches the log from what a peer sent.

#include "controlplane/log_text.hpp"

#include <gtest/gtest.h>

using namespace std::string_literals;
using sbc::cp::log_text;

TEST(log_text, a_crlf_cannot_forge_a_second_log_line) {
    const std::string forged =
        "bye from caller\r\n2024-01-01T00:00:00.000 warn sbcd: sip_server node osv1 down"s;
    const std::string out = log_text(forged);
    EXPECT_EQ(out.find('\r'), std::string::npos);
    EXPECT_EQ(out.find('\n'), std::string::npos);
    EXPECT_EQ(out,
              "bye from caller\\x0d\\x0a2024-01-01T00:00:00.000 warn sbcd: sip_server node "
              "osv1 down");
}

TEST(log_text, controls_nul_and_invalid_utf8_are_escaped_valid_utf8_is_kept) {
    EXPECT_EQ(log_text("c=IN\xff IP4"s), "c=IN\\xff IP4");
    EXPECT_EQ(log_text("a\0b\x1b[31m\x7f"s), "a\\x00b\\x1b[31m\\x7f");
    EXPECT_EQ(log_text("x\xc0\xafy"s), "x\\xc0\\xafy");                  // overlong '/'
    EXPECT_EQ(log_text("x\xed\xa0\x80y"s), "x\\xed\\xa0\\x80y");         // surrogate
    EXPECT_EQ(log_text("x\xf4\x90\x80\x80"s), "x\\xf4\\x90\\x80\\x80");  // above U+10FFFF
    EXPECT_EQ(log_text("csi \xc2\x9b"s), "csi \\xc2\\x9b");              // C1 control
    EXPECT_EQ(log_text("ls \xe2\x80\xa8 ps \xe2\x80\xa9"s),
              "ls \\xe2\\x80\\xa8 ps \\xe2\\x80\\xa9");
    EXPECT_EQ(log_text("cut \xe2\x82"s), "cut \\xe2\\x82");  // truncated sequence
    EXPECT_EQ(log_text("back\\slash"), "back\\\\slash");     // an escape cannot be faked
    EXPECT_EQ(log_text("Grüße, 日本, 😀"), "Grüße, 日本, 😀");
}

TEST(log_text, a_flood_is_cut_with_a_note_of_its_size) {
    const std::string line(20000, 'a');
    const std::string out = log_text(line);
    EXPECT_EQ(out, std::string(sbc::cp::log_text_max, 'a') + "...(+" +
                       std::to_string(20000 - sbc::cp::log_text_max) + " bytes)");
    EXPECT_EQ(log_text("abcdef", 3), "abc...(+3 bytes)");
    EXPECT_EQ(log_text(""), "");
}
