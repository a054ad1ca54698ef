#include <cstdio>
#include <cstring>
#include <string>

#include "config/config.hpp"

// sbc-config-check [--no-check-files] [--show] FILE: validates an appliance config the way sbcd
// does and prints every error; --show prints the config as loaded. Exit status 0 when valid.
// The build runs it on config/default.toml so a broken default never makes it into a binary.

int main(int argc, char** argv) {
    sbc::config::load_options options;
    bool show = false;
    const char* path = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--no-check-files") == 0) {
            options.check_files = false;
        } else if (std::strcmp(argv[i], "--show") == 0) {
            show = true;
        } else if (path == nullptr && argv[i][0] != '-') {
            path = argv[i];
        } else {
            path = nullptr;
            break;
        }
    }
    if (path == nullptr) {
        std::fprintf(stderr, "usage: sbc-config-check [--no-check-files] [--show] FILE\n");
        return 2;
    }
    sbc::config::load_result result = sbc::config::load_file(path, options);
    for (const sbc::config::error& e : result.errors) {
        std::fprintf(stderr, "%s\n", e.to_string().c_str());
    }
    if (!result.config) {
        return 1;
    }
    if (show) {
        std::fputs(sbc::config::to_toml(*result.config).c_str(), stdout);
    }
    return 0;
}
