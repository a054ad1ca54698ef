#pragma once
// Text rendering of sbcd's JSON answers for people. Scripts use --json instead.

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/counters.hpp"
#include "mgmt/json_text.hpp"

namespace sbc::mgmt {

std::string render_status(const nlohmann::json& status);

// A {"columns":[...],"rows":[[...],...]} answer as an aligned table.
std::string render_table(const nlohmann::json& table);

// A JSON scalar as text ("-" for null), with terminal_text applied to strings.
std::string scalar_text(const nlohmann::json& v);

// sbcd's answers read without trusting their shape (a newer or older sbcd, a bug): member `key`
// of `j` as text, `none` when `j` is not an object or the member is missing, null or empty;
// member `key` as an object, an empty object when it is missing or not an object (so nothing
// throws or walks a temporary).
std::string text_of(const nlohmann::json& j, const char* key, const char* none = "-");
const nlohmann::json& object_of(const nlohmann::json& j, const char* key);
// Member `key` as an array, an empty array when it is missing or not an array.
const nlohmann::json& array_of(const nlohmann::json& j, const char* key);

// Text for a terminal: strings in sbcd's answers may hold a peer's bytes (a User-Agent, a
// display name), and a control character in them (ESC, CR, C1 CSI) would drive the operator's
// terminal. C0 controls and DEL become \xNN, C1 controls (U+0080-U+009F) \u00NN.
std::string terminal_text(std::string_view utf8);

// "label: name value, name value, ..." over the rows of a counter family, in the family's
// order, wrapped at 100 columns; values from the family's JSON (`-` when one is missing).
std::string render_counter_line(std::string_view label, std::span<const counter_row> rows,
                                const nlohmann::json& values);
template <class Family>
std::string render_counters(std::string_view label, const nlohmann::json& values) {
    return render_counter_line(label, Family::rows, values);
}

}  // namespace sbc::mgmt
