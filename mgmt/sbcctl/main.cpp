// sbcctl: the operator's CLI for sbcd. `sbcctl --help` lists the commands, `sbcctl COMMAND
// --help` (or `sbcctl help COMMAND`) prints one command's options.

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "mgmt/protocol.hpp"
#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/help.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace po = boost::program_options;
using namespace sbc::mgmt;

namespace sbc::mgmt {

const std::vector<command_spec>& all_commands() {
    static const std::vector<command_spec> all = [] {
        std::vector<command_spec> v;
        for (auto* group :
             {&status_commands, &config_commands, &table_commands, &registration_commands,
              &call_commands, &e911_commands, &security_commands, &trace_commands,
              &cloudlink_commands, &help_commands}) {
            auto part = (*group)();
            v.insert(v.end(), part.begin(), part.end());
        }
        return v;
    }();
    return all;
}

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

command_spec ask_sbcd(std::string command, std::string summary,
                      std::function<std::string(const nlohmann::json&)> render) {
    std::string request = command;
    std::replace(request.begin(), request.end(), ' ', '_');
    auto run = [request, render = std::move(render)](const global_options& g,
                                                     const command_args&) -> int {
        nlohmann::json result;
        if (int rc = call_sbcd(g, request, nlohmann::json::object(), result); rc != exit_ok) {
            return rc;
        }
        if (g.json) {
            print_json(result);
        } else {
            std::cout << render(result);
        }
        return exit_ok;
    };
    return command_spec(std::move(command), std::move(summary), std::move(run));
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

namespace {

// Parses the words after the command name with the command's own options. Prints the error
// and returns false for an unknown option, a bad value or the wrong number of operands.
bool parse_command(const command_spec& c, const std::vector<std::string>& words, command_args& a,
                   global_options& g) {
    // --json and --socket are welcome after the command too (`sbcctl calls --json`).
    po::options_description hidden;
    hidden.add_options()("operands", po::value<std::vector<std::string>>(), "")(
        "json", po::bool_switch(), "")("socket", po::value<std::string>(), "");
    po::options_description all;
    all.add(command_options(c)).add(hidden);
    po::positional_options_description pos;
    pos.add("operands", -1);
    try {
        po::store(po::command_line_parser(words).options(all).positional(pos).run(), a.options);
        po::notify(a.options);
    } catch (const po::error& e) {
        std::cerr << "sbcctl " << c.name << ": " << e.what() << "\n"
                  << "usage: " << command_synopsis(c) << "\n";
        return false;
    }
    if (a.has("operands")) {
        a.operands = a.get<std::vector<std::string>>("operands");
    }
    g.json = g.json || a.get<bool>("json");
    if (a.has("socket")) {
        g.socket_path = a.get<std::string>("socket");
    }
    if (a.has("help")) {
        return true;
    }
    if (a.operands.size() > c.max_operands) {
        std::cerr << "sbcctl " << c.name << ": unexpected argument '" << a.operands[c.max_operands]
                  << "'\nusage: " << command_synopsis(c) << "\n";
        return false;
    }
    if (a.operands.size() < c.min_operands) {
        std::cerr << "sbcctl " << c.name << ": missing " << c.operands << "\n"
                  << "usage: " << command_synopsis(c) << "\n";
        return false;
    }
    return true;
}

}  // namespace

// Splits argv at the command: global options (and their values) come before it, everything from
// the first other word on belongs to the command, so `sbcctl calls --help` reaches the command
// and not the global --help.
std::size_t command_start(int argc, char** argv, const po::options_description& globals) {
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        const std::string t = argv[i];
        if (t == "--") {
            return static_cast<std::size_t>(i);
        }
        const auto* o = t.find('=') == std::string::npos
                            ? globals.find_nothrow(t.substr(t.find_first_not_of('-')), false)
                            : nullptr;
        i += (o != nullptr && o->semantic()->max_tokens() > 0) ? 2 : 1;
    }
    return static_cast<std::size_t>(std::min(i, argc));
}

int main(int argc, char** argv) {
    global_options g;
    const po::options_description opts = global_option_descriptions(g);
    const std::size_t split = command_start(argc, argv, opts);
    std::vector<std::string> words(argv + split, argv + argc);
    if (!words.empty() && words[0] == "--") {
        words.erase(words.begin());
    }
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(static_cast<int>(split), argv, opts), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "sbcctl: " << e.what() << "\n";
        print_usage(std::cerr, opts);
        return exit_usage;
    }
    if (!words.empty() && words[0] == "__complete") {  // from the bash completion script
        for (const auto& c : completions({words.begin() + 1, words.end()}, opts)) {
            std::cout << c << "\n";
        }
        return exit_ok;
    }
    if (vm.count("help") != 0U || words.empty()) {
        print_usage(vm.count("help") != 0U ? std::cout : std::cerr, opts);
        return vm.count("help") != 0U ? exit_ok : exit_usage;
    }

    std::size_t used = 0;
    const command_spec* c = find_command(words, used);
    if (c == nullptr) {
        std::cerr << "sbcctl: unknown command '" << words[0] << "'\n";
        print_usage(std::cerr, opts);
        return exit_usage;
    }
    command_args a;
    if (!parse_command(*c, {words.begin() + static_cast<long>(used), words.end()}, a, g)) {
        return exit_usage;
    }
    if (a.has("help")) {
        print_command_help(std::cout, *c);
        return exit_ok;
    }
    return c->run(g, a);
}
