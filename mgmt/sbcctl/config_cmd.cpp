// sbcctl config validate FILE | config show [--default] (apply, rollback, history:
// config_apply.cpp)

#include <boost/program_options.hpp>
#include <iostream>

#include "config/config.hpp"
#include "mgmt/sbcctl/command.hpp"

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

int run_validate(const global_options& g, const command_args& a) {
    const auto& args = a.operands;
    const auto result = config::load_file(args[0]);
    if (g.json) {
        nlohmann::json errors = nlohmann::json::array();
        for (const auto& e : result.errors) {
            errors.push_back({{"file", e.file},
                              {"line", e.line},
                              {"column", e.column},
                              {"key", e.key},
                              {"rule", e.rule}});
        }
        print_json({{"file", args[0]}, {"valid", result.errors.empty()}, {"errors", errors}});
    } else if (result.errors.empty()) {
        std::cout << args[0] << ": valid\n";
    } else {
        for (const auto& e : result.errors) {
            std::cout << e.to_string() << "\n";
        }
        std::cout << args[0] << ": " << result.errors.size() << " error"
                  << (result.errors.size() == 1 ? "" : "s") << "\n";
    }
    return result.errors.empty() ? exit_ok : exit_failed;
}

int run_show(const global_options& g, const command_args& a) {
    const bool use_default = a.get<bool>("default");
    std::string text;
    std::string source;
    if (use_default) {
        text = std::string(config::embedded_default_toml());
        source = "embedded default";
    } else {
        nlohmann::json result;
        if (int rc = call_sbcd(g, "config", nlohmann::json::object(), result); rc != exit_ok) {
            return rc;
        }
        text = result.value("toml", "");
        source = result.value("source", "");
    }
    if (g.json) {
        print_json({{"source", source}, {"toml", text}});
    } else {
        std::cout << "# source: " << source << "\n" << text;
    }
    return exit_ok;
}

}  // namespace

std::vector<command_spec> config_commands() {
    std::vector<command_spec> out{
        command_spec("config validate", "check a config file; every error with file:line:column",
                     run_validate)
            .takes("FILE", 1, 1)
            .explain("Works without sbcd. Exit status 1 when the file has errors; each is "
                     "printed as file:line:column, the key and the rule it breaks."),
        command_spec("config show", "the running config (--default: the embedded default)",
                     run_show)
            .with_options([](po::options_description& o) {
                o.add_options()("default", po::bool_switch(),
                                "the embedded default config (works without sbcd)");
            })};
    for (auto& c : config_change_commands()) {
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace sbc::mgmt
