#include "controlplane/b2bua/call_routing.hpp"

#include "controlplane/b2bua/header_policy.hpp"
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
    if (!body_is_relayable(req.msg)) {
        return refusal{415,
                       "Unsupported Media Type (the SBC relays application/sdp)",
                       {{"Accept", std::string(accepted_bodies)}},
                       &b2bua_counters::refused_media,
                       std::nullopt};
    }
    if (media_.at_capacity()) {
        return refusal{503,
                       "Service Unavailable (session limit)",
                       {{"Retry-After", std::to_string(retry_after_s)}},
                       &b2bua_counters::refused_capacity,
                       std::nullopt};
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
        if (!client->live_flow()) {
            return refusal{0, {}, {}, nullptr, dispatch_refusal::no_live_flow};
        }
        r.node = req.node;
        r.next_hop.type = client->transport;
        r.next_hop.address = client->remote;
        r.next_hop.connection = client->connection;
        r.remote_target = client->contact;
        r.callee_user_agent = client->user_agent;
        r.why = "the live flow of " + client->aor + " from " + client->remote.to_string() +
                " (its flow token)";
    }
    r.caller_media = media_for(r.caller_realm, req, client, true);
    r.callee_media = media_for(r.callee_realm, req, client, false);
    return r;
}

}  // namespace sbc::cp::b2bua
