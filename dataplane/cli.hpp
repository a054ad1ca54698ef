#pragma once
// sbc-dataplane's command line: flags map onto dp::settings (dataplane/settings.hpp).

#include <string>

#include "dataplane/settings.hpp"

namespace sbc::dp {

struct cli_result {
    settings values;
    bool exit_now = false;  // --help / --version: print `message` to stdout, exit 0
    std::string error;      // non-empty: one line for stderr, exit 2
    std::string message;
};

cli_result parse_command_line(int argc, const char* const* argv);

// One-entry parsers, shared with the config mapping. False with `error` set on bad text.
bool parse_media(const std::string& text, media_address& out, std::string& error);
bool parse_neighbour(const std::string& text, static_neighbour& out, std::string& error);
bool parse_gateway(const std::string& text, gateway& out, std::string& error);

}  // namespace sbc::dp
