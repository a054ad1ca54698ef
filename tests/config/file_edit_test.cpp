// `sbcctl set KEY VALUE --save`: one key written back into the operator's file, every other byte
// kept.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/file_edit.hpp"
#include "support.hpp"

namespace sbc::config::test {
namespace {

const std::string file = R"(# the appliance
instance = "lab"   # why: the lab

[log]
# chatty while we debug
level = "info"  # was "warn"

[security.dos]
max_requests_per_source_per_s = 50
blacklist_duration_s=300

# keep: a comment before the next table
[[user_agent]]
name = "a"
pattern = "A#1"   # a hash inside a string

[[user_agent]]
name = "b"
pattern = "B"
lcores = [1,
  2]
)";

std::string edited(std::string_view key, std::string_view value) {
    const file_edit e = set_in_file(file, key, value);
    EXPECT_TRUE(e.error.empty()) << e.error;
    return e.text;
}

TEST(FileEdit, ReplacesTheKeyLineKeepingItsComment) {
    EXPECT_EQ(edited("log.level", "\"debug\""), replace(file, "level = \"info\"  # was \"warn\"",
                                                        "level = \"debug\"  # was \"warn\""));
    EXPECT_EQ(edited("instance", "\"lab2\""),
              replace(file, "instance = \"lab\"   # why", "instance = \"lab2\"  # why"));
    EXPECT_EQ(edited("security.dos.blacklist_duration_s", "60"),
              replace(file, "blacklist_duration_s=300", "blacklist_duration_s = 60"));
    EXPECT_EQ(edited("user_agent[0].pattern", "\"Z\""),
              replace(file, "pattern = \"A#1\"   # a hash", "pattern = \"Z\"  # a hash"));
    EXPECT_EQ(edited("user_agent[1].pattern", "\"Q\""),
              replace(file, "pattern = \"B\"", "pattern = \"Q\""));
}

TEST(FileEdit, AddsAKeyTheTableDoesNotSpellOut) {
    EXPECT_EQ(edited("security.dos.dynamic_blacklist", "false"),
              replace(file, "blacklist_duration_s=300\n",
                      "blacklist_duration_s=300\ndynamic_blacklist = false\n"));
    EXPECT_EQ(edited("log.x", "1"), replace(file, "# was \"warn\"\n", "# was \"warn\"\nx = 1\n"));
    EXPECT_EQ(edited("calls.max_sessions", "5"), file + "\n[calls]\nmax_sessions = 5\n");
}

TEST(FileEdit, RefusesWhatItCannotWriteSafely) {
    for (const auto& [key, why] : std::vector<std::pair<std::string, std::string>>{
             {"user_agent[1].lcores", "spans several lines"},
             {"user_agent[2].pattern", "no [[user_agent]] number 2"},
             {"log.", "not a key"},
             {"user_agent[x].name", "not a key"},
             {"a[1]b.c", "not a key"}}) {
        const file_edit e = set_in_file(file, key, "1");
        EXPECT_TRUE(e.text.empty()) << key;
        EXPECT_EQ(e.error.rfind(key + ": ", 0), 0U) << e.error;
        EXPECT_NE(e.error.find(why), std::string::npos) << e.error;
    }
}

TEST(FileEdit, TheEmbeddedDefaultStaysValidAndChangesOnlyTheKey) {
    const std::string text(embedded_default_toml());
    const appliance before = embedded_default();
    const file_edit e = set_in_file(text, "security.dos.blacklist_duration_s", "61");
    ASSERT_TRUE(e.error.empty()) << e.error;
    auto loaded = load_string(e.text, "edited", load_options{false});
    ASSERT_TRUE(loaded.errors.empty()) << loaded.errors[0].to_string();
    appliance want = before;
    want.security.dos.blacklist_duration_s = 61;
    EXPECT_TRUE(*loaded.config == want);
    // Only the one line differs.
    EXPECT_EQ(e.text.size() + 1, text.size());
}

}  // namespace
}  // namespace sbc::config::test
