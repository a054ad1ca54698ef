// sbcd: the control plane. `sbcd --config FILE` (or the embedded default config without one).

#include <boost/program_options.hpp>
#include <iostream>

#include <spdlog/spdlog.h>

#include "config/config.hpp"
#include "controlplane/service.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
    std::string config_path;
    unsigned dataplane_wait_s = 30;
    std::string state_dir;
    bool check_only = false;
    po::options_description opts("sbcd options");
    opts.add_options()("help,h", "show this help")(
        "config,c", po::value<std::string>(&config_path),
        "appliance config (TOML); the embedded default when not given")(
        "dataplane-wait", po::value<unsigned>(&dataplane_wait_s)->default_value(30),
        "seconds to wait for sbc-dataplane at start-up")(
        "state-dir", po::value<std::string>(&state_dir),
        "keep registrations in DIR/state.journal across restarts (a root-only 0700 directory); "
        "without it nothing is kept")("check", po::bool_switch(&check_only),
                                      "validate the config and exit");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "sbcd: " << e.what() << "\n" << opts;
        return 2;
    }
    if (vm.count("help") != 0U) {
        std::cout << opts;
        return 0;
    }

    sbc::config::load_result loaded;
    std::string source;
    if (config_path.empty()) {
        loaded =
            sbc::config::load_string(sbc::config::embedded_default_toml(), "<embedded default>");
        source = "embedded default";
    } else {
        loaded = sbc::config::load_file(config_path);
        source = config_path;
    }
    if (!loaded.errors.empty()) {
        for (const auto& e : loaded.errors) {
            std::cerr << e.to_string() << "\n";
        }
        std::cerr << "sbcd: " << source << ": " << loaded.errors.size() << " config error"
                  << (loaded.errors.size() == 1 ? "" : "s") << "; not starting\n";
        return 1;
    }
    if (check_only) {
        std::cout << source << ": valid\n";
        return 0;
    }
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ sbcd: %v");
    spdlog::set_level(static_cast<spdlog::level::level_enum>(loaded.config->log.level));

    sbc::cp::service svc(std::move(*loaded.config),
                         {source, std::chrono::seconds(dataplane_wait_s), state_dir});
    if (auto st = svc.start(); !st) {
        spdlog::critical("{}", st.message());
        return 1;
    }
    svc.run();
    spdlog::info("stopped");
    return 0;
}
