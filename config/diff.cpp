#include "config/diff.hpp"

#include <algorithm>
#include <sstream>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace sbc::config {
namespace {

std::string text_of(const toml::node& n) {
    std::ostringstream out;
    n.visit([&out](const auto& v) {
        out << toml::toml_formatter(v, toml::format_flags::allow_unicode_strings);
    });
    return out.str();
}

bool is_array_of_tables(const toml::node& n) {
    const toml::array* a = n.as_array();
    return a != nullptr && !a->empty() && a->is_array_of_tables();
}

void compare(const std::string& key, const toml::node* from, const toml::node* to,
             std::vector<key_change>& out);

void compare_tables(const std::string& prefix, const toml::table& from, const toml::table& to,
                    std::vector<key_change>& out) {
    // Keys of `from` (toml++ keeps a table's keys sorted), then keys only `to` has.
    const auto path = [&prefix](std::string_view k) {
        return prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
    };
    for (const auto& [k, v] : from) {
        compare(path(k.str()), &v, to.get(k.str()), out);
    }
    for (const auto& [k, v] : to) {
        if (!from.contains(k.str())) {
            compare(path(k.str()), nullptr, &v, out);
        }
    }
}

void compare(const std::string& key, const toml::node* from, const toml::node* to,
             std::vector<key_change>& out) {
    if (from != nullptr && to != nullptr) {
        if (from->is_table() && to->is_table()) {
            compare_tables(key, *from->as_table(), *to->as_table(), out);
            return;
        }
        if (is_array_of_tables(*from) && is_array_of_tables(*to)) {
            const toml::array& a = *from->as_array();
            const toml::array& b = *to->as_array();
            for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
                compare(key + "[" + std::to_string(i) + "]", a.get(i), b.get(i), out);
            }
            return;
        }
    }
    std::string a = from != nullptr ? text_of(*from) : std::string();
    std::string b = to != nullptr ? text_of(*to) : std::string();
    if (a != b) {
        out.push_back({key, std::move(a), std::move(b)});
    }
}

}  // namespace

std::vector<key_change> diff(const appliance& from, const appliance& to) {
    // to_toml() writes every key, so two parsed documents differ exactly where the configs do.
    const std::string from_text = to_toml(from);
    const std::string to_text = to_toml(to);
    const toml::table a = toml::parse(std::string_view(from_text), std::string_view("from"));
    const toml::table b = toml::parse(std::string_view(to_text), std::string_view("to"));
    std::vector<key_change> out;
    compare_tables("", a, b, out);
    return out;
}

}  // namespace sbc::config
