#pragma once
// sbc-dataplane's life: EAL, ports, shared region, lcores, clean stop on SIGTERM/SIGINT.

#include <string>

#include "dataplane/settings.hpp"

namespace sbc::dp {

// Runs until SIGTERM/SIGINT. Returns the process exit code (0 after a clean stop, 1 when
// start-up failed; the reason is printed as one line on stderr).
int run_dataplane(const settings& s, const std::string& program);

}  // namespace sbc::dp
