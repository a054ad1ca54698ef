#include "controlplane/sip_service.hpp"

#include "controlplane/mgmt_server.hpp"

namespace sbc::cp {

sip_service::sip_service(sip::io_loop& loop, const config::appliance& cfg)
    : cfg_(cfg),
      subnets_(subscriber_subnets::from_config(cfg)),
      access_(loop, realm_id::access, limits_from(cfg.sip), timers_from(cfg.sip)),
      core_(loop, realm_id::core, limits_from(cfg.sip), timers_from(cfg.sip)),
      trunk_(core_, cfg.sip_server),
      dispatcher_(access_, core_, subnets_, trunk_, bindings_),
      registrar_(access_, core_, trunk_, bindings_, cfg.remote_subscribers),
      clients_(access_, core_, dispatcher_) {
    dispatcher_.route(realm_id::access, sip::sip_method::register_,
                      [this](const inbound_request& req) { registrar_.on_register(req); });
    dispatcher_.route_to_client_default(
        [this](const inbound_request& req) { clients_.on_request(req); });
    dispatcher_.route_client_acks(
        [this](realm_id r, sip::message&& ack, const sip::transport_context& ctx, binding* b) {
            clients_.on_ack(r, std::move(ack), ctx, b);
        });
}

sip_service::~sip_service() {
    trunk_.stop();
}

bool sip_service::start(const sip_listen& where, std::string& error) {
    // Access: each subnet presents its certificate profile; sources outside every subnet get
    // the realm's (and then a 403 to their first request).
    auto by_subnet = [this](const sip::socket_address& remote) -> std::string {
        const subscriber_subnet* s = subnets_.match(remote);
        return s != nullptr ? s->certificate_profile : std::string();
    };
    if (!access_.open(where.access, cfg_.certificate_profiles, by_subnet, error)) {
        return false;
    }
    if (!core_.open(where.core, cfg_.certificate_profiles, {}, error)) {
        return false;
    }
    for (const auto& n : cfg_.sip_server.nodes) {
        if (n.transport == config::sip_transport::tls) {
            const auto* realm = cfg_.find_realm(cfg_.sip_server.realm);
            const auto* profile =
                realm ? cfg_.find_certificate_profile(realm->certificate_profile) : nullptr;
            if (profile == nullptr || !core_.set_tls_client(*profile, error)) {
                if (error.empty()) {
                    error = "sip_server: a TLS node needs the core realm's certificate_profile";
                }
                return false;
            }
            break;
        }
    }
    return trunk_.start(error);
}

void sip_service::register_mgmt(mgmt_server& mgmt) {
    mgmt.on("registrations",
            [this](const nlohmann::json& args) { return registrar_.registrations_table(args); });
    mgmt.on("sip", [this](const nlohmann::json&) { return counters(); });
}

nlohmann::json sip_service::status() const {
    return {{"realms", {access_.status(), core_.status()}},
            {"sip_server", trunk_.status()},
            {"registrations", bindings_.active()}};
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
    return {{"columns", {"part", "counter", "value"}}, {"rows", rows}};
}

}  // namespace sbc::cp
