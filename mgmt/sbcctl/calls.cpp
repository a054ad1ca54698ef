// sbcctl calls [--detail]: the calls through the B2BUA (state, parties, each leg's media
// profile, local port, protocol, packets and SRTP failures), then the call and media counters.
// --detail adds per leg: realm, Call-ID, signalling peer, User-Agent, media peer, latched
// address, suite, codecs, direction and drop reasons.

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "controlplane/b2bua/b2bua_counters.hpp"
#include "controlplane/media/media_counters.hpp"
#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

void print_counters(const nlohmann::json& c, const nlohmann::json& m) {
    std::cout << render_counters<cp::b2bua::b2bua_counters>("calls", c);
    std::cout << render_counters<cp::media::media_counters>("media", m);
    std::cout << "call records: written " << scalar_text(m.value("cdr_written", nlohmann::json()))
              << ", lost " << scalar_text(m.value("cdr_lost", nlohmann::json())) << "\n";
}

std::string seconds(const nlohmann::json& v) {
    if (!v.is_number()) {
        return scalar_text(v);
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v.get<double>());
    return buf;
}

void print_detail(const nlohmann::json& calls) {
    for (const auto& c : calls) {
        std::cout << "\ncall " << scalar_text(c["call"]) << " " << scalar_text(c["state"]) << " "
                  << scalar_text(c["direction"]) << " " << scalar_text(c["from"]) << " -> "
                  << scalar_text(c["to"]) << " (" << seconds(c["duration_s"]) << " s"
                  << (c.value("held", false) ? ", held" : "") << ")\n";
        if (c.contains("route")) {
            std::cout << "  route: " << scalar_text(c["route"]) << "\n";
        }
        for (const auto& l : c["legs"]) {
            std::cout << "  leg " << scalar_text(l["side"]) << " " << scalar_text(l["realm"])
                      << " call-id " << scalar_text(l["call_id"]) << " peer "
                      << scalar_text(l["peer"]) << " ua \"" << scalar_text(l["user_agent"])
                      << "\"\n";
            if (!l.contains("media")) {
                continue;
            }
            const auto& m = l["media"];
            std::cout << "    media " << scalar_text(m.value("local", nlohmann::json())) << " <-> "
                      << scalar_text(m.value("peer", nlohmann::json()));
            if (m.contains("latched")) {
                std::cout << " (latched " << scalar_text(m["latched"]) << ")";
            }
            if (m.contains("looped_to")) {
                // OSV joined two of our calls without anchoring media: relayed inside the SBC.
                std::cout << " (hairpin to " << scalar_text(m["looped_to"]) << ")";
            }
            std::cout << " " << scalar_text(m.value("protocol", nlohmann::json()));
            if (m.contains("suite")) {
                std::cout << " " << scalar_text(m["suite"]);
            }
            std::cout << " profile " << scalar_text(m.value("profile", nlohmann::json())) << " ("
                      << scalar_text(m.value("profile_reason", nlohmann::json())) << ")\n";
            std::cout << "    rx " << scalar_text(m.value("rx_packets", nlohmann::json()))
                      << " pkts / " << scalar_text(m.value("rx_bytes", nlohmann::json()))
                      << " B, relayed " << scalar_text(m.value("fwd_packets", nlohmann::json()))
                      << ", srtp failures "
                      << scalar_text(m.value("srtp_failures", nlohmann::json()));
            if (m.contains("drops") && !m["drops"].empty()) {
                std::cout << ", drops " << terminal_text(json_text(m["drops"]));
            }
            std::cout << "\n";
        }
    }
}

int run_calls(const global_options& g, const command_args& a) {
    nlohmann::json result;
    if (int rc = call_sbcd(g, "calls", {{"limit", a.get<unsigned>("limit")}}, result);
        rc != exit_ok) {
        return rc;
    }
    print_listing(g, result);
    if (g.json) {
        return exit_ok;
    }
    if (a.get<bool>("detail") && result.contains("calls")) {
        print_detail(result["calls"]);
    }
    std::cout << "\n";
    print_counters(result.value("counters", nlohmann::json::object()),
                   result.value("media", nlohmann::json::object()));
    return exit_ok;
}

}  // namespace

std::vector<command_spec> call_commands() {
    return {command_spec("calls",
                         "calls through the B2BUA, media legs and counters (--detail, --limit N)",
                         run_calls)
                .explain("One row per call (state, parties, each leg's media profile, local "
                         "port, protocol, packets and SRTP failures), then the call and media "
                         "counters. --detail adds per leg: realm, Call-ID, signalling peer, "
                         "User-Agent, media peer, latched address, suite, codecs, direction and "
                         "drop reasons.")
                .with_options([](po::options_description& o) {
                    o.add_options()("detail", po::bool_switch(), "every leg of every call in full")(
                        "limit", po::value<unsigned>()->default_value(200)->value_name("N"),
                        "at most this many calls");
                })};
}

}  // namespace sbc::mgmt
