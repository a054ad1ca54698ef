#include "controlplane/b2bua/b2bua.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/mgmt_server.hpp"

namespace sbc::cp::b2bua {

const char* state_name(call_state s) {
    switch (s) {
        case call_state::calling:
            return "calling";
        case call_state::early:
            return "early";
        case call_state::answered:
            return "answered";
        case call_state::confirmed:
            return "confirmed";
        case call_state::ending:
            return "ending";
    }
    return "?";
}

b2bua::b2bua(sip_service& sip, media::media_manager& media, const config::appliance& cfg)
    : no_answer_timeout(std::chrono::seconds(cfg.calls.no_answer_timeout_s)),
      retry_after_s(cfg.calls.retry_after_s),
      sip_(sip),
      media_(media),
      cfg_(cfg) {}

b2bua::~b2bua() {
    alive_.reset();
    for (auto& [id, c] : calls_) {
        for (auto* t : {&c->session_timer, &c->no_answer_timer}) {
            sip_.access().loop().cancel_timer(*t);
        }
        if (c->invite) {
            sip_.access().loop().cancel_timer(c->invite->retransmit);
        }
    }
}

void b2bua::attach() {
    auto& d = sip_.dispatcher();
    d.route(realm_id::access, sip::sip_method::invite,
            [this](const req_t& r) { on_access_invite(r); });
    d.route(realm_id::core, sip::sip_method::invite, [this](const req_t& r) { on_core_invite(r); });
    d.route_to_client(sip::sip_method::invite, [this](const req_t& r) { on_client_invite(r); });
    for (realm_id r : {realm_id::access, realm_id::core}) {
        d.route_in_dialog(r, [this](const req_t& q) { on_in_dialog(q); });
        d.route_acks(r,
                     [this](realm_id realm, sip::message&& ack, const sip::transport_context& ctx,
                            binding*) { on_ack(realm, std::move(ack), ctx); });
    }
    media_.on_media_timeout([this](media::session_id sid) { on_media_timeout(sid); });
    std::weak_ptr<bool> alive = alive_;
    sip_.trunk().on_state_change([this, alive](node_index n, node_health h) {
        if (!alive.expired() && h == node_health::down) {
            on_node_down(n);
        }
    });
    // A softphone's connection is its flow (RFC 5626): once it closes, nothing reaches the
    // client any more (sbcd never opens connections toward clients), so its calls end. Without
    // this, a held call (no media timeout) of a client that went away lived for ever.
    sip_.access().on_closed([this, alive](const sip::connection_closed& info) {
        if (!alive.expired()) {
            on_client_flow_closed(info.id);
        }
    });
    sip_.core().on_closed([this, alive](const sip::connection_closed& info) {
        if (alive.expired() || info.reason == sip::close_reason::local) {
            return;
        }
        for (size_t n = 0; n < sip_.trunk().size(); ++n) {
            const auto node = static_cast<node_index>(n);
            if (sip_.trunk().target(node).address == info.remote) {
                on_node_down(node);
            }
        }
    });
}

void b2bua::register_mgmt(mgmt_server& mgmt) {
    mgmt.on("calls", [this](const nlohmann::json& args) {
        return calls_json(args.is_object() ? args.value("limit", size_t{200}) : size_t{200});
    });
}

call* b2bua::lookup(call_id_t id) {
    auto it = calls_.find(id);
    return it == calls_.end() ? nullptr : it->second.get();
}

const call* b2bua::find(call_id_t id) const {
    auto it = calls_.find(id);
    return it == calls_.end() ? nullptr : it->second.get();
}

void b2bua::run(call_id_t id, std::function<void(call&)> fn) {
    call* c = lookup(id);
    if (c == nullptr) {
        return;
    }
    if (c->busy) {
        c->deferred.push_back([this, id, fn = std::move(fn)]() mutable { run(id, std::move(fn)); });
        return;
    }
    fn(*c);
}

void b2bua::release(call_id_t id) {
    call* c = lookup(id);
    if (c == nullptr) {
        return;
    }
    c->busy = false;
    while (!c->busy && !c->deferred.empty()) {
        auto fn = std::move(c->deferred.front());
        c->deferred.pop_front();
        fn();
        c = lookup(id);
        if (c == nullptr) {
            return;
        }
    }
}

void b2bua::index(call& c) {
    for (side s : {side::a, side::b}) {
        const auto& l = c.leg(s);
        by_dialog_[dialog_key(l.realm, l.call_id, l.local_tag)] = {c.id, s};
    }
    if (c.media != 0) {
        by_media_[c.media] = c.id;
    }
}

void b2bua::unindex(call& c) {
    for (side s : {side::a, side::b}) {
        const auto& l = c.leg(s);
        auto it = by_dialog_.find(dialog_key(l.realm, l.call_id, l.local_tag));
        if (it != by_dialog_.end() && it->second.first == c.id) {
            by_dialog_.erase(it);
        }
    }
    for (auto it = by_invite_server_.begin(); it != by_invite_server_.end();) {
        it = it->second == c.id ? by_invite_server_.erase(it) : std::next(it);
    }
    by_media_.erase(c.media);
}

std::string b2bua::response(call& c, side s, sip::transaction_id server, uint16_t code,
                            std::string_view reason, const sip::message* crossing,
                            std::string_view sdp, bool contact, const header_list& extra) {
    const sip::message* req = edge_of(c, s).transactions().request_of(server);
    if (req == nullptr) {
        return {};
    }
    // RFC 3261 §12.1.1: responses that create the dialog carry the request's Record-Route back,
    // so the proxies on that side (OSV's) stay in the route set of the peer there.
    const bool creating = req->to().tag().empty() && code > 100 && code < 300;
    auto out = sip::response_for(*req, code, reason, c.leg(s).local_tag, creating);
    if (contact) {
        out.add("Contact", c.leg(s).contact);
    }
    if (crossing != nullptr) {
        copy_crossing(*crossing, out);
    }
    for (const auto& [name, value] : extra) {
        out.add(name, value);
    }
    if (!sdp.empty()) {
        out.body("application/sdp", sdp);
    }
    return out.serialize();
}

bool b2bua::respond(call& c, side s, sip::transaction_id server, std::string bytes) {
    if (bytes.empty()) {
        return false;
    }
    return edge_of(c, s).transactions().respond(server, std::move(bytes));
}

sip::transaction_id b2bua::send_request(call& c, side s, sip::outgoing_message&& m,
                                        sip::transaction_layer::client_callbacks cb) {
    auto parsed = reparse(m);
    if (!parsed) {
        spdlog::error("call {}: could not build a request for leg {}", c.id, media::side_name(s));
        return 0;
    }
    return edge_of(c, s).transactions().start_client(std::move(*parsed), c.leg(s).next_hop,
                                                     std::move(cb));
}

void b2bua::send_leg_ack(call& c, side s, std::string bytes) {
    // RFC 3261 §17.1.1.3: the ACK for a 2xx is not a transaction; it goes straight out (down
    // the leg's connection while it is open, else to its address; the edge's limits apply).
    edge_of(c, s).send_direct(c.leg(s).next_hop, std::move(bytes));
}

void b2bua::hang_up(call& c, std::string_view reason, std::string_view reason_header,
                    std::optional<side> bye_from) {
    if (c.end_reason.empty()) {
        c.end_reason = std::string(reason);
    }
    c.state = call_state::ending;
    for (side s : {side::a, side::b}) {
        if (bye_from && *bye_from == s) {
            continue;
        }
        dialog_leg& l = c.leg(s);
        const bool pending_uas =
            c.invite && c.invite->initial && c.invite->from == s && c.invite->response_2xx.empty();
        if (pending_uas) {
            // The caller has no dialog yet: it gets a final response instead of a BYE.
            respond(c, s, c.invite->server,
                    response(c, s, c.invite->server, 408, "Request Timeout", nullptr, {}, false));
            continue;
        }
        if (l.remote_tag.empty()) {
            if (c.invite && c.invite->initial && c.invite->from != s && !c.invite->final_seen) {
                edge_of(c, s).transactions().cancel(c.invite->client);
            }
            continue;
        }
        auto bye = dialog_request(l, edge_of(c, s), "BYE", ++l.local_cseq, false);
        if (!reason_header.empty()) {
            bye.add("Reason", reason_header);
        }
        send_request(c, s, std::move(bye), {});
    }
    finish(c);
}

void b2bua::finish(call& c) {
    auto& loop = sip_.access().loop();
    loop.cancel_timer(c.session_timer);
    loop.cancel_timer(c.no_answer_timer);
    if (c.invite) {
        loop.cancel_timer(c.invite->retransmit);
    }
    media::call_summary sum;
    sum.call_id = c.leg(side::a).call_id;
    sum.from = c.from_aor;
    sum.to = c.to_aor;
    sum.direction = c.direction;
    sum.answered = c.answered;
    sum.final_status = c.final_status;
    sum.end_reason = c.end_reason;
    if (c.media != 0) {
        media_.end(c.media, sum);
    }
    if (!c.answered) {
        ++counters_.failed;
    }
    unindex(c);
    calls_.erase(c.id);
}

void b2bua::arm_session_timer(call& c, const sip::message& r2xx) {
    const auto& se = r2xx.session_expires();
    if (se.ok() && se->delta != 0) {
        arm_session_timer(c, se->delta);
    }
}

void b2bua::arm_session_timer(call& c, uint32_t interval) {
    if (interval == 0) {
        return;
    }
    auto& loop = sip_.access().loop();
    loop.cancel_timer(c.session_timer);
    c.session_interval = interval;
    const call_id_t id = c.id;
    std::weak_ptr<bool> alive = alive_;
    // RFC 4028 §10: without a refresh within the interval the session is over.
    c.session_timer = loop.run_after(std::chrono::seconds(interval), [this, alive, id] {
        if (alive.expired()) {
            return;
        }
        if (call* cl = lookup(id)) {
            ++counters_.session_timer_expiries;
            spdlog::info("call {}: session timer expired after {} s", id, cl->session_interval);
            hang_up(*cl, "session timer", R"(SIP;cause=408;text="Session timer expired")");
        }
    });
}

void b2bua::on_client_flow_closed(sip::connection_id id) {
    std::vector<std::pair<call_id_t, side>> gone;
    for (const auto& [cid, c] : calls_) {
        for (side s : {side::a, side::b}) {
            const dialog_leg& l = c->leg(s);
            if (l.realm == realm_id::access && l.next_hop.connection == id) {
                gone.emplace_back(cid, s);
            }
        }
    }
    for (const auto& [cid, s] : gone) {
        run(cid, [this, s = s](call& c) {
            ++counters_.flow_closed;
            // No BYE down the closed flow: the other leg hears why.
            hang_up(c, "client connection closed", R"(SIP;cause=480;text="Connection lost")", s);
        });
    }
}

void b2bua::on_media_timeout(media::session_id sid) {
    auto it = by_media_.find(sid);
    if (it == by_media_.end()) {
        return;
    }
    run(it->second, [this](call& c) {
        if (c.state != call_state::confirmed) {
            return;
        }
        ++counters_.media_timeouts;
        hang_up(c, "media timeout", R"(SIP;cause=408;text="Media timeout")");
    });
}

}  // namespace sbc::cp::b2bua
