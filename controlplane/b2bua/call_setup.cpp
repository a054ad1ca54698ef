// New calls: an INVITE from a softphone (access realm) toward OSV, an INVITE from OSV to a
// registered softphone's flow token; the INVITE on the callee's leg (and its one retry on the
// alternative OSV node); CANCEL of a pending INVITE.

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/e911/ssp_policy.hpp"
#include "controlplane/log_text.hpp"
#include "controlplane/sip_service.hpp"
#include "sip/ids.hpp"

namespace sbc::cp::b2bua {

void b2bua::on_access_invite(const req_t& req) {
    if (req.msg.method_kind() == sip::sip_method::cancel) {
        on_cancel(req);
        return;
    }
    ++counters_.calls_from_access;
    start_call(req, nullptr);
}

void b2bua::on_core_invite(const req_t& req) {
    if (req.msg.method_kind() == sip::sip_method::cancel) {
        on_cancel(req);
        return;
    }
    // An emergency call on a remote endpoint's core_realm_port, or a 404 (call_router).
    start_call(req, nullptr);
}

void b2bua::on_client_invite(const req_t& req) {
    if (req.msg.method_kind() == sip::sip_method::cancel) {
        on_cancel(req);
        return;
    }
    if (!req.msg.to().tag().empty()) {
        // A re-INVITE addressed to a flow token belongs to no B2BUA dialog.
        sip_.dispatcher().refuse(req, dispatch_refusal::no_transaction);
        return;
    }
    ++counters_.calls_from_core;
    start_call(req, req.client);
}

void b2bua::start_call(const req_t& req, binding* client) {
    const sip::message& msg = req.msg;
    auto& dispatcher = sip_.dispatcher();
    auto decided = router_.decide(req, client, retry_after_s);
    if (auto* no = std::get_if<refusal>(&decided)) {
        if (no->counter != nullptr) {
            ++(counters_.*(no->counter));
        }
        if (no->dispatch) {
            dispatcher.refuse(req, *no->dispatch);
        } else {
            dispatcher.respond(req, no->code, no->reason, no->headers);
        }
        return;
    }
    route& r = std::get<route>(decided);
    if (r.wait_for_push && ctx_.push == nullptr) {
        dispatcher.refuse(req, dispatch_refusal::no_live_flow);  // no CloudLink in this build
        return;
    }
    auto created = media_.create(r.caller_media, r.callee_media, is_emergency(r.kind));
    if (!created) {
        ++counters_.refused_capacity;
        dispatcher.respond(
            req, static_cast<uint16_t>(created.error().sip_status()),
            "Service Unavailable (" + std::string(media::text(created.error().code)) + ")",
            {{"Retry-After", std::to_string(retry_after_s)}});
        return;
    }

    call_data d;
    d.id = table_.next_id();
    d.kind = r.kind;
    d.media = *created;
    d.node = r.node;
    d.route = std::move(r.why);
    d.max_forwards = r.max_forwards;
    d.from_aor = std::string(msg.from().uri_text);
    d.to_aor = std::string(msg.to().uri_text);
    d.started = std::chrono::system_clock::now();
    d.emergency = std::move(r.emergency);

    dialog_leg& a = d.leg(side::a);
    learn_uas(a, msg);
    a.realm = r.caller_realm;
    realm_edge& edge_a = r.caller_realm == realm_id::access ? sip_.access() : sip_.core();
    const auto txn_tag = edge_a.transactions().to_tag_of(req.txn);
    a.local_tag = txn_tag.empty() ? sip::make_tag() : std::string(txn_tag);
    a.next_hop.type = req.ctx.type;
    a.next_hop.address = req.ctx.remote;
    a.next_hop.connection = req.ctx.connection;
    a.contact = in_angles(edge_a.contact_uri(req.ctx.type, "sbc"));
    a.remote_address = req.ctx.remote.to_string();

    dialog_leg& b = d.leg(side::b);
    realm_edge& edge_b = r.callee_realm == realm_id::access ? sip_.access() : sip_.core();
    b.realm = r.callee_realm;
    b.call_id = sip::make_call_id();
    b.local_tag = sip::make_tag();
    b.local_party = party_of(msg.from());
    b.remote_party = party_of(msg.to());
    b.remote_target = r.remote_target;
    b.next_hop = r.next_hop;
    b.contact = in_angles(edge_b.contact_uri(r.next_hop.type, "sbc"));
    b.local_cseq = 1;
    b.remote_address = r.next_hop.address.to_string();
    b.user_agent = r.callee_user_agent;

    std::string offer;
    if (const auto sdp = msg.sdp_body()) {
        media::status st = media_.offer(d.media, side::a, *sdp, offer);
        if (!st) {
            ++counters_.refused_media;
            dispatcher.respond(req, static_cast<uint16_t>(st.sip_status()),
                               st.sip_status() == 400 ? "Bad Request (SDP)" : "Not Acceptable Here",
                               {{"Warning", st.warning()}});
            media::call_summary sum;
            sum.call_id = a.call_id;
            sum.from = d.from_aor;
            sum.to = d.to_aor;
            sum.direction = std::string(direction_of(d.kind));
            sum.final_status = st.sip_status();
            sum.end_reason = "offer refused: " + st.message();
            media_.end(d.media, sum);
            return;
        }
    }
    if (is_emergency(d.kind)) {
        e911::e911_service& e911 = sip_.e911();
        ++e911.counters().active;
        e911.track_call(req.realm, msg.call_id());
        if (d.emergency) {
            ++e911.counters().calls_to_provider;
            e911.at(d.emergency->endpoint).domains->tried(d.emergency->domains.front());
            spdlog::info("emergency call {} from {} ({}) to remote_endpoint {}: {}", d.id,
                         log_text(d.from_aor), log_text(d.emergency->dialled),
                         e911.at(d.emergency->endpoint).cfg->name, d.route);
        } else {
            ++e911.counters().calls_from_access;
            d.emergency_source = req.ctx.remote;
            e911.track_source(req.realm, req.ctx.remote, +1);
            spdlog::info("emergency call {} from {} at {}: {}", d.id, log_text(d.from_aor),
                         req.ctx.remote.to_string(), log_text(d.route));
        }
    }
    call& c = table_.add(std::make_unique<call>(ctx_, std::move(d)));
    counters_.active = table_.size();
    table_.index_invite(req.realm, req.txn, c.id());
    if (r.wait_for_push) {
        push_wait pw;
        pw.device = client->push;
        pw.key = push_key(client->aor, client->push);
        table_.index_push(pw.key, c.id());
        ++counters_.push_waits;
        c.await_push(req.txn, std::move(offer), std::move(pw), push_invite_wait);
        return;
    }
    c.start(msg, req.txn, std::move(offer), no_answer_timeout);
}

void b2bua::on_cancel(const req_t& req) {
    const auto id = table_.by_invite(req.realm, req.cancelled);
    if (!id) {
        sip_.dispatcher().refuse(req, dispatch_refusal::no_transaction);
        return;
    }
    // RFC 3261 §9.2: the CANCEL is answered at once; the INVITE gets 487.
    sip_.dispatcher().respond(req, 200, "OK");
    const sip::transaction_id server = req.cancelled;
    table_.run(*id, [server](call& c) { c.on_cancel(server); });
}

void call::start(const sip::message& msg, sip::transaction_id server, std::string offer,
                 std::chrono::milliseconds no_answer_timeout) {
    offer_b_ = std::move(offer);
    auto invite = leg_b_invite(msg);
    invite_relay ir;
    ir.from = side::a;
    ir.server = server;
    ir.out_cseq = 1;
    ir.initial = true;
    ir.offer_relayed = msg.sdp_body().has_value();
    if (const auto& se = msg.session_expires(); se.ok()) {
        ir.requested_interval = se->delta;
    }
    ir.uac_timer = msg.supports("timer");
    invite_ = std::move(ir);

    call_table& table = ctx_.table;
    b2bua_counters& counters = ctx_.counters;
    const call_id_t id = d_.id;
    no_answer_timer_ = edge_of(side::a).loop().run_after(
        no_answer_timeout, ctx_.life.guard([&table, &counters, id] {
            table.run(id, [&counters](call& c) {
                if (c.state() == call_state::calling || c.state() == call_state::early) {
                    ++counters.no_answer;
                    c.d_.final_status = 408;
                    c.hang_up("no answer", {});
                }
            });
        }));
    send_invite(std::move(invite));
    if (d_.emergency && invite_ && !invite_->final_seen) {
        arm_failover_timer();
    }
}

sip::outgoing_message call::leg_b_invite(const sip::message& msg) {
    dialog_leg& b = d_.leg(side::b);
    auto invite = dialog_request(b, edge_of(side::b), "INVITE", b.local_cseq, true);
    invite.remove("Max-Forwards");
    invite.add("Max-Forwards", std::to_string(d_.max_forwards));
    copy_crossing(msg, invite);
    if (const auto* rep = msg.find(sip::header_id::replaces)) {
        if (auto mapped = map_replaces(ctx_.table, rep->value, d_.leg(side::a).realm);
            !mapped.empty()) {
            invite.add("Replaces", mapped);
        }
    }
    if (d_.emergency) {
        // The SSP profile's flags and the caller's location (controlplane/e911/ssp_policy.hpp).
        const e911::endpoint& ep = ctx_.sip.e911().at(d_.emergency->endpoint);
        if (ep.ssp != nullptr) {
            e911::apply_ssp_profile(*ep.ssp, msg, invite);
            if (ep.ssp->geolocation_passthrough && !offer_b_.empty()) {
                auto body = e911::body_with_location(offer_b_, e911::location_parts(msg));
                invite.body(body.content_type, body.body);
                return invite;
            }
        }
    }
    if (!offer_b_.empty()) {
        invite.body("application/sdp", offer_b_);
    }
    return invite;
}

// The OSV node failed the INVITE in the transport before answering anything: the same call
// attempt goes to the alternative node the trunk's rule gives (once).
bool call::fail_over() {
    if (failed_over_ || !d_.node || !invite_ || !invite_->initial || invite_->cancelled ||
        d_.state != call_state::calling || d_.leg(side::b).realm != realm_id::core) {
        return false;
    }
    osv_trunk& trunk = ctx_.sip.trunk();
    const auto alt = trunk.alternative(*d_.node);
    const sip::message* msg = edge_of(side::a).transactions().request_of(invite_->server);
    if (!alt || msg == nullptr) {
        return false;
    }
    failed_over_ = true;
    d_.node = alt;
    d_.route = "OSV node " + trunk.node(*alt).cfg.name + " (the first node failed the INVITE)";
    dialog_leg& b = d_.leg(side::b);
    b.next_hop = trunk.target(*alt);
    b.remote_address = b.next_hop.address.to_string();
    invite_->out_cseq = ++b.local_cseq;
    invite_->final_seen = false;
    spdlog::info("call {}: INVITE failed on its OSV node; retrying on {}", d_.id,
                 trunk.node(*alt).cfg.name);
    send_invite(leg_b_invite(*msg));
    return true;
}

void call::on_node_down() {
    if (d_.state == call_state::calling) {
        fail_over();
    }
}

void call::send_invite(sip::outgoing_message&& m) {
    call_table& table = ctx_.table;
    const call_id_t id = d_.id;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response =
        ctx_.life.guard([&table, id](const sip::message& r, const sip::transport_context&) {
            table.run(id, r, [](call& c, const sip::message& m2) { c.on_invite_response(m2); });
        });
    auto txn = std::make_shared<sip::transaction_id>(0);
    cb.on_failure = ctx_.life.guard([&table, id, txn](sip::client_failure why) {
        table.run(id, [t = *txn, why](call& c) { c.on_invite_failure(t, why); });
    });
    const side to = other(invite_->from);
    const sip::transaction_id t = send_request(to, std::move(m), std::move(cb));
    *txn = t;
    if (call* c = table.find(id); c != nullptr && c->invite_) {
        c->invite_->client = t;
    }
}

void call::on_cancel(sip::transaction_id server) {
    if (d_.state == call_state::awaiting_push && invite_ && invite_->server == server) {
        cancel_push_wait();
        return;
    }
    if (!invite_ || invite_->server != server || invite_->final_seen ||
        !invite_->response_2xx.empty()) {
        return;  // too late: the final response is out
    }
    invite_relay& ir = *invite_;
    const side from = ir.from;
    ir.cancelled = true;
    respond(from, server, response(from, server, 487, "Request Terminated", nullptr, {}, false));
    edge_of(other(from)).transactions().cancel(ir.client);
    if (ir.initial) {
        ++ctx_.counters.cancelled;
        d_.final_status = 487;
        d_.end_reason = "cancel";
        apply(call_event::cancel);
    }
}

}  // namespace sbc::cp::b2bua
