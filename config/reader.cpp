#include "config/reader.hpp"

#include <algorithm>

namespace sbc::config::detail {

position position_of(const toml::source_region& region) {
    return {static_cast<uint32_t>(region.begin.line), static_cast<uint32_t>(region.begin.column)};
}

void context::fail(position where, std::string key, std::string rule) {
    failed_.insert(key);
    errors_.push_back({file_, where.line, where.column, std::move(key), std::move(rule)});
}

void context::fail_at(const std::string& key, std::string rule) {
    fail(where(key), key, std::move(rule));
}

position context::where(std::string key) const {
    while (true) {
        if (auto it = positions_.find(key); it != positions_.end()) {
            return it->second;
        }
        if (key.empty()) {
            return {1, 1};
        }
        // Drop the last component: "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
        auto cut = key.find_last_of(".[");
        key.resize(cut == std::string::npos ? 0 : cut);
    }
}

std::vector<error> context::take_errors() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const error& a, const error& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    return std::move(errors_);
}

std::string index_path(const std::string& path, std::size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

std::string_view type_name(toml::node_type type) {
    switch (type) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

table_reader::table_reader(context& ctx, const toml::table& table, std::string path)
    : ctx_(ctx), table_(table), path_(std::move(path)) {
    ctx_.record(path_, position_of(table_.source()));
}

table_reader::~table_reader() {
    for (auto&& [key, value] : table_) {
        if (known_.find(key.str()) == known_.end()) {
            ctx_.fail(position_of(key.source()), key_path(key.str()), "unknown key");
        }
    }
}

std::string table_reader::key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string table_reader::element_path(std::string_view key, std::size_t index) const {
    return index_path(key_path(key), index);
}

position table_reader::where(std::string_view key) const {
    if (const toml::node* n = table_.get(key)) {
        return position_of(n->source());
    }
    return position_of(table_.source());
}

void table_reader::fail_value(std::string_view key, std::string rule) {
    ctx_.fail(where(key), key_path(key), std::move(rule));
}

void table_reader::fail_missing(std::string_view key, std::string rule) {
    ctx_.fail(position_of(table_.source()), key_path(key), std::move(rule));
}

void table_reader::wrong_type(std::string_view key, const toml::node& node,
                              std::string_view expected) {
    fail_value(
        key, "expected " + std::string(expected) + ", got " + std::string(type_name(node.type())));
}

const toml::node* table_reader::present(std::string_view key, need n) {
    known_.emplace(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
        if (n == need::required) {
            fail_missing(key);
        }
        return nullptr;
    }
    ctx_.record(key_path(key), position_of(node->source()));
    return node;
}

const toml::node* table_reader::node(std::string_view key) {
    return present(key, need::optional);
}

bool table_reader::string(std::string_view key, std::string& out, need n, const string_rule* rule) {
    const toml::node* node = present(key, n);
    if (node == nullptr) {
        return false;
    }
    const auto* value = node->as_string();
    if (value == nullptr) {
        wrong_type(key, *node, "a string");
        return false;
    }
    if (rule != nullptr && !rule->ok(value->get())) {
        fail_value(key, rule->rule);
        return false;
    }
    out = value->get();
    return true;
}

bool table_reader::optional_string(std::string_view key, std::optional<std::string>& out,
                                   const string_rule* rule) {
    std::string text;
    if (!string(key, text, need::optional, rule)) {
        return false;
    }
    out = std::move(text);
    return true;
}

bool table_reader::boolean(std::string_view key, bool& out, need n) {
    const toml::node* node = present(key, n);
    if (node == nullptr) {
        return false;
    }
    const auto* value = node->as_boolean();
    if (value == nullptr) {
        wrong_type(key, *node, "a boolean");
        return false;
    }
    out = value->get();
    return true;
}

bool table_reader::integer_value(std::string_view key, int64_t& out, int64_t min, int64_t max,
                                 need n) {
    const toml::node* node = present(key, n);
    if (node == nullptr) {
        return false;
    }
    const auto* value = node->as_integer();
    if (value == nullptr) {
        wrong_type(key, *node, "an integer");
        return false;
    }
    if (value->get() < min || value->get() > max) {
        fail_value(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return false;
    }
    out = value->get();
    return true;
}

bool table_reader::string_list_with_positions(std::string_view key, std::vector<std::string>& out,
                                              std::vector<position>& where, need n,
                                              const string_rule* rule) {
    const toml::node* node = present(key, n);
    if (node == nullptr) {
        return false;
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
        wrong_type(key, *node, "an array of strings");
        return false;
    }
    bool ok = true;
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = (*array)[i];
        const auto* value = element.as_string();
        if (value == nullptr) {
            ctx_.fail(position_of(element.source()), element_path(key, i),
                      "expected a string, got " + std::string(type_name(element.type())));
            ok = false;
        } else if (rule != nullptr && !rule->ok(value->get())) {
            ctx_.fail(position_of(element.source()), element_path(key, i), rule->rule);
            ok = false;
        } else {
            values.push_back(value->get());
            where.push_back(position_of(element.source()));
            ctx_.record(element_path(key, i), where.back());
        }
    }
    if (ok) {
        out = std::move(values);
    }
    return ok;
}

bool table_reader::string_list(std::string_view key, std::vector<std::string>& out, need n,
                               const string_rule* rule) {
    std::vector<position> where;
    return string_list_with_positions(key, out, where, n, rule);
}

const toml::table* table_reader::table(std::string_view key, need n) {
    const toml::node* node = present(key, n);
    if (node == nullptr) {
        return nullptr;
    }
    if (const auto* t = node->as_table()) {
        return t;
    }
    wrong_type(key, *node, "a table");
    return nullptr;
}

const toml::array* table_reader::table_array(std::string_view key, need n) {
    const toml::node* node = present(key, n);
    if (node == nullptr) {
        return nullptr;
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
        wrong_type(key, *node, "an array of tables ([[" + key_path(key) + "]])");
        return nullptr;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = (*array)[i];
        if (!element.is_table()) {
            ctx_.fail(position_of(element.source()), element_path(key, i),
                      "expected a table, got " + std::string(type_name(element.type())));
        }
    }
    return array;
}

}  // namespace sbc::config::detail
