#include "controlplane/sip_service.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/counters_json.hpp"
#include "controlplane/log_text.hpp"
#include "controlplane/mgmt_server.hpp"
#include "sip/builder.hpp"

namespace sbc::cp {

sip_service::sip_service(sip::io_loop& loop, const config::appliance& cfg)
    : cfg_(cfg),
      core_limits_(core_limits::from(cfg.sip_server)),
      subnets_(subscriber_subnets::from_config(cfg)),
      dos_(dos_settings::from(cfg.security.dos), [&loop] { return loop.now(); }),
      access_(loop, realm_id::access, limits_from(cfg.sip), timers_from(cfg.sip), guard_),
      core_(loop, realm_id::core, limits_from(cfg.sip), timers_from(cfg.sip), guard_),
      trunk_(core_, cfg.sip_server),
      dispatcher_(access_, core_, subnets_, trunk_, bindings_),
      registrar_(access_, core_, trunk_, bindings_, dos_, cfg.remote_subscribers, cfg.push),
      clients_(access_, core_, dispatcher_),
      e911_(access_, core_, cfg) {
    dispatcher_.route(realm_id::access, sip::sip_method::register_,
                      [this](const inbound_request& req) { registrar_.on_register(req); });
    access_.set_tap(&trace_);
    core_.set_tap(&trace_);
    // The guard sees the access realm only: the core realm faces the trusted PBX.
    access_.transports().set_source_policy(&dos_);
    dos_.set_known_source(
        [this](const sip::socket_address& remote) { return bindings_.has_source(remote); });
    dos_.on_listed(
        [this](const sip::socket_address& remote) { return access_.close_source(remote); });
    // Limits toward the core (core_limits.hpp): checked on everything from the access realm
    // (a source that keeps breaking them is counted like one sending malformed messages) and
    // on everything sent to the core realm.
    access_.set_ingress_limits(
        &core_limits_, [this](const sip::socket_address& remote) { dos_.on_malformed(remote); });
    core_.set_egress_limits(&core_limits_);
    dispatcher_.set_provider_check([this](realm_id r, const sip::socket_address& source) {
        return e911_.provider_at(r, source).has_value();
    });
    dispatcher_.route_to_client_default(
        [this](const inbound_request& req) { clients_.on_request(req); });
    dispatcher_.route_client_acks(
        [this](realm_id r, sip::message&& ack, const sip::transport_context& ctx, binding* b) {
            clients_.on_ack(r, std::move(ack), ctx, b);
        });
}

sip_service::~sip_service() {
    e911_.stop();
    trunk_.stop();
    access_.transports().set_source_policy(nullptr);
}

cp::status sip_service::start(const sip_listen& where) {
    // Access: each subnet presents its certificate profile; sources outside every subnet get
    // the realm's (and then a 403 to their first request).
    auto by_subnet = [this](const sip::socket_address& remote) -> std::string {
        const subscriber_subnet* s = subnets_.match(remote);
        return s != nullptr ? s->certificate_profile : std::string();
    };
    if (cp::status st = access_.open(where.access, cfg_.certificate_profiles, by_subnet); !st) {
        return st;
    }
    if (cp::status st = core_.open(where.core, cfg_.certificate_profiles, {}); !st) {
        return st;
    }
    for (const auto& n : cfg_.sip_server.nodes) {
        if (n.transport == config::sip_transport::tls) {
            const auto* realm = cfg_.find_realm(cfg_.sip_server.realm);
            const auto* profile =
                realm ? cfg_.find_certificate_profile(realm->certificate_profile) : nullptr;
            if (profile == nullptr) {
                return cp::fail(
                    "sip_server: a TLS node needs the core realm's certificate_profile");
            }
            if (cp::status st = core_.set_tls_client(*profile); !st) {
                return st;
            }
            break;
        }
    }
    if (auto s = e911_.start(); !s) {
        return s;
    }
    return trunk_.start();
}

cp::status sip_service::start(realm_link& access, realm_link& core, const sip_listen& where) {
    access_.use_link(access, where.access);
    core_.use_link(core, where.core);
    return trunk_.start();
}

void sip_service::register_mgmt(mgmt_server& mgmt) {
    mgmt.on("registrations",
            [this](const nlohmann::json& args) { return registrar_.registrations_table(args); });
    mgmt.on("sip", [this](const nlohmann::json&) { return counters(); });
    mgmt.on("blacklist", [this](const nlohmann::json& args) { return dos_.blacklist_table(args); });
    mgmt.on("security", [this](const nlohmann::json&) { return dos_.status(); });
    mgmt.on("trace_sip", [this](const nlohmann::json& args) { return trace_sip(args); });
    mgmt.on("e911", [this](const nlohmann::json&) { return e911_.status(); });
    // The operator forgives a source before its entry expires.
    mgmt.on("blacklist_remove", [this](const nlohmann::json& args) -> cp::result<nlohmann::json> {
        const std::string address = args.value("address", std::string());
        const auto remote = sip::socket_address::from_ip(address, 0);
        if (!remote) {
            return cp::fail("'" + address + "' is not an IP address");
        }
        if (!dos_.forgive(*remote)) {
            return cp::fail(address + " is not blacklisted");
        }
        return nlohmann::json{{"removed", address}};
    });
}

// `sbcctl trace sip`: args "aor", "call_id", "with_keys", "limit".
cp::result<nlohmann::json> sip_service::trace_sip(const nlohmann::json& args) const {
    sip_trace_query q;
    if (args.is_object()) {
        q.aor = args.value("aor", std::string());
        q.call_id = args.value("call_id", std::string());
        q.with_keys = args.value("with_keys", false);
        q.limit = args.value("limit", q.limit);
    }
    if (q.with_keys) {
        // An audit event: the operator asked for digest responses and SRTP keys in clear.
        spdlog::warn(
            "audit: SIP trace with keys (unmasked) requested over the mgmt API "
            "(aor '{}', call-id '{}')",
            log_text(q.aor), log_text(q.call_id));
    }
    return trace_.query(q);
}

nlohmann::json sip_service::status() const {
    return {{"realms", {access_.status(), core_.status()}},
            {"sip_server", trunk_.status()},
            {"registrations", bindings_.active()},
            {"security",
             {{"under_attack_remaining_s", dos_.under_attack_s()},
              {"blacklisted", dos_.blacklisted()}}},
            {"exceptions", guard_.status()}};
}

nlohmann::json sip_service::counters() const {
    nlohmann::json rows = nlohmann::json::array();
    auto add = [&rows](std::string_view part, const nlohmann::json& obj) {
        for (const auto& [k, v] : obj.items()) {
            rows.push_back({std::string(part), k, v});
        }
    };
    add("access", access_.status()["counters"]);
    add("core", core_.status()["counters"]);
    add("dispatch", dispatcher_.counters());
    add("registrar", registrar_.counters_json());
    nlohmann::json limits = nlohmann::json::object();
    const nlohmann::json in = access_.refused_in().json();
    const nlohmann::json out = core_.refused_out().json();
    for (const auto& [k, v] : in.items()) {
        limits["in_" + k] = v;
    }
    for (const auto& [k, v] : out.items()) {
        limits["out_" + k] = v;
    }
    add("core_limits", limits);
    add("dos", counters_json(dos_.counters()));
    return {{"columns", {"part", "counter", "value"}}, {"rows", rows}};
}

}  // namespace sbc::cp
