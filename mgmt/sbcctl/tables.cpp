// Listing commands: each asks sbcd for a {"columns","rows"} table and prints it aligned.

#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

namespace {

command_spec table_command(std::string name, std::string summary) {
    const std::string command = name;
    return {std::move(name), std::move(summary),
            [command](const global_options& g, const std::vector<std::string>& args) {
                return run_no_args(g, args, command, render_table);
            }};
}

}  // namespace

std::vector<command_spec> table_commands() {
    return {table_command("counters", "dataplane drop counters by reason, per lcore and port")};
}

}  // namespace sbc::mgmt
