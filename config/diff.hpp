#pragma once

#include <string>
#include <vector>

#include "config/appliance.hpp"

// What differs between two loaded configs, key by key (`sbcctl config apply` shows it and
// decides from it what may change without a restart: controlplane/reconfig).

namespace sbc::config {

struct key_change {
    // Dotted path as the loader's errors name keys, arrays of tables 0-based:
    // "security.dos.blacklist_duration_s", "certificate_profile[0].certificate". A table added
    // to or removed from an array is the element itself ("user_agent[2]").
    std::string key;
    std::string from;  // the value as TOML text; empty when the key was absent
    std::string to;    // likewise

    bool operator==(const key_change&) const = default;
};

// Every key whose value differs, sorted by key name within each table (arrays of tables by
// index). Both configs are compared as to_toml() writes
// them, so defaults count as values (a key removed from the file that falls back to the same
// default is no change).
std::vector<key_change> diff(const appliance& from, const appliance& to);

}  // namespace sbc::config
