// JSON text from peer bytes (issue 10, finding 1): a string holding bytes that are not UTF-8
// must come out as valid JSON, not as an exception; sbcctl must not hand a peer's control
// characters to the operator's terminal.

#include "mgmt/json_text.hpp"

#include <gtest/gtest.h>

#include "mgmt/protocol.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {
namespace {

using namespace std::string_literals;

// What a hostile peer puts into a header value or an SDP line.
const std::vector<std::pair<const char*, std::string>> hostile = {
    {"0xFF", "c=IN\xff IP4 10.1.1.2"s},
    {"bare CR", "Zoom\rPhone"s},
    {"NUL", "a\0b"s},
    {"overlong '/'", "x\xc0\xafy"s},
    {"overlong 3-byte NUL", "x\xe0\x80\x80y"s},
    {"UTF-16 surrogate", "x\xed\xa0\x80y"s},
    {"truncated euro sign", "price \xe2\x82"s},
    {"beyond U+10FFFF", "x\xf4\x90\x80\x80y"s},
    {"lone continuation", "\x80\x80\x80"s},
};

TEST(json_text, a_plain_dump_throws_on_peer_bytes_that_json_text_writes) {
    // The failure this guards against: what killed sbcd.
    nlohmann::json j = {{"c", hostile[0].second}};
    EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);
    EXPECT_NO_THROW((void)json_text(j));
}

TEST(json_text, every_hostile_string_becomes_valid_json_that_reads_back) {
    for (const auto& [what, bytes] : hostile) {
        nlohmann::json j = {{"user_agent", bytes}, {"nested", {{"list", {bytes, 1}}}}};
        std::string text;
        ASSERT_NO_THROW(text = json_text(j)) << what;
        ASSERT_NO_THROW(text = json_text(j, 2)) << what;
        const auto back = nlohmann::json::parse(text, nullptr, false);
        ASSERT_FALSE(back.is_discarded()) << what << ": " << text;
        const std::string v = back["user_agent"].get<std::string>();
        // Still valid UTF-8 on a second dump.
        EXPECT_NO_THROW((void)back.dump()) << what;
        EXPECT_EQ(back["nested"]["list"][0].get<std::string>(), v) << what;
        // No raw control byte in the text: JSON escaped it.
        for (char ch : text) {
            EXPECT_FALSE(ch == '\r' || ch == '\0') << what;
        }
    }
}

TEST(json_text, invalid_bytes_become_the_replacement_character_and_controls_survive_escaped) {
    auto round = [](const std::string& s) {
        return nlohmann::json::parse(json_text(nlohmann::json(s))).get<std::string>();
    };
    EXPECT_EQ(round("c=IN\xff IP4 10.1.1.2"s), "c=IN\xef\xbf\xbd IP4 10.1.1.2");
    EXPECT_EQ(round("x\xc0\xafy"s).find('/'), std::string::npos);  // no overlong decoding
    EXPECT_NE(round("x\xc0\xafy"s).find("\xef\xbf\xbd"), std::string::npos);
    EXPECT_EQ(round("Zoom\rPhone"s), "Zoom\rPhone"s);  // a CR is data, escaped as \r
    EXPECT_EQ(round("a\0b"s), "a\0b"s);
    EXPECT_EQ(round("Grüße 日本"), "Grüße 日本");  // valid UTF-8 untouched
}

TEST(json_text, mgmt_answers_carry_peer_bytes_through_the_protocol) {
    for (const auto& [what, bytes] : hostile) {
        response r{true, {{"rows", {{bytes, 1}}}}, ""};
        std::string line;
        ASSERT_NO_THROW(line = encode(r)) << what;
        response back;
        std::string error;
        ASSERT_TRUE(decode(line, back, error)) << what << ": " << error;
        EXPECT_TRUE(back.ok);
        request q{"registrations", {{"aor", bytes}}};
        ASSERT_NO_THROW(line = encode(q)) << what;
    }
}

TEST(terminal_text, control_characters_of_a_peer_never_reach_the_terminal) {
    EXPECT_EQ(terminal_text("ZoomPbxPhone\r\x1b[2J\x7f"), "ZoomPbxPhone\\x0d\\x1b[2J\\x7f");
    EXPECT_EQ(terminal_text("csi \xc2\x9b"
                            "31m"),
              "csi \\u009b31m");
    EXPECT_EQ(terminal_text("Grüße \xc2\xa0ok"), "Grüße \xc2\xa0ok");  // NBSP is not a control
    EXPECT_EQ(scalar_text(nlohmann::json("a\nb")), "a\\x0ab");
    nlohmann::json table;
    table["columns"] = nlohmann::json::array({"aor", "user_agent"});
    table["rows"] = nlohmann::json::array();
    table["rows"].push_back(nlohmann::json::array({"sip:a@b", "evil\x1b]0;title\x07"}));
    const std::string text = render_table(table);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
    EXPECT_NE(text.find("evil\\x1b]0;title\\x07"), std::string::npos) << text;
}

}  // namespace
}  // namespace sbc::mgmt
