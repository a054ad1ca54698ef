// sbcctl registrations [--aor AOR] [--push] [--limit N]: the remote subscribers' bindings (AOR,
// client address, User-Agent, expiry at the client and at OSV, node, throttled or not, flow, push
// service and device; --push lists only push-capable bindings).
// sbcctl sip: the SIP counters of both realms, the dispatcher and the registrar.

#include <boost/program_options.hpp>
#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

int run_registrations(const global_options& g, const command_args& a) {
    nlohmann::json q = {{"limit", a.get<unsigned>("limit")}};
    if (a.has("aor")) {
        q["aor"] = a.get<std::string>("aor");
    }
    if (a.get<bool>("push")) {
        q["push"] = true;
    }
    nlohmann::json result;
    if (int rc = call_sbcd(g, "registrations", q, result); rc != exit_ok) {
        return rc;
    }
    return print_listing(g, result);
}

}  // namespace

std::vector<command_spec> registration_commands() {
    return {
        command_spec("registrations", "remote subscribers' bindings (--aor AOR, --push, --limit N)",
                     run_registrations)
            .explain("One row per binding: AOR, client address, User-Agent, expiry at the "
                     "client and at OSV, OSV node, whether refreshes are throttled, the flow, "
                     "and for a mobile client that registered RFC 8599 push parameters its "
                     "push service and device. --push lists only those push-capable "
                     "bindings.")
            .with_options([](po::options_description& o) {
                o.add_options()("aor", po::value<std::string>()->value_name("AOR"),
                                "only this address-of-record")(
                    "push", po::bool_switch(),
                    "only push-capable bindings (RFC 8599 pn-* parameters)")(
                    "limit", po::value<unsigned>()->default_value(1000)->value_name("N"),
                    "at most this many rows");
            }),
        ask_sbcd("sip", "SIP counters: transports, transactions, dispatcher, registrar",
                 render_table)};
}

}  // namespace sbc::mgmt
