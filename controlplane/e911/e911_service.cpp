#include "controlplane/e911/e911_service.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/counters_json.hpp"

namespace sbc::cp::e911 {

namespace {

std::size_t slot(realm_id r) {
    return static_cast<std::size_t>(r);
}

}  // namespace

realm_id realm_of(std::string_view name) {
    return name == "access" ? realm_id::access : realm_id::core;
}

e911_service::e911_service(realm_edge& access, realm_edge& core, const config::appliance& cfg)
    : access_(access),
      core_(core),
      cfg_(cfg),
      numbers_{emergency_numbers(cfg.realm.access.emergency_numbers),
               emergency_numbers(cfg.realm.core.emergency_numbers)} {
    for (const auto& e : cfg_.remote_endpoints) {
        endpoint ep;
        ep.cfg = &e;
        ep.access = realm_of(e.access_realm);
        ep.core = realm_of(e.core_realm);
        ep.ssp = cfg_.find_ssp_profile(e.ssp_profile);
        ep.media = cfg_.find_media_profile(e.media_profile);
        if (ep.media != nullptr) {
            ep.unfiltered = *ep.media;
            ep.unfiltered.allow_unconfigured_codecs = true;
        }
        ep.domains = std::make_unique<location_domains>(edge(ep.access), e);
        endpoints_.push_back(std::move(ep));
    }
}

e911_service::~e911_service() {
    stop();
}

cp::status e911_service::start() {
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
        endpoint& ep = endpoints_[i];
        const std::string key = "remote_endpoint[" + std::to_string(i) + "] (" + ep.cfg->name + ")";
        for (auto t : {sip::transport_type::udp, sip::transport_type::tcp}) {
            if (auto s = edge(ep.core).listen_extra(t, ep.cfg->core_realm_port,
                                                    key + ".core_realm_port");
                !s) {
                return s;
            }
            if (auto s = edge(ep.access).listen_extra(t, ep.cfg->access_port(),
                                                      key + ".access_realm_port");
                !s) {
                return s;
            }
        }
    }
    // TLS location domains: the access realm's certificate is ours as a client, its CA verifies
    // the provider (config/README.md [[remote_endpoint]]).
    for (const endpoint& ep : endpoints_) {
        for (const auto& d : ep.cfg->location_domains) {
            if (d.transport != config::sip_transport::tls) {
                continue;
            }
            const config::realm* r = cfg_.find_realm(ep.cfg->access_realm);
            const auto* profile =
                r != nullptr ? cfg_.find_certificate_profile(r->certificate_profile) : nullptr;
            if (profile == nullptr) {
                return cp::fail("remote_endpoint " + ep.cfg->name +
                                ": a TLS location domain needs the access realm's "
                                "certificate_profile");
            }
            if (auto s = edge(ep.access).set_tls_client(*profile); !s) {
                return s;
            }
            break;
        }
    }
    for (endpoint& ep : endpoints_) {
        if (auto s = ep.domains->start(); !s) {
            return s;
        }
        spdlog::info(
            "remote_endpoint {}: emergency calls from OSV on {} port {}, to the provider "
            "from {} port {} ({} location domains)",
            ep.cfg->name, realm_name(ep.core), ep.cfg->core_realm_port, realm_name(ep.access),
            ep.cfg->access_port(), ep.domains->size());
    }
    return cp::status::ok();
}

void e911_service::stop() {
    for (endpoint& ep : endpoints_) {
        ep.domains->stop();
    }
}

std::optional<std::size_t> e911_service::endpoint_on_port(realm_id r,
                                                          const sip::socket_address& local) const {
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
        if (endpoints_[i].core == r && endpoints_[i].cfg->core_realm_port == local.port()) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<std::size_t> e911_service::endpoint_of_core(realm_id r) const {
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
        if (endpoints_[i].core == r) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<std::size_t> e911_service::provider_at(realm_id r,
                                                     const sip::socket_address& source) const {
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
        if (endpoints_[i].access == r && endpoints_[i].domains->is_domain_address(source)) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<std::string> e911_service::emergency_number(realm_id r,
                                                          const sip::uri& request_uri) const {
    return numbers_[slot(r)].match(request_uri);
}

void e911_service::track_call(realm_id r, std::string_view call_id) {
    calls_[slot(r)].emplace(call_id);
}

void e911_service::untrack_call(realm_id r, std::string_view call_id) {
    calls_[slot(r)].erase(std::string(call_id));
}

bool e911_service::tracks(realm_id r, std::string_view call_id) const {
    return calls_[slot(r)].count(std::string(call_id)) != 0;
}

std::size_t e911_service::calls_from(realm_id r, const sip::socket_address& source) const {
    const auto& m = sources_[slot(r)];
    const auto it = m.find(source.ip());
    return it == m.end() ? 0 : static_cast<std::size_t>(it->second);
}

void e911_service::track_source(realm_id r, const sip::socket_address& source, int delta) {
    auto& m = sources_[slot(r)];
    const std::string ip = source.ip();
    if ((m[ip] += delta) <= 0) {
        m.erase(ip);
    }
}

nlohmann::json e911_service::status() const {
    nlohmann::json eps = nlohmann::json::array();
    for (const endpoint& ep : endpoints_) {
        nlohmann::json failures = nlohmann::json::array();
        for (const auto& f : ep.domains->failures()) {
            failures.push_back({{"time", std::chrono::duration_cast<std::chrono::seconds>(
                                             f.when.time_since_epoch())
                                             .count()},
                                {"call", f.call},
                                {"status", f.status},
                                {"attempts", f.summary}});
        }
        eps.push_back({{"name", ep.cfg->name},
                       {"ssp_profile", ep.cfg->ssp_profile},
                       {"media_profile", ep.cfg->media_profile},
                       {"core_realm", std::string(realm_name(ep.core))},
                       {"core_realm_port", ep.cfg->core_realm_port},
                       {"access_realm", std::string(realm_name(ep.access))},
                       {"access_realm_port", ep.cfg->access_port()},
                       {"options_interval_s", ep.cfg->options_interval_s},
                       {"failover_timeout_ms", ep.cfg->failover_timeout_ms},
                       {"location_domains", ep.domains->status()},
                       {"failures", failures}});
    }
    return {{"emergency_numbers",
             {{"access", cfg_.realm.access.emergency_numbers},
              {"core", cfg_.realm.core.emergency_numbers}}},
            {"emergency_port_reserve", cfg_.calls.emergency_port_reserve},
            {"remote_endpoints", eps},
            {"counters", counters_json(counters_)}};
}

}  // namespace sbc::cp::e911
