// sbcctl status: is sbcd up, is the dataplane attached and forwarding, what are the realms.

#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

namespace {

int run_status(const global_options& g, const std::vector<std::string>& args) {
    if (!args.empty()) {
        std::cerr << "sbcctl status: unexpected argument '" << args[0] << "'\n";
        return exit_usage;
    }
    nlohmann::json st;
    if (int rc = call_sbcd(g, "status", nlohmann::json::object(), st); rc != exit_ok) {
        return rc;
    }
    if (g.json) {
        print_json(st);
        return exit_ok;
    }
    std::cout << render_status(st);
    return exit_ok;
}

}  // namespace

std::vector<command_spec> status_commands() {
    return {{"status", "sbcd, dataplane, realms and trunk at a glance", run_status}};
}

}  // namespace sbc::mgmt
