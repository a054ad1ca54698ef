#pragma once
// sbcctl's command table. A command declares its options and operands once; the same
// declaration parses the command line, answers `sbcctl COMMAND --help` and `sbcctl help COMMAND`,
// feeds the bash completion (`sbcctl completion bash`) and writes the man page (`sbcctl man`), so
// none of them can drift from what the command accepts. Each command talks to sbcd (or works
// locally, like `config validate`) and prints text or, with --json, JSON.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

namespace sbc::mgmt {

// Exit codes: 0 ok, 1 the operation failed (sbcd said no, config invalid), 2 bad arguments,
// 3 sbcd unreachable or not answering.
enum exit_code : int { exit_ok = 0, exit_failed = 1, exit_usage = 2, exit_unreachable = 3 };

struct global_options {
    std::string socket_path;
    bool json = false;
};

// A command's parsed command line: its options and its operands (positional arguments).
struct command_args {
    boost::program_options::variables_map options;
    std::vector<std::string> operands;

    bool has(const char* option) const { return options.count(option) != 0U; }
    template <typename T>
    T get(const char* option) const {
        return options[option].as<T>();
    }
};

struct command_spec {
    using options_fn = std::function<void(boost::program_options::options_description&)>;
    using run_fn = std::function<int(const global_options&, const command_args&)>;

    command_spec(std::string n, std::string s, run_fn r)
        : name(std::move(n)), summary(std::move(s)), run(std::move(r)) {}
    // The command takes `min`..`max` operands, shown as `synopsis` ("FILE").
    command_spec& takes(std::string synopsis, std::size_t min, std::size_t max) {
        operands = std::move(synopsis);
        min_operands = min;
        max_operands = max;
        return *this;
    }
    command_spec& explain(std::string text) {
        details = std::move(text);
        return *this;
    }
    command_spec& with_options(options_fn fn) {
        options = std::move(fn);
        return *this;
    }

    std::string name;     // "status", "config validate"
    std::string summary;  // one line for the command list
    run_fn run;
    std::string operands;  // as the synopsis shows them; empty when none
    std::size_t min_operands = 0, max_operands = 0;
    std::string details;  // more for `help COMMAND` and the man page; may be empty
    options_fn options;   // adds the command's options; null when it has none
};

// The commands about sbcctl itself: help, completion, man.
std::vector<command_spec> help_commands();

std::vector<command_spec> status_commands();
std::vector<command_spec> config_commands();
// config apply / rollback / history (config_apply.cpp), listed by config_commands().
std::vector<command_spec> config_change_commands();
std::vector<command_spec> table_commands();
std::vector<command_spec> registration_commands();
std::vector<command_spec> call_commands();
std::vector<command_spec> security_commands();
std::vector<command_spec> e911_commands();
std::vector<command_spec> cloudlink_commands();
std::vector<command_spec> trace_commands();

// Every command, in the order `sbcctl --help` lists them.
const std::vector<command_spec>& all_commands();

// The command's options as declared, plus --help.
boost::program_options::options_description command_options(const command_spec& c);
// "sbcctl calls [--detail] [--limit N]", "sbcctl config validate FILE".
std::string command_synopsis(const command_spec& c);

// Sends `command` with `args` to sbcd; on success stores the result and returns exit_ok,
// otherwise prints the error to stderr and returns the exit code to use.
int call_sbcd(const global_options& g, const std::string& command, const nlohmann::json& args,
              nlohmann::json& result);

void print_json(const nlohmann::json& j);

// A command without options or operands: asks sbcd for `command` (words joined by '_':
// "cloudlink status" asks for cloudlink_status) and prints the JSON or `render(result)`.
command_spec ask_sbcd(std::string command, std::string summary,
                      std::function<std::string(const nlohmann::json&)> render);

// Prints a listing sbcd answered ({"columns","rows","total"}): JSON, or the table with a note
// when `--limit` cut it. Returns exit_ok.
int print_listing(const global_options& g, const nlohmann::json& result);

}  // namespace sbc::mgmt
