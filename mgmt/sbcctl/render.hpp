#pragma once
// Text rendering of sbcd's JSON answers for people. Scripts use --json instead.

#include <string>

#include <nlohmann/json.hpp>

namespace sbc::mgmt {

std::string render_status(const nlohmann::json& status);

// A {"columns":[...],"rows":[[...],...]} answer as an aligned table.
std::string render_table(const nlohmann::json& table);

// A JSON scalar as text ("-" for null).
std::string scalar_text(const nlohmann::json& v);

}  // namespace sbc::mgmt
