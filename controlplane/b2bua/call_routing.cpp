#include "controlplane/b2bua/call_routing.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/log_text.hpp"
#include "controlplane/sip_service.hpp"
#include "dataplane/shm/address.hpp"

namespace sbc::cp::b2bua {

namespace {

std::optional<shm::ip_address> ip_of(const sip::socket_address& a) {
    shm::ip_address ip{};
    if (!shm::parse_ip(a.ip(), ip)) {
        return std::nullopt;
    }
    return ip;
}

}  // namespace

media::leg_setup call_router::media_for(realm_id r, const inbound_request& req,
                                        const binding* client, bool caller) const {
    const auto& profiles = media_.profiles();
    media::leg_setup s;
    if (r == realm_id::access) {
        s.realm = &cfg_.realm.access;
        const std::string ua =
            caller ? std::string(req.msg.user_agent()) : (client ? client->user_agent : "");
        const subscriber_subnet* subnet = caller ? req.subnet : (client ? client->subnet : nullptr);
        auto choice = profiles.for_access(ua, subnet ? subnet->media_profile : "");
        s.profile = choice.profile;
        s.profile_reason = choice.reason;
        s.signalling_source = ip_of(caller ? req.ctx.remote : client->remote);
    } else {
        s.realm = &cfg_.realm.core;
        auto choice = profiles.for_realm(cfg_.realm.core);
        s.profile = choice.profile;
        s.profile_reason = choice.reason;
    }
    return s;
}

std::variant<route, refusal> call_router::decide(const inbound_request& req, binding* client,
                                                 uint32_t retry_after_s) const {
    const sip::message& msg = req.msg;
    route r;
    r.kind = client != nullptr ? call_kind::from_core : call_kind::from_access;
    r.caller_realm = req.realm;
    r.callee_realm = client != nullptr ? realm_id::access : realm_id::core;

    if (const auto& mf = msg.max_forwards(); mf.ok()) {
        if (*mf == 0) {
            return refusal{483, "Too Many Hops", {}, nullptr, std::nullopt};
        }
        r.max_forwards = std::min<uint32_t>(*mf - 1, 70);
    }
    if (client == nullptr) {
        if (auto ep = sip_.e911().endpoint_on_port(req.realm, req.ctx.local)) {
            return emergency(req, *ep, std::move(r));
        }
    }
    if (!body_is_relayable(req.msg)) {
        return refusal{415,
                       "Unsupported Media Type (the SBC relays application/sdp)",
                       {{"Accept", std::string(accepted_bodies)}},
                       &b2bua_counters::refused_media,
                       std::nullopt};
    }
    // A softphone dialling an emergency number of its realm (guide 12.1.2): OSV routes it like
    // any call; the SBC admits it first.
    std::optional<std::string> dialled_emergency;
    if (client == nullptr && req.realm == realm_id::access) {
        dialled_emergency = sip_.e911().emergency_number(realm_id::access, msg.request_uri());
    }
    if (dialled_emergency) {
        r.kind = call_kind::emergency_from_access;
        if (media_.at_capacity()) {
            if (auto no = over_session_limit(req, *dialled_emergency, retry_after_s)) {
                return *no;
            }
        }
    } else if (media_.at_capacity()) {
        return refusal{503,
                       "Service Unavailable (session limit)",
                       {{"Retry-After", std::to_string(retry_after_s)}},
                       &b2bua_counters::refused_capacity,
                       std::nullopt};
    }

    if (client == nullptr && req.realm == realm_id::core) {
        // OSV calls reach a softphone through its flow token; anything else is not ours to route.
        return refusal{404, "Not Found (no such subscriber)", {}, nullptr, std::nullopt};
    }
    if (client == nullptr) {
        // A user's dialogs stay on the node of its registration (clustered OSV keeps them there).
        std::optional<node_index> affinity;
        for (binding* b : sip_.bindings().on_connection(req.ctx.connection)) {
            affinity = b->node;
            break;
        }
        r.node = sip_.trunk().select(affinity);
        if (!r.node) {
            return refusal{503,
                           "Service Unavailable (no OSV node)",
                           {{"Retry-After", std::to_string(sip_.trunk().retry_after_s())}},
                           &b2bua_counters::refused_no_node,
                           std::nullopt};
        }
        r.next_hop = sip_.trunk().target(*r.node);
        r.remote_target = std::string(msg.request_uri_text());
        r.why = "OSV node " + sip_.trunk().node(*r.node).cfg.name +
                (affinity && *affinity == *r.node ? " (the node of the caller's registration)"
                 : affinity ? " (the caller's registration node is not usable)"
                            : " (selected by the trunk)");
    } else {
        if (!client->live_flow() && (!client->has_push() || !cfg_.push.enable)) {
            return refusal{0, {}, {}, nullptr, dispatch_refusal::no_live_flow};
        }
        r.wait_for_push = !client->live_flow();
        r.node = req.node;
        r.next_hop.type = client->transport;
        r.next_hop.address = client->remote;
        r.next_hop.connection = client->connection;
        r.remote_target = client->contact;
        r.callee_user_agent = client->user_agent;
        r.why = r.wait_for_push
                    ? "a push to " + client->aor + "'s mobile device " + client->push.summary() +
                          " (no live connection), then its new flow"
                    : "the live flow of " + client->aor + " from " + client->remote.to_string() +
                          " (its flow token)";
    }
    if (dialled_emergency) {
        r.why = "emergency number " + *dialled_emergency + " ([realm.access] emergency_numbers); " +
                r.why;
    }
    r.caller_media = media_for(r.caller_realm, req, client, true);
    r.callee_media = media_for(r.callee_realm, req, client, false);
    return r;
}

std::optional<refusal> call_router::over_session_limit(const inbound_request& req,
                                                       const std::string& dialled,
                                                       uint32_t retry_after_s) const {
    e911::e911_service& e911 = sip_.e911();
    const std::size_t in_progress = e911.calls_from(realm_id::access, req.ctx.remote);
    if (in_progress >= emergency_calls_per_source_over_limit) {
        spdlog::error(
            "emergency call to {} from {} refused 503 at calls.max_sessions: the source already "
            "has {} emergency calls in progress",
            log_text(dialled), req.ctx.remote.to_string(), in_progress);
        return refusal{503,
                       "Service Unavailable (session limit; emergency calls in progress from "
                       "this source)",
                       {{"Retry-After", std::to_string(retry_after_s)}},
                       &b2bua_counters::refused_capacity,
                       std::nullopt};
    }
    ++e911.counters().over_session_limit;
    spdlog::warn("emergency call to {} from {} admitted over calls.max_sessions", log_text(dialled),
                 req.ctx.remote.to_string());
    return std::nullopt;
}

std::variant<route, refusal> call_router::emergency(const inbound_request& req,
                                                    std::size_t endpoint, route r) const {
    e911::e911_service& e911 = sip_.e911();
    e911::endpoint& ep = e911.at(endpoint);
    const e911::location_domains& domains = *ep.domains;
    r.kind = call_kind::emergency;
    r.caller_realm = req.realm;
    r.callee_realm = ep.access;
    // The location may ride along (RFC 6442: multipart/mixed with a PIDF-LO part); the SDP in it
    // is what the media manager anchors.
    if (!req.msg.body().empty() && !req.msg.sdp_body()) {
        spdlog::error("emergency call from {} to remote_endpoint {}: body without SDP refused",
                      req.ctx.remote.to_string(), ep.cfg->name);
        return refusal{415,
                       "Unsupported Media Type (an emergency INVITE carries SDP)",
                       {{"Accept", "application/sdp, multipart/mixed"}},
                       &b2bua_counters::refused_media,
                       std::nullopt};
    }
    emergency_route er;
    er.endpoint = endpoint;
    er.domains = domains.order();
    const sip::uri& ruri = req.msg.request_uri();
    er.dialled = ruri.has_user ? std::string(ruri.user) : std::string();
    if (er.domains.empty()) {
        ++e911.counters().failed;
        spdlog::error(
            "emergency call from {} to remote_endpoint {}: no location domain resolves; refused "
            "503",
            req.ctx.remote.to_string(), ep.cfg->name);
        return refusal{
            503, "Service Unavailable (no E911 location domain)", {}, nullptr, std::nullopt};
    }
    if (media_.at_capacity()) {
        ++e911.counters().over_session_limit;
        spdlog::warn("emergency call to remote_endpoint {} admitted over calls.max_sessions",
                     ep.cfg->name);
    }
    const std::size_t first = er.domains.front();
    r.next_hop = *domains.domain(first).target;
    r.remote_target = domains.request_uri(first, er.dialled);
    r.why = "location domain " + domains.domain(first).label() + " (1 of " +
            std::to_string(er.domains.size()) + " of remote_endpoint " + ep.cfg->name + ")";
    r.caller_media = media_for(req.realm, req, nullptr, true);
    r.callee_media.realm = ep.access == realm_id::access ? &cfg_.realm.access : &cfg_.realm.core;
    r.callee_media.profile = ep.media;
    r.callee_media.profile_reason = "remote_endpoint " + ep.cfg->name + "'s media_profile";
    r.callee_media.signalling_source = ip_of(r.next_hop.address);
    r.emergency = std::move(er);
    return r;
}

}  // namespace sbc::cp::b2bua
