#include "config/file_edit.hpp"

#include <charconv>
#include <cstddef>
#include <vector>

namespace sbc::config {
namespace {

struct key_path {
    std::string table;        // "security.dos", "user_agent", "" for the top level
    bool array_item = false;  // [[table]]
    std::size_t index = 0;    // which [[table]], when array_item
    std::string leaf;         // "blacklist_duration_s"
};

// "user_agent[1].pattern" -> {"user_agent", true, 1, "pattern"}. Only the last table segment
// may be indexed (nested arrays of tables such as sip_server.node[0].x keep "sip_server.node").
bool split_key(std::string_view key, key_path& out) {
    const std::size_t dot = key.rfind('.');
    out.leaf = std::string(dot == std::string_view::npos ? key : key.substr(dot + 1));
    if (out.leaf.empty() || out.leaf.find_first_of("[]") != std::string::npos) {
        return false;
    }
    std::string_view table =
        dot == std::string_view::npos ? std::string_view() : key.substr(0, dot);
    if (!table.empty() && table.back() == ']') {
        const std::size_t open = table.rfind('[');
        if (open == std::string_view::npos) {
            return false;
        }
        const std::string_view digits = table.substr(open + 1, table.size() - open - 2);
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), out.index);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
            return false;
        }
        out.array_item = true;
        table = table.substr(0, open);
    }
    if (table.find_first_of("[]") != std::string_view::npos || table.starts_with('.') ||
        table.ends_with('.')) {
        return false;
    }
    out.table = std::string(table);
    return true;
}

std::string_view trim(std::string_view s) {
    const std::size_t b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return {};
    }
    const std::size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// A table header line: its name and whether it is [[name]]; false for other lines.
bool header_of(std::string_view line, std::string& name, bool& array) {
    std::string_view t = trim(line);
    if (!t.starts_with('[')) {
        return false;
    }
    array = t.starts_with("[[");
    const std::size_t close = t.find(array ? "]]" : "]");
    if (close == std::string_view::npos) {
        return false;
    }
    const std::string_view rest = trim(t.substr(close + (array ? 2 : 1)));
    if (!rest.empty() && !rest.starts_with('#')) {
        return false;
    }
    std::string n;
    for (char c : t.substr(array ? 2 : 1, close - (array ? 2 : 1))) {
        if (c != ' ' && c != '\t') {
            n += c;
        }
    }
    name = n;
    return true;
}

// Calls fn(i) for each character of `s` outside a TOML string until fn returns false; returns
// where it stopped (npos: the end).
template <class Fn>
std::size_t outside_strings(std::string_view s, Fn fn) {
    char quote = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quote != 0) {
            if (c == '\\' && quote == '"') {
                ++i;
            } else if (c == quote) {
                quote = 0;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (!fn(i)) {
            return i;
        }
    }
    return std::string_view::npos;
}

// Where a `key = value` line's comment starts (npos: none): the first '#' outside a string.
std::size_t comment_at(std::string_view line) {
    return outside_strings(line, [&](std::size_t i) { return line[i] != '#'; });
}

// Whether `line` assigns `leaf` ("leaf = ...", "leaf=...").
bool assigns(std::string_view line, std::string_view leaf) {
    std::string_view t = trim(line);
    if (!t.starts_with(leaf)) {
        return false;
    }
    t = trim(t.substr(leaf.size()));
    return t.starts_with('=');
}

// A value that continues on the next line: an unclosed array or a multi-line string.
bool spans_lines(std::string_view value) {
    if (value.find("\"\"\"") != std::string_view::npos ||
        value.find("\'\'\'") != std::string_view::npos) {
        return true;
    }
    int depth = 0;
    outside_strings(value, [&](std::size_t i) {
        const char c = value[i];
        depth += (c == '[' || c == '{') ? 1 : (c == ']' || c == '}') ? -1 : 0;
        return c != '#';
    });
    return depth > 0;
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t nl = text.find('\n', start);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        out.push_back(text.substr(start, end - start));
        start = end;
    }
    return out;
}

}  // namespace

file_edit set_in_file(std::string_view text, std::string_view key, std::string_view toml_value) {
    const auto fail = [&](std::string why) { return file_edit{{}, std::string(key) + ": " + why}; };
    key_path path;
    if (!split_key(key, path)) {
        return fail("not a key the file can hold");
    }
    const std::string assignment = path.leaf + " = " + std::string(toml_value);
    const std::vector<std::string_view> lines = lines_of(text);

    // The lines [begin, end) of the wanted table: after its header up to the next header.
    bool found = path.table.empty();
    std::size_t begin = 0;
    std::size_t end = lines.size();
    std::size_t seen = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string name;
        bool array = false;
        if (!header_of(lines[i], name, array)) {
            continue;
        }
        if (found) {
            end = i;  // the next table (for the top level: the first one)
            break;
        }
        if (name == path.table && array == path.array_item && (!array || seen++ == path.index)) {
            found = true;
            begin = i + 1;
        }
    }
    std::string out;
    if (!found) {
        if (path.array_item) {
            return fail("the file has no [[" + path.table + "]] number " +
                        std::to_string(path.index));
        }
        out.assign(text);
        if (!out.empty() && out.back() != '\n') {
            out += '\n';
        }
        out += "\n[" + path.table + "]\n" + assignment + "\n";
        return {out, {}};
    }
    std::size_t last_key = begin;  // after the table's last non-blank, non-comment line
    for (std::size_t i = begin; i < end; ++i) {
        const std::string_view t = trim(lines[i]);
        if (!t.empty() && !t.starts_with('#')) {
            last_key = i + 1;
        }
        if (!assigns(lines[i], path.leaf)) {
            continue;
        }
        std::string_view line = lines[i];
        const bool newline = line.ends_with('\n');
        if (newline) {
            line.remove_suffix(1);
        }
        const std::size_t hash = comment_at(line);
        const std::size_t eq = line.find('=');
        const std::string_view value = hash == std::string_view::npos
                                           ? line.substr(eq + 1)
                                           : line.substr(eq + 1, hash - eq - 1);
        if (spans_lines(value)) {
            return fail("its value spans several lines in the file; edit it by hand");
        }
        const std::size_t indent = line.find_first_not_of(" \t");
        std::string replaced = std::string(line.substr(0, indent)) + assignment;
        if (hash != std::string_view::npos) {
            replaced += "  " + std::string(line.substr(hash));
        }
        for (std::size_t j = 0; j < lines.size(); ++j) {
            out += j == i ? replaced + (newline ? "\n" : "") : std::string(lines[j]);
        }
        return {out, {}};
    }
    for (std::size_t j = 0; j < lines.size(); ++j) {
        if (j == last_key) {
            out += assignment + "\n";
        }
        out += lines[j];
    }
    if (last_key == lines.size()) {
        if (!out.empty() && out.back() != '\n') {
            out += '\n';
        }
        out += assignment + "\n";
    }
    return {out, {}};
}

}  // namespace sbc::config
