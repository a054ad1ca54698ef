#pragma once

#include <toml++/toml.h>

#include "config/appliance.hpp"
#include "config/reader.hpp"

// The section readers: TOML document -> `appliance`, checking each value on its own. Rules that
// span sections (names, ports) are in validate.hpp. Internal to the loader.

namespace sbc::config::detail {

void read_appliance(context& ctx, const toml::table& root, appliance& out);

// One group of sections each, called by read_appliance with the root reader.
void read_network(table_reader& root, appliance& out);  // instance, realm, sip_server, ...
void read_media(table_reader& root, appliance& out);    // media/certificate profiles, user agents
void read_system(table_reader& root, appliance& out);   // sip, calls, dataplane, mgmt, ...

// Appends one `T` to `out` per element of the array of tables `key` and calls
// `read_one(reader, item)` for each element that is a table, so that `out[i]` is always element
// i of the file (key paths stay right). Returns the number of elements, or -1 when the key is
// absent or not an array.
template <class T, class F>
long each_table(table_reader& parent, std::string_view key, need n, std::vector<T>& out,
                F&& read_one) {
    const toml::array* array = parent.table_array(key, n);
    if (array == nullptr) {
        return -1;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        T& item = out.emplace_back();
        if (const toml::table* table = (*array)[i].as_table()) {
            table_reader reader(parent.ctx(), *table, parent.element_path(key, i));
            read_one(reader, item);
        }
    }
    return static_cast<long>(array->size());
}

// Calls `read(reader)` for the sub-table `key` when it is present and is a table.
template <class F>
bool with_table(table_reader& parent, std::string_view key, need n, F&& read) {
    const toml::table* table = parent.table(key, n);
    if (table == nullptr) {
        return false;
    }
    table_reader reader(parent.ctx(), *table, parent.key_path(key));
    read(reader);
    return true;
}

}  // namespace sbc::config::detail
