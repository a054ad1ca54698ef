// sbcctl: the operator's CLI for sbcd. `sbcctl --help` lists the commands.

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "mgmt/protocol.hpp"
#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace po = boost::program_options;
using namespace sbc::mgmt;

namespace {

std::vector<command_spec> all_commands() {
    std::vector<command_spec> all;
    for (auto* group : {&status_commands, &config_commands, &table_commands, &registration_commands,
                        &call_commands, &security_commands}) {
        auto part = (*group)();
        all.insert(all.end(), part.begin(), part.end());
    }
    return all;
}

void usage(std::ostream& os, const po::options_description& opts) {
    os << "usage: sbcctl [options] COMMAND [ARGS...]\n\n" << opts << "\ncommands:\n";
    for (const auto& c : all_commands()) {
        os << "  " << c.name << std::string(c.name.size() < 22 ? 22 - c.name.size() : 1, ' ')
           << c.summary << "\n";
    }
}

}  // namespace

namespace sbc::mgmt {

int call_sbcd(const global_options& g, const std::string& command, const nlohmann::json& args,
              nlohmann::json& result) {
    client c;
    std::string error;
    if (!c.connect(g.socket_path, error)) {
        std::cerr << "sbcctl: " << error << "\n";
        return exit_unreachable;
    }
    response resp;
    if (!c.call(request{command, args}, resp, error)) {
        std::cerr << "sbcctl: " << error << "\n";
        return exit_unreachable;
    }
    if (!resp.ok) {
        std::cerr << "sbcctl: " << command << ": " << resp.error << "\n";
        return exit_failed;
    }
    result = std::move(resp.result);
    return exit_ok;
}

void print_json(const nlohmann::json& j) {
    std::cout << json_text(j, 2) << "\n";
}

int run_no_args(const global_options& g, const std::vector<std::string>& args,
                const std::string& command,
                const std::function<std::string(const nlohmann::json&)>& render) {
    if (!args.empty()) {
        std::cerr << "sbcctl " << command << ": unexpected argument '" << args[0] << "'\n";
        return exit_usage;
    }
    nlohmann::json result;
    if (int rc = call_sbcd(g, command, nlohmann::json::object(), result); rc != exit_ok) {
        return rc;
    }
    if (g.json) {
        print_json(result);
    } else {
        std::cout << render(result);
    }
    return exit_ok;
}

int print_listing(const global_options& g, const nlohmann::json& result) {
    if (g.json) {
        print_json(result);
        return exit_ok;
    }
    std::cout << render_table(result);
    const auto shown = result.contains("rows") ? result["rows"].size() : 0;
    const auto total = result.value("total", static_cast<std::size_t>(shown));
    if (total > shown) {
        std::cout << "(" << shown << " of " << total << " shown; --limit N for more)\n";
    }
    return exit_ok;
}

}  // namespace sbc::mgmt

int main(int argc, char** argv) {
    po::options_description opts("options");
    global_options g;
    opts.add_options()("help,h", "show this help")("json", po::bool_switch(&g.json),
                                                   "print machine-readable JSON")(
        "socket", po::value<std::string>(&g.socket_path)->default_value("/run/sbc/default.sock"),
        "sbcd mgmt socket");
    po::options_description hidden;
    hidden.add_options()("words", po::value<std::vector<std::string>>(), "command and arguments");
    po::options_description all_opts;
    all_opts.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("words", -1);

    po::variables_map vm;
    std::vector<std::string> words;
    try {
        auto parsed = po::command_line_parser(argc, argv)
                          .options(all_opts)
                          .positional(pos)
                          .allow_unregistered()
                          .run();
        po::store(parsed, vm);
        po::notify(vm);
        // Options the global parser does not know belong to the command (e.g. `calls --all`).
        words = po::collect_unrecognized(parsed.options, po::include_positional);
    } catch (const po::error& e) {
        std::cerr << "sbcctl: " << e.what() << "\n";
        usage(std::cerr, opts);
        return exit_usage;
    }
    if (vm.count("help") != 0U || words.empty()) {
        usage(vm.count("help") != 0U ? std::cout : std::cerr, opts);
        return vm.count("help") != 0U ? exit_ok : exit_usage;
    }

    // Longest command name that matches the leading words wins ("config validate" over "config").
    const command_spec* best = nullptr;
    size_t best_words = 0;
    const auto commands = all_commands();
    for (const auto& c : commands) {
        std::vector<std::string> name_words;
        for (size_t i = 0, j; i <= c.name.size(); i = j + 1) {
            j = c.name.find(' ', i);
            if (j == std::string::npos) {
                j = c.name.size();
            }
            name_words.push_back(c.name.substr(i, j - i));
        }
        if (name_words.size() <= words.size() && name_words.size() > best_words &&
            std::equal(name_words.begin(), name_words.end(), words.begin())) {
            best = &c;
            best_words = name_words.size();
        }
    }
    if (best == nullptr) {
        std::cerr << "sbcctl: unknown command '" << words[0] << "'\n";
        usage(std::cerr, opts);
        return exit_usage;
    }
    std::vector<std::string> args(words.begin() + static_cast<long>(best_words), words.end());
    try {
        return best->run(g, args);
    } catch (const po::error& e) {
        std::cerr << "sbcctl " << best->name << ": " << e.what() << "\n";
        return exit_usage;
    }
}
