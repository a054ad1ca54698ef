#include "controlplane/request_dispatcher.hpp"

#include "sip/builder.hpp"

namespace sbc::cp {

namespace {

struct refusal_row {
    std::string_view name;
    std::uint16_t status;
    std::string_view reason;
};

constexpr refusal_row dispatch_rows[] = {
#define SBC_CP_DISPATCH_ROW(name, code, reason) {#name, code, reason},
    SBC_CP_DISPATCH_REFUSALS(SBC_CP_DISPATCH_ROW)
#undef SBC_CP_DISPATCH_ROW
};

std::size_t slot(sip::sip_method m) {
    return static_cast<std::size_t>(m);
}

}  // namespace

binding* client_of(binding_table& bindings, const sip::uri& u) {
    if (!u.is_sip() || !u.has_user || !binding_table::looks_like_token(u.user)) {
        return nullptr;
    }
    return bindings.by_token(u.user);
}

request_dispatcher::request_dispatcher(realm_edge& access, realm_edge& core,
                                       const subscriber_subnets& subnets, osv_trunk& trunk,
                                       binding_table& bindings)
    : access_(access), core_(core), subnets_(subnets), trunk_(trunk), bindings_(bindings) {
    for (realm_id r : {realm_id::access, realm_id::core}) {
        realm_edge::events e;
        e.on_request = [this, r](sip::transaction_id id, const sip::message& m,
                                 const sip::transport_context& ctx,
                                 sip::transaction_id c) { on_request(r, id, m, ctx, c); };
        e.on_ack = [this, r](sip::message&& ack, const sip::transport_context& ctx) {
            on_ack(r, std::move(ack), ctx);
        };
        edge(r).set_events(std::move(e));
    }
}

void request_dispatcher::route(realm_id realm, sip::sip_method method, request_handler h) {
    routes(realm).by_method[slot(method)] = std::move(h);
}
void request_dispatcher::route_in_dialog(realm_id realm, request_handler h) {
    routes(realm).in_dialog = std::move(h);
}
void request_dispatcher::route_to_client(sip::sip_method method, request_handler h) {
    client_[slot(method)] = std::move(h);
}
void request_dispatcher::route_to_client_default(request_handler h) {
    client_default_ = std::move(h);
}
void request_dispatcher::route_acks(realm_id realm, ack_handler h) {
    routes(realm).acks = std::move(h);
}
void request_dispatcher::route_client_acks(ack_handler h) {
    client_acks_ = std::move(h);
}

void request_dispatcher::respond(const inbound_request& req, std::uint16_t code,
                                 std::string_view reason, const sip::header_list& extra) {
    edge(req.realm).respond(req.txn, req.msg, code, reason, extra);
}

void request_dispatcher::refuse(const inbound_request& req, dispatch_refusal why) {
    const auto& row = dispatch_rows[static_cast<std::size_t>(why)];
    ++refused_[static_cast<std::size_t>(why)];
    if (why == dispatch_refusal::method_not_allowed) {
        respond(req, row.status, row.reason, {{"Allow", allow(req.realm)}});
        return;
    }
    respond(req, row.status, row.reason);
}

std::string request_dispatcher::allow(realm_id r) const {
    std::string out = "ACK, CANCEL, OPTIONS";
    const auto& rt = routes_[static_cast<std::size_t>(r)];
    for (std::size_t m = 0; m < rt.by_method.size(); ++m) {
        const auto method = static_cast<sip::sip_method>(m);
        if (rt.by_method[m] && method != sip::sip_method::ack &&
            method != sip::sip_method::cancel && method != sip::sip_method::options) {
            out.append(", ").append(sip::method_name(method));
        }
    }
    return out;
}

void request_dispatcher::on_request(realm_id realm, sip::transaction_id id, const sip::message& m,
                                    const sip::transport_context& ctx,
                                    sip::transaction_id cancelled) {
    ++requests_[static_cast<std::size_t>(realm)];
    inbound_request req{realm, id, m, ctx, cancelled, nullptr, std::nullopt, nullptr};
    req.from_provider = is_provider_ && is_provider_(realm, ctx.remote);
    if (req.from_provider) {
        // A provider sends requests inside its emergency calls (BYE, re-INVITE...) and OPTIONS.
        if (!m.to().tag().empty() && m.method_kind() != sip::sip_method::cancel) {
            if (auto& h = routes(realm).in_dialog) {
                h(req);
                return;
            }
        } else if (m.method_kind() == sip::sip_method::options) {
            ++options_answered_;
            respond(req, 200, "OK", {{"Allow", allow(realm)}, {"Accept", "application/sdp"}});
            return;
        }
        refuse(req, dispatch_refusal::provider_out_of_dialog);
        return;
    }
    if (realm == realm_id::access) {
        if (subnets_.all().empty()) {
            refuse(req, dispatch_refusal::remote_subscribers_disabled);
            return;
        }
        req.subnet = subnets_.match(ctx.remote);
        if (req.subnet == nullptr) {
            refuse(req, dispatch_refusal::source_not_subscriber);
            return;
        }
    } else {
        req.node = trunk_.node_at(ctx.remote);
        if (!req.node) {
            refuse(req, dispatch_refusal::source_not_sip_server);
            return;
        }
        if (to_client(req)) {
            return;
        }
    }
    if (m.method_kind() == sip::sip_method::cancel && cancelled == 0) {
        refuse(req, dispatch_refusal::no_transaction);
        return;
    }
    if (!m.to().tag().empty() && m.method_kind() != sip::sip_method::cancel) {
        if (auto& h = routes(realm).in_dialog) {
            h(req);
        } else {
            refuse(req, dispatch_refusal::no_transaction);
        }
        return;
    }
    if (m.method_kind() == sip::sip_method::options && !m.request_uri().has_user) {
        // A keep-alive or capability query addressed to the SBC itself.
        ++options_answered_;
        respond(req, 200, "OK", {{"Allow", allow(realm)}, {"Accept", "application/sdp"}});
        return;
    }
    by_method(routes(realm), req);
}

void request_dispatcher::by_method(realm_routes& rt, const inbound_request& req) {
    const sip::sip_method method = req.msg.method_kind();
    request_handler* h = &rt.by_method[slot(method)];
    if (!*h && method == sip::sip_method::cancel) {
        h = &rt.by_method[slot(sip::sip_method::invite)];
    }
    if (*h) {
        (*h)(req);
    } else {
        refuse(req, dispatch_refusal::method_not_allowed);
    }
}

bool request_dispatcher::to_client(inbound_request& req) {
    const sip::uri& ruri = req.msg.request_uri();
    if (!ruri.is_sip() || !ruri.has_user || !binding_table::looks_like_token(ruri.user)) {
        return false;
    }
    req.client = bindings_.by_token(ruri.user);
    if (req.client == nullptr || req.client->state != binding_state::active) {
        req.client = nullptr;
        refuse(req, !req.msg.to().tag().empty() ? dispatch_refusal::no_transaction
                                                : dispatch_refusal::unknown_flow_token);
        return true;
    }
    const sip::sip_method method = req.msg.method_kind();
    request_handler* h = &client_[slot(method)];
    if (!*h && method == sip::sip_method::cancel) {
        h = &client_[slot(sip::sip_method::invite)];
    }
    if (*h) {
        (*h)(req);
    } else if (client_default_) {
        client_default_(req);
    } else {
        refuse(req, dispatch_refusal::method_not_allowed);
    }
    return true;
}

void request_dispatcher::on_ack(realm_id realm, sip::message&& ack,
                                const sip::transport_context& ctx) {
    if (is_provider_ && is_provider_(realm, ctx.remote)) {
        // An E911 provider acknowledging a 2xx of a call it sent (none today: the SBC is its UAC).
    } else if (realm == realm_id::core) {
        if (!trunk_.node_at(ctx.remote)) {
            ++acks_dropped_;
            return;
        }
        if (binding* b = client_of(bindings_, ack.request_uri())) {
            if (client_acks_) {
                client_acks_(realm, std::move(ack), ctx, b);
                return;
            }
        }
    } else if (subnets_.match(ctx.remote) == nullptr) {
        ++acks_dropped_;
        return;
    }
    if (auto& h = routes(realm).acks) {
        h(realm, std::move(ack), ctx, nullptr);
        return;
    }
    ++acks_dropped_;
}

nlohmann::json request_dispatcher::counters() const {
    nlohmann::json j = {{"requests_access", requests_[0]},
                        {"requests_core", requests_[1]},
                        {"options_answered", options_answered_},
                        {"acks_dropped", acks_dropped_}};
    for (std::size_t i = 0; i < refused_.size(); ++i) {
        j[std::string("refused_") + std::string(dispatch_rows[i].name)] = refused_[i];
    }
    return j;
}

}  // namespace sbc::cp
