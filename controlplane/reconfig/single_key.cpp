#include "controlplane/reconfig/single_key.hpp"

#include <charconv>
#include <optional>
#include <sstream>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace sbc::cp::reconfig {
namespace {

struct located {
    toml::table* parent = nullptr;  // the table holding the key
    std::string name;               // the key's name in it
};

// Walks "a.b[2].c": each segment a table key, optionally indexing an array of tables.
cp::result<located> locate(toml::table& root, std::string_view key) {
    const auto no_such = [&] { return cp::fail(std::string(key) + ": no such key"); };
    if (key.empty()) {
        return no_such();
    }
    toml::table* table = &root;
    std::string_view rest = key;
    while (true) {
        const std::size_t dot = rest.find('.');
        std::string_view segment = rest.substr(0, dot);
        std::string_view name = segment.substr(0, segment.find('['));
        if (name.empty()) {
            return no_such();
        }
        if (dot == std::string_view::npos && name.size() == segment.size()) {
            toml::node* n = table->get(name);
            if (n == nullptr || n->is_table() ||
                (n->is_array() && n->as_array()->is_array_of_tables())) {
                return no_such();
            }
            return located{table, std::string(name)};
        }
        toml::node* n = table->get(name);
        if (n == nullptr) {
            return no_such();
        }
        if (name.size() < segment.size()) {
            // "name[index]": an element of an array of tables.
            std::string_view index_text = segment.substr(name.size() + 1);
            if (index_text.empty() || index_text.back() != ']') {
                return no_such();
            }
            index_text.remove_suffix(1);
            std::size_t index = 0;
            const auto [end, ec] =
                std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
            toml::array* a = n->as_array();
            if (ec != std::errc() || end != index_text.data() + index_text.size() || a == nullptr ||
                index >= a->size() || !(*a)[index].is_table()) {
                return no_such();
            }
            n = &(*a)[index];
        }
        if (!n->is_table() || dot == std::string_view::npos) {
            return no_such();
        }
        table = n->as_table();
        rest = rest.substr(dot + 1);
    }
}

std::string text_of(const toml::node& n) {
    std::ostringstream out;
    n.visit([&out](const auto& v) {
        out << toml::toml_formatter(v, toml::format_flags::allow_unicode_strings);
    });
    return out.str();
}

}  // namespace

cp::result<std::string> value_of(const config::appliance& cfg, std::string_view key) {
    const std::string text = config::to_toml(cfg);
    toml::table doc = toml::parse(std::string_view(text), std::string_view("running config"));
    auto where = locate(doc, key);
    if (!where) {
        return where.error();
    }
    return text_of(*where->parent->get(where->name));
}

cp::result<std::string> with_key(const config::appliance& cfg, std::string_view key,
                                 std::string_view value) {
    const std::string text = config::to_toml(cfg);
    toml::table doc = toml::parse(std::string_view(text), std::string_view("running config"));
    auto where = locate(doc, key);
    if (!where) {
        return where.error();
    }
    // A TOML value on its own ("v = VALUE" holds exactly v), else the text as a string.
    std::optional<toml::table> parsed;
    try {
        const std::string line = "v = " + std::string(value) + "\n";
        parsed = toml::parse(std::string_view(line), std::string_view("value"));
    } catch (const toml::parse_error&) {
        parsed.reset();
    }
    if (parsed && parsed->size() == 1 && parsed->contains("v")) {
        parsed->get("v")->visit(
            [&](const auto& v) { where->parent->insert_or_assign(where->name, v); });
    } else {
        where->parent->insert_or_assign(where->name, std::string(value));
    }
    std::ostringstream out;
    out << toml::toml_formatter(doc, toml::format_flags::allow_unicode_strings);
    return out.str();
}

}  // namespace sbc::cp::reconfig
