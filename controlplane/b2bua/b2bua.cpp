#include "controlplane/b2bua/b2bua.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/mgmt_server.hpp"

namespace sbc::cp::b2bua {

b2bua::b2bua(sip_service& sip, media::media_manager& media, const config::appliance& cfg)
    : no_answer_timeout(std::chrono::seconds(cfg.calls.no_answer_timeout_s)),
      retry_after_s(cfg.calls.retry_after_s),
      sip_(sip),
      media_(media),
      cfg_(cfg),
      router_(sip, media, cfg),
      ctx_{sip, media, cfg, counters_, table_, life_} {}

b2bua::~b2bua() {
    life_.end();
    for (call_id_t id : table_.ids()) {
        table_.find(id)->cancel_timers();
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
        d.route_acks(r, [this](realm_id realm, sip::message&& ack, const sip::transport_context&,
                               binding*) { on_ack(realm, std::move(ack)); });
    }
    media_.on_media_timeout([this](media::session_id sid) { on_media_timeout(sid); });
    sip_.trunk().on_state_change(life_.guard([this](node_index n, node_health h) {
        if (h == node_health::down) {
            on_node_down(n);
        }
    }));
    // A softphone's connection is its flow (RFC 5626): once it closes, nothing reaches the
    // client any more (sbcd never opens connections toward clients), so its calls end. Without
    // this, a held call (no media timeout) of a client that went away lived for ever.
    sip_.access().on_closed(life_.guard(
        [this](const sip::connection_closed& info) { on_client_flow_closed(info.id); }));
    sip_.core().on_closed(life_.guard([this](const sip::connection_closed& info) {
        if (info.reason == sip::close_reason::local) {
            return;
        }
        for (size_t n = 0; n < sip_.trunk().size(); ++n) {
            const auto node = static_cast<node_index>(n);
            if (sip_.trunk().target(node).address == info.remote) {
                on_node_down(node);
            }
        }
    }));
}

void b2bua::register_mgmt(mgmt_server& mgmt) {
    mgmt.on("calls", [this](const nlohmann::json& args) {
        return calls_json(args.is_object() ? args.value("limit", size_t{200}) : size_t{200});
    });
}

void b2bua::on_in_dialog(const req_t& req) {
    const sip::message& m = req.msg;
    const auto hit = table_.by_dialog(req.realm, m.call_id(), m.to().tag());
    if (!hit) {
        ++counters_.unknown_dialog;
        sip_.dispatcher().refuse(req, dispatch_refusal::no_transaction);
        return;
    }
    const side s = hit->s;
    const sip::transaction_id txn = req.txn;
    const auto method = m.method_kind();
    if (call* c = table_.find(hit->id)) {
        c->saw_request(s, m.cseq().number);
    }
    table_.run(hit->id, [s, txn, method](call& c) { c.on_in_dialog(s, txn, method); });
}

void b2bua::on_ack(realm_id realm, sip::message&& ack) {
    const auto hit = table_.by_dialog(realm, ack.call_id(), ack.to().tag());
    if (!hit) {
        return;  // an ACK for nothing we know: dropped (RFC 3261 §17.2.3 has no answer for it)
    }
    const side s = hit->s;
    table_.run(hit->id, ack, [s](call& c, const sip::message& m) { c.on_ack(m, s); });
}

// A node went down (transport failure, its connection lost, OPTIONS unanswered), or the
// connection an INVITE went out on closed: INVITEs still waiting there for an answer move to the
// alternative node (a transaction on a dead TCP connection would otherwise wait for Timer C).
void b2bua::on_node_down(node_index n) {
    std::vector<call_id_t> waiting;
    for (call_id_t id : table_.ids()) {
        const call* c = table_.find(id);
        if (c->node() == n && c->waiting_for_initial_answer()) {
            waiting.push_back(id);
        }
    }
    for (call_id_t id : waiting) {
        table_.run(id, [](call& c) { c.on_node_down(); });
    }
}

void b2bua::on_client_flow_closed(sip::connection_id id) {
    std::vector<std::pair<call_id_t, side>> gone;
    for (call_id_t cid : table_.ids()) {
        const call* c = table_.find(cid);
        for (side s : {side::a, side::b}) {
            const dialog_leg& l = c->leg(s);
            if (l.realm == realm_id::access && l.next_hop.connection == id) {
                gone.emplace_back(cid, s);
            }
        }
    }
    for (const auto& [cid, s] : gone) {
        table_.run(cid, [s = s](call& c) { c.on_flow_closed(s); });
    }
}

void b2bua::on_media_timeout(media::session_id sid) {
    if (const auto id = table_.by_media(sid)) {
        table_.run(*id, [](call& c) { c.on_media_timeout(); });
    }
}

}  // namespace sbc::cp::b2bua
