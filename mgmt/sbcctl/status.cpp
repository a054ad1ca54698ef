// sbcctl status: is sbcd up, is the dataplane attached and forwarding, what are the realms.

#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

namespace {

int run_status(const global_options& g, const std::vector<std::string>& args) {
    return run_no_args(g, args, "status", render_status);
}

}  // namespace

std::vector<command_spec> status_commands() {
    return {{"status", "sbcd, dataplane, realms and trunk at a glance", run_status}};
}

}  // namespace sbc::mgmt
