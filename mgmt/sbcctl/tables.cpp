// Listing commands: each asks sbcd for a {"columns","rows"} table and prints it aligned.

#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

std::vector<command_spec> table_commands() {
    return {ask_sbcd("counters", "dataplane drop counters by reason, per lcore and port",
                     render_table)};
}

}  // namespace sbc::mgmt
