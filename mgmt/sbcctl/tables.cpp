// Listing commands: each asks sbcd for a {"columns","rows"} table and prints it aligned.

#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

namespace {

command_spec table_command(std::string name, std::string summary) {
    const std::string command = name;
    return {
        std::move(name), std::move(summary),
        [command](const global_options& g, const std::vector<std::string>& args) {
            if (!args.empty()) {
                std::cerr << "sbcctl " << command << ": unexpected argument '" << args[0] << "'\n";
                return static_cast<int>(exit_usage);
            }
            nlohmann::json result;
            if (int rc = call_sbcd(g, command, nlohmann::json::object(), result); rc != exit_ok) {
                return rc;
            }
            if (g.json) {
                print_json(result);
            } else {
                std::cout << render_table(result);
            }
            return static_cast<int>(exit_ok);
        }};
}

}  // namespace

std::vector<command_spec> table_commands() {
    return {table_command("counters", "dataplane drop counters by reason, per lcore and port")};
}

}  // namespace sbc::mgmt
