#pragma once
// One key of the running config, by the name the loader's errors use ("log.level",
// "security.dos.blacklist_duration_s", "user_agent[0].pattern"): `sbcctl get KEY` reads it,
// `sbcctl set KEY VALUE` makes the config text with it changed, which then goes through the same
// validation and live/restart check as a whole file (live_config::set_key).

#include <string>
#include <string_view>

#include "config/appliance.hpp"
#include "controlplane/result.hpp"

namespace sbc::cp::reconfig {

// The key's value as TOML text; fails with "KEY: no such key" (a table is not a key either).
cp::result<std::string> value_of(const config::appliance& cfg, std::string_view key);

// The config as TOML text with `key` set to `value`. `value` is read as a TOML value (42, true,
// "text", [1, 2]); anything that is not one is taken as a string, so `set log.level debug`
// works. Fails when the key does not exist.
cp::result<std::string> with_key(const config::appliance& cfg, std::string_view key,
                                 std::string_view value);

}  // namespace sbc::cp::reconfig
