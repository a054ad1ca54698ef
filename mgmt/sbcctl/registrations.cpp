// sbcctl registrations [--aor AOR] [--limit N]: the remote subscribers' bindings (AOR, client
// address, User-Agent, expiry at the client and at OSV, node, throttled or not, flow).
// sbcctl sip: the SIP counters of both realms, the dispatcher and the registrar.

#include <boost/program_options.hpp>
#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

int run_registrations(const global_options& g, const std::vector<std::string>& args) {
    po::options_description opts;
    std::string aor;
    unsigned limit = 1000;
    opts.add_options()("aor", po::value<std::string>(&aor), "only this address-of-record")(
        "limit", po::value<unsigned>(&limit)->default_value(1000), "at most this many rows");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
    nlohmann::json q = {{"limit", limit}};
    if (!aor.empty()) {
        q["aor"] = aor;
    }
    nlohmann::json result;
    if (int rc = call_sbcd(g, "registrations", q, result); rc != exit_ok) {
        return rc;
    }
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

int run_sip(const global_options& g, const std::vector<std::string>& args) {
    if (!args.empty()) {
        std::cerr << "sbcctl sip: unexpected argument '" << args[0] << "'\n";
        return exit_usage;
    }
    nlohmann::json result;
    if (int rc = call_sbcd(g, "sip", nlohmann::json::object(), result); rc != exit_ok) {
        return rc;
    }
    if (g.json) {
        print_json(result);
    } else {
        std::cout << render_table(result);
    }
    return exit_ok;
}

}  // namespace

std::vector<command_spec> registration_commands() {
    return {
        {"registrations", "remote subscribers' bindings (--aor AOR, --limit N)", run_registrations},
        {"sip", "SIP counters: transports, transactions, dispatcher, registrar", run_sip}};
}

}  // namespace sbc::mgmt
