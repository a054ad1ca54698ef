// sbcctl status: is sbcd up, is the dataplane attached and forwarding, what are the realms.

#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

std::vector<command_spec> status_commands() {
    return {ask_sbcd("status", "sbcd, dataplane, realms and trunk at a glance", render_status)};
}

}  // namespace sbc::mgmt
