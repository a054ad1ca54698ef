// sbcctl config apply FILE | config rollback | config history | set KEY VALUE | get KEY: live
// reconfiguration of a running sbcd (controlplane/reconfig/live_config.hpp). sbcd reads the file
// itself, so the path is sent absolute.

#include <filesystem>
#include <iostream>
#include <sstream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

namespace {

// Members of sbcd's answer, whatever its shape: a missing or odd member is null or "-".
const nlohmann::json& field(const nlohmann::json& j, const char* key) {
    static const nlohmann::json none;
    if (!j.is_object()) {
        return none;
    }
    const auto it = j.find(key);
    return it == j.end() ? none : *it;
}

const nlohmann::json& list(const nlohmann::json& j, const char* key) {
    static const nlohmann::json empty = nlohmann::json::array();
    const nlohmann::json& v = field(j, key);
    return v.is_array() ? v : empty;
}

std::string text(const nlohmann::json& j, const char* key) {
    const nlohmann::json& v = field(j, key);
    return v.is_string() ? terminal_text(v.get_ref<const std::string&>()) : scalar_text(v);
}

// A changed key's old or new value: "(none)" when the key was absent.
std::string value_text(const nlohmann::json& change, const char* key) {
    const std::string v = text(change, key);
    return v.empty() ? "(none)" : v;
}

// The outcome of an apply or a rollback; exit_failed when it was refused.
int print_outcome(const global_options& g, const nlohmann::json& r) {
    const bool applied = field(r, "applied") == true;
    const bool refused = !list(r, "refusals").empty();
    if (g.json) {
        print_json(r);
        return refused ? exit_failed : exit_ok;
    }
    std::ostringstream os;
    for (const auto& e : list(r, "errors")) {
        os << text(e, "text") << "\n";
    }
    for (const auto& c : list(r, "changes")) {
        os << "  " << text(c, "key") << ": " << value_text(c, "from") << " -> "
           << value_text(c, "to") << "  (" << (field(c, "live") == true ? "live: " : "")
           << text(c, "why") << ")\n";
    }
    for (const auto& why : list(r, "refusals")) {
        os << "refused: "
           << (why.is_string() ? terminal_text(why.get_ref<const std::string&>())
                               : scalar_text(why))
           << "\n";
    }
    const std::string version = text(r, "version");
    if (applied) {
        os << "applied: version " << version << " is running\n";
    } else if (refused) {
        os << "nothing changed: version " << version << " is still running\n";
    } else {
        os << "no change: version " << version << " is still running\n";
    }
    const std::string saved = text(r, "saved");
    const std::string save_error = text(r, "save_error");
    if (!saved.empty() && saved != "-") {
        os << "saved: " << saved << "\n";
    }
    const bool unsaved = !save_error.empty() && save_error != "-";
    if (unsaved) {
        os << "not saved: " << save_error << "\n";
    }
    std::cout << os.str();
    return refused || unsaved ? exit_failed : exit_ok;
}

int run_apply(const global_options& g, const command_args& a) {
    std::error_code ec;
    const std::filesystem::path file = std::filesystem::absolute(a.operands[0], ec);
    if (ec) {
        std::cerr << "sbcctl: " << a.operands[0] << ": " << ec.message() << "\n";
        return exit_usage;
    }
    nlohmann::json r;
    if (int rc = call_sbcd(g, "config_apply", {{"file", file.string()}}, r); rc != exit_ok) {
        return rc;
    }
    return print_outcome(g, r);
}

int run_rollback(const global_options& g, const command_args&) {
    nlohmann::json r;
    if (int rc = call_sbcd(g, "config_rollback", nlohmann::json::object(), r); rc != exit_ok) {
        return rc;
    }
    return print_outcome(g, r);
}

int run_set(const global_options& g, const command_args& a) {
    nlohmann::json r;
    const nlohmann::json args = {
        {"key", a.operands[0]}, {"value", a.operands[1]}, {"save", a.get<bool>("save")}};
    if (int rc = call_sbcd(g, "config_set", args, r); rc != exit_ok) {
        return rc;
    }
    return print_outcome(g, r);
}

int run_get(const global_options& g, const command_args& a) {
    nlohmann::json r;
    if (int rc = call_sbcd(g, "config_get", {{"key", a.operands[0]}}, r); rc != exit_ok) {
        return rc;
    }
    if (g.json) {
        print_json(r);
    } else {
        std::cout << text(r, "key") << " = " << text(r, "value") << "  ("
                  << (field(r, "live") == true ? "live: " : "") << text(r, "why") << ")\n";
    }
    return exit_ok;
}

std::string render_history(const nlohmann::json& h) {
    const nlohmann::json& current = field(h, "current");
    nlohmann::json table = {{"columns", {"version", "at", "origin", "source", "changed keys"}},
                            {"rows", nlohmann::json::array()}};
    for (const auto& v : list(h, "versions")) {
        std::string keys;
        for (const auto& c : list(v, "changes")) {
            keys += (keys.empty() ? "" : ", ") + text(c, "key");
        }
        const bool running = !current.is_null() && field(v, "version") == current;
        table["rows"].push_back({text(v, "version") + (running ? " (running)" : ""), text(v, "at"),
                                 text(v, "origin"), text(v, "source"), keys.empty() ? "-" : keys});
    }
    return render_table(table);
}

}  // namespace

std::vector<command_spec> config_change_commands() {
    return {
        command_spec("config apply",
                     "validate FILE, show its changes and apply them to the running sbcd",
                     run_apply)
            .takes("FILE", 1, 1)
            .explain("All or nothing. sbcd reads FILE, reports every error (file:line:column), "
                     "compares it key by key with the running config and refuses the whole "
                     "apply when a changed key needs a restart, naming each. Live keys: "
                     "certificate_profile certificate/private_key/ca/verify_client (also a file "
                     "rewritten in place: new TLS handshakes use it, open connections keep "
                     "theirs), [[user_agent]], [security.dos], the register throttling keys of "
                     "[remote_subscribers], log.level. SIGHUP to sbcd applies the file it was "
                     "started with the same way. Exit status 1 when refused."),
        command_spec("config rollback", "apply the version before the running one again",
                     run_rollback)
            .explain("Validated like a file (certificate files are read again). The rollback "
                     "is a new version in `config history`."),
        command_spec("set", "change one key of the running config (validated like a file)", run_set)
            .takes("KEY VALUE", 2, 2)
            .explain("KEY as `config show` and the loader's errors name it (log.level, "
                     "security.dos.blacklist_duration_s, user_agent[0].pattern). VALUE is a TOML "
                     "value (42, true, \"text\", [\"a\", \"b\"]); anything else is taken as a "
                     "string. Refused, with the key and why, when the key does not exist, needs a "
                     "restart or the value breaks a rule. The file sbcd was started with is "
                     "changed only with --save: the key's line is rewritten (a key the file "
                     "leaves out is added to its table), comments and order kept; exit status 1 "
                     "when it could not be written (the value is applied all the same).")
            .with_options([](boost::program_options::options_description& o) {
                o.add_options()("save", boost::program_options::bool_switch(),
                                "also write the key into the file sbcd was started with");
            }),
        command_spec("get", "one key of the running config, and whether it is live", run_get)
            .takes("KEY", 1, 1),
        ask_sbcd("config history", "the config versions applied since sbcd started",
                 render_history),
    };
}

}  // namespace sbc::mgmt
