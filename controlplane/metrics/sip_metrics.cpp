// Every counter family (common/counters.hpp) of sbcd's SIP side with its labels. Names, kinds
// and help come from the families; this file only says which labels each one gets.
#include "controlplane/metrics/sip_metrics.hpp"

#include <string>

namespace sbc::cp {

using metrics::exposition;

void sip_metrics(exposition& e, sip_service& sip) {
    for (realm_edge* edge : {&sip.access(), &sip.core()}) {
        const std::string_view realm = edge->name();
        e.family(edge->transports().counters(), {{"realm", realm}});
        e.family(edge->transactions().counters(), {{"realm", realm}});
        const sip_message_counts& m = edge->messages();
        for (std::size_t d = 0; d < 2; ++d) {
            const std::string_view dir = d == 0 ? "in" : "out";
            for (std::size_t i = 0; i < sip_message_counts::methods; ++i) {
                e.sample("sbc_sip_requests_total", counter_kind::counter,
                         "SIP requests received (in, before admission) or sent (out) by method",
                         {{"realm", realm},
                          {"direction", dir},
                          {"method", sip_message_counts::method_label(i)}},
                         static_cast<double>(m.requests[d][i]));
            }
            for (std::size_t c = 1; c < m.responses[d].size(); ++c) {
                const std::string cls = std::to_string(c) + "xx";
                e.sample("sbc_sip_responses_total", counter_kind::counter,
                         "SIP responses received (in) or sent (out) by status class",
                         {{"realm", realm}, {"direction", dir}, {"class", cls}},
                         static_cast<double>(m.responses[d][c]));
            }
        }
    }
    // Limits toward the core (core_limits.hpp): at admission on the access realm, at egress
    // toward the core realm.
    for (std::size_t b = 0; b < static_cast<std::size_t>(limit_breach::count_); ++b) {
        const std::string_view rule = breach_name(static_cast<limit_breach>(b));
        e.sample("sbc_core_limits_refused_total", counter_kind::counter,
                 "messages over a limit toward the core: refused at admission (in) or not sent "
                 "(out)",
                 {{"direction", "in"}, {"rule", rule}},
                 static_cast<double>(sip.access().refused_in().refused[b]));
        e.sample("sbc_core_limits_refused_total", counter_kind::counter, "",
                 {{"direction", "out"}, {"rule", rule}},
                 static_cast<double>(sip.core().refused_out().refused[b]));
    }

    const registrar_relay& reg = sip.registrar();
    e.family(static_cast<const registrar_family&>(reg.counters()));
    for (std::size_t r = 0; r < static_cast<std::size_t>(register_refusal::count_); ++r) {
        e.sample("sbc_registrar_refused_by_reason_total", counter_kind::counter,
                 "REGISTERs refused before relaying, by reason",
                 {{"reason", refusal_name(static_cast<register_refusal>(r))}},
                 static_cast<double>(reg.counters().refusals[r]));
    }
    e.sample("sbc_registrations", counter_kind::gauge, "registration bindings held", {},
             static_cast<double>(sip.bindings().active()));
    e.histogram("sbc_register_relay_seconds",
                "REGISTER relay time: the client's REGISTER to the final answer sbcd sent it", {},
                reg.relay_time());

    const dos_guard& dos = sip.dos();
    e.family(dos.counters());
    e.sample("sbc_dos_blacklisted", counter_kind::gauge, "sources on the blacklist now", {},
             static_cast<double>(dos.blacklisted()));
    e.sample("sbc_dos_under_attack", counter_kind::gauge,
             "1 while initial REGISTERs are refused (the guard sees an attack)", {},
             dos.under_attack_s() > 0 ? 1.0 : 0.0);

    const osv_trunk& trunk = sip.trunk();
    for (node_index n = 0; n < trunk.size(); ++n) {
        const trunk_node& node = trunk.node(n);
        for (node_health h : {node_health::probing, node_health::up, node_health::down}) {
            e.sample("sbc_osv_node_state", counter_kind::gauge,
                     "1 for the OSV node's current health (probing, up, down), else 0",
                     {{"node", node.cfg.name}, {"state", health_name(h)}},
                     node.health == h ? 1.0 : 0.0);
        }
        e.family(static_cast<const osv_node_counters&>(node), {{"node", node.cfg.name}});
        e.family(osv_node_counters::family, static_cast<const peer_probe_counters&>(node),
                 {{"node", node.cfg.name}});
    }

    e.family(sip.e911().counters());
}

}  // namespace sbc::cp
