#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/appliance.hpp"

// Loading, validating and printing the appliance config. Nothing starts on a config that has
// errors: the loader reports every broken rule at once, each with its position in the file.

namespace sbc::config {

struct error {
    std::string file;
    uint32_t line = 0;  // 1-based; 0 when the error is not tied to a place in the file
    uint32_t column = 0;
    std::string key;  // dotted path, arrays 0-based: "media_profile[1].sdes_suites[0]"
    std::string rule;

    // "file:line:col: key: rule" (the key part is left out for errors without one, such as a
    // TOML syntax error).
    std::string to_string() const;
};

struct load_result {
    std::optional<appliance> config;  // set exactly when `errors` is empty
    std::vector<error> errors;        // in file order
};

struct load_options {
    // Check things outside the file: certificate/key/CA files exist and parse, the mgmt group
    // exists. sbcd and sbcctl always check; build-time and unit-test checks of configs that
    // name files of a running appliance (the embedded default) turn it off.
    bool check_files = true;
};

load_result load_file(const std::string& path, const load_options& options = {});
load_result load_string(std::string_view toml_text, std::string_view source_name,
                        const load_options& options = {});

// The compiled-in appliance config (config/default.toml at build time).
std::string_view embedded_default_toml();
// The embedded default, loaded without file checks. Aborts, printing the errors, if it is
// invalid (a build-time check makes that impossible in a built tree).
appliance embedded_default();

// The config as TOML, every key written out (defaults included). Loading the text gives back an
// equal `appliance`.
std::string to_toml(const appliance& config);

}  // namespace sbc::config
