#pragma once

#include "config/appliance.hpp"
#include "config/reader.hpp"

// Rules that span sections, run on the values read. Internal to the loader.

namespace sbc::config::detail {

// Unique names, names that resolve, ports that do not collide.
void validate(context& ctx, const appliance& config);

// Files the config names exist and hold PEM of the right kind; the mgmt group exists.
void check_host(context& ctx, const appliance& config);

// Values that default to other values: subnet profiles from the access realm, the mgmt socket
// from the instance name. Run after validation so that errors point at what the operator wrote.
void fill_defaults(appliance& config);

}  // namespace sbc::config::detail
