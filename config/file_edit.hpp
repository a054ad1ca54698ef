#pragma once

#include <string>
#include <string_view>

// `sbcctl set KEY VALUE --save`: one key written back into the config file as the operator wrote
// it. Every other byte stays: comments, blank lines, order, the other keys' spelling.

namespace sbc::config {

struct file_edit {
    std::string text;   // the edited file; empty when `error` is set
    std::string error;  // why the key could not be written ("KEY: ...")
};

// `text` with `key` (dotted, arrays of tables 0-based: "user_agent[1].pattern") set to
// `toml_value` (TOML text such as 42, "debug", ["a", "b"]). The key's line in its table is
// replaced, keeping a trailing comment; a key the table does not spell out is added after the
// table's last key; a plain table the file lacks is appended. A value spanning several lines,
// or an element of an array of tables the file does not have, is an error.
file_edit set_in_file(std::string_view text, std::string_view key, std::string_view toml_value);

}  // namespace sbc::config
