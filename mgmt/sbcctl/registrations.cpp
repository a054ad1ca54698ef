// sbcctl registrations [--aor AOR] [--limit N]: the remote subscribers' bindings (AOR, client
// address, User-Agent, expiry at the client and at OSV, node, throttled or not, flow, push
// service and device; --push lists only push-capable bindings).
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
    bool push = false;
    opts.add_options()("aor", po::value<std::string>(&aor), "only this address-of-record")(
        "push", po::bool_switch(&push), "only push-capable bindings (RFC 8599 pn-* parameters)")(
        "limit", po::value<unsigned>(&limit)->default_value(1000), "at most this many rows");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
    nlohmann::json q = {{"limit", limit}};
    if (!aor.empty()) {
        q["aor"] = aor;
    }
    if (push) {
        q["push"] = true;
    }
    nlohmann::json result;
    if (int rc = call_sbcd(g, "registrations", q, result); rc != exit_ok) {
        return rc;
    }
    return print_listing(g, result);
}

int run_sip(const global_options& g, const std::vector<std::string>& args) {
    return run_no_args(g, args, "sip", render_table);
}

}  // namespace

std::vector<command_spec> registration_commands() {
    return {
        {"registrations", "remote subscribers' bindings (--aor AOR, --push, --limit N)",
         run_registrations},
        {"sip", "SIP counters: transports, transactions, dispatcher, registrar", run_sip}};
}

}  // namespace sbc::mgmt
