#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace sbc::config::test {

// A small valid appliance: access realm TLS only, core realm TCP only, two media profiles, one
// certificate profile whose files live under /sbc-test-pki (replace it to check files).
extern const std::string minimal_toml;

load_result load(std::string_view text, bool check_files = false);

// `text` with the one occurrence of `from` replaced by `to` (the test fails if it is not unique).
std::string replace(std::string text, std::string_view from, std::string_view to);

struct place {
    uint32_t line = 0;
    uint32_t column = 0;
};
// 1-based line and column of `needle` in `text`, plus `offset` columns.
place locate(std::string_view text, std::string_view needle, uint32_t offset = 0);

std::string read_text_file(const std::string& path);
std::string source_dir();

// The result failed with exactly one error: at `at`, for `key`, its rule containing `rule_part`.
void expect_one_error(const load_result& result, std::string_view key, place at,
                      std::string_view rule_part);

std::string describe(const load_result& result);

}  // namespace sbc::config::test
