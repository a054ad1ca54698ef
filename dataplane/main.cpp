// sbc-dataplane: the DPDK SRTP/RTP relay (DESIGN.md "Processes"). See dataplane/README.md.

#include <cstdio>

#include "dataplane/cli.hpp"
#include "dataplane/eal/process.hpp"

int main(int argc, char** argv) {
    auto cli = sbc::dp::parse_command_line(argc, argv);
    if (cli.exit_now) {
        std::fputs(cli.message.c_str(), stdout);
        return 0;
    }
    if (!cli.error.empty()) {
        std::fprintf(stderr, "sbc-dataplane: %s\n", cli.error.c_str());
        return 2;
    }
    const std::string err = sbc::dp::validate(cli.values);
    if (!err.empty()) {
        std::fprintf(stderr, "sbc-dataplane: %s\n", err.c_str());
        return 2;
    }
    return sbc::dp::run_dataplane(cli.values, argv[0]);
}
