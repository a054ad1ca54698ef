#pragma once

#include <string_view>

#include "config/reader.hpp"

// The value rules shared by the section readers, each with the text an operator reads.

namespace sbc::config::detail::rules {

extern const string_rule instance_name;  // 1-31 of [a-z0-9-]
extern const string_rule name;           // profile/node names: 1-63 of [A-Za-z0-9_.-]
extern const string_rule ip_literal;
extern const string_rule host;
extern const string_rule cidr;
extern const string_rule mac;
extern const string_rule https_url;
extern const string_rule absolute_path;
extern const string_rule codec;
extern const string_rule token;       // provider names: 1-63 of [a-z0-9_-]
extern const string_rule group_name;  // a unix group name
extern const string_rule non_empty;
// A dialled-number pattern: a non-empty ECMAScript regex (a plain number is one).
extern const string_rule number_pattern;
extern const string_rule no_proxy_entry;  // config/no_proxy.hpp
extern const string_rule proxy_username;  // printable ASCII, no ':' (RFC 7617)

bool is_name(std::string_view text);

// Reads `key` as a std::regex ECMAScript expression; an error carries the compiler's reason.
bool regex(table_reader& reader, std::string_view key, std::string& out, need n);

}  // namespace sbc::config::detail::rules
