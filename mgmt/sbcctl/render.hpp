#pragma once
// Text rendering of sbcd's JSON answers for people. Scripts use --json instead.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mgmt/json_text.hpp"

namespace sbc::mgmt {

std::string render_status(const nlohmann::json& status);

// A {"columns":[...],"rows":[[...],...]} answer as an aligned table.
std::string render_table(const nlohmann::json& table);

// A JSON scalar as text ("-" for null), with terminal_text applied to strings.
std::string scalar_text(const nlohmann::json& v);

// Text for a terminal: strings in sbcd's answers may hold a peer's bytes (a User-Agent, a
// display name), and a control character in them (ESC, CR, C1 CSI) would drive the operator's
// terminal. C0 controls and DEL become \xNN, C1 controls (U+0080-U+009F) \u00NN.
std::string terminal_text(std::string_view utf8);

}  // namespace sbc::mgmt
