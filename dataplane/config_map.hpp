#pragma once
// The appliance config (config/) mapped onto dp::settings: `sbc-dataplane --config FILE`.

#include <string>

#include "config/appliance.hpp"
#include "dataplane/settings.hpp"

namespace sbc::dp {

// Fills `out` from `cfg` (instance, [dataplane], the realms' media addresses and DPDK ports,
// static neighbours). Returns an empty string or one line naming the key that cannot be used.
std::string settings_from_config(const config::appliance& cfg, settings& out);

// Loads FILE (or the embedded default when `path` is empty) into `out`.
std::string load_config_settings(const std::string& path, settings& out);

}  // namespace sbc::dp
