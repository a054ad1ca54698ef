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

// Calls `read_one(reader, index)` for every table of the array of tables `key`. Returns the
// number of tables, or -1 when the key is absent or not an array of tables.
template <class F>
long each_table(table_reader& parent, std::string_view key, need n, F&& read_one) {
    const toml::array* array = parent.table_array(key, n);
    if (array == nullptr) {
        return -1;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        table_reader reader(parent.ctx(), *(*array)[i].as_table(), parent.element_path(key, i));
        read_one(reader, i);
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
