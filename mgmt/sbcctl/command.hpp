#pragma once
// sbcctl's command table: each command parses its own arguments (Boost.Program_options), talks
// to sbcd (or works locally, like `config validate`), and prints text or, with --json, JSON.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sbc::mgmt {

// Exit codes: 0 ok, 1 the operation failed (sbcd said no, config invalid), 2 bad arguments,
// 3 sbcd unreachable or not answering.
enum exit_code : int { exit_ok = 0, exit_failed = 1, exit_usage = 2, exit_unreachable = 3 };

struct global_options {
    std::string socket_path;
    bool json = false;
};

struct command_spec {
    std::string name;     // "status", "config validate"
    std::string summary;  // one line for --help
    std::function<int(const global_options&, const std::vector<std::string>& args)> run;
};

std::vector<command_spec> status_commands();
std::vector<command_spec> config_commands();
std::vector<command_spec> table_commands();
std::vector<command_spec> registration_commands();
std::vector<command_spec> call_commands();
std::vector<command_spec> security_commands();
std::vector<command_spec> cloudlink_commands();

// Sends `command` with `args` to sbcd; on success stores the result and returns exit_ok,
// otherwise prints the error to stderr and returns the exit code to use.
int call_sbcd(const global_options& g, const std::string& command, const nlohmann::json& args,
              nlohmann::json& result);

void print_json(const nlohmann::json& j);

// A command without arguments: asks sbcd for `command` and prints the JSON or `render(result)`.
int run_no_args(const global_options& g, const std::vector<std::string>& args,
                const std::string& command,
                const std::function<std::string(const nlohmann::json&)>& render);

// Prints a listing sbcd answered ({"columns","rows","total"}): JSON, or the table with a note
// when `--limit` cut it. Returns exit_ok.
int print_listing(const global_options& g, const nlohmann::json& result);

}  // namespace sbc::mgmt
