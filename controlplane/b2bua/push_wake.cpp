// A call held for a push notification (guide 7.6, RFC 8599 §5.6.2): OSV calls a mobile client
// whose app is asleep (its binding has push parameters but no live connection). The call waits
// in `awaiting_push`: 180 toward OSV, a push request through CloudLink, and then one of
//   * the client re-registers over a new connection within push.invite_wait_s: the INVITE goes
//     out on that flow and the call goes on as any other (`push_woken` -> calling);
//   * the push request fails (CloudLink down, not linked, unknown device, rate limit, an
//     answer not understood): 480 at once with a Reason naming the failure, never the whole
//     wait;
//   * the wait passes: 480 with a Reason;
//   * OSV cancels: 487, and the call ends without anything sent toward the client.

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/cloudlink/push_sender.hpp"
#include "controlplane/log_text.hpp"
#include "dataplane/shm/address.hpp"

namespace sbc::cp::b2bua {

namespace {

// A Reason header's quoted text (RFC 3326 §2, RFC 3261 §25.1 quoted-string) from our own words
// and CloudLink's (already cut to printable ASCII by the push sender): no quote or backslash.
std::string reason_480(std::string_view text) {
    std::string out = R"(SIP;cause=480;text=")";
    for (char ch : text.substr(0, 200)) {
        out += (ch == '"' || ch == '\\' || ch < 0x20 || ch > 0x7e) ? '\'' : ch;
    }
    out += '"';
    return out;
}

int64_t ms_since(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() -
                                                                 t)
        .count();
}

}  // namespace

std::string push_key(std::string_view aor, const push_device& device) {
    std::string k(aor);
    k += '\n';
    k += device.provider();
    k += '\n';
    k += device.prid();
    return k;
}

void b2bua::on_flow_attached(const binding& b) {
    if (!b.has_push() || !b.live_flow() || table_.awaiting_push_count() == 0) {
        return;
    }
    sip::transport_target to;
    to.type = b.transport;
    to.address = b.remote;
    to.connection = b.connection;
    const auto no_answer = no_answer_timeout;
    for (call_id_t id : table_.awaiting_push(push_key(b.aor, b.push))) {
        table_.run(id, [to, contact = b.contact, ua = b.user_agent, no_answer](call& c) {
            c.wake(to, contact, ua, no_answer);
        });
    }
}

void call::await_push(sip::transaction_id server, std::string offer, push_wait pw,
                      std::chrono::milliseconds wait) {
    d_.state = call_state::awaiting_push;
    pw.result = "waiting";
    pw.since = std::chrono::system_clock::now();
    d_.push = std::move(pw);
    offer_b_ = std::move(offer);
    invite_relay ir;
    ir.from = side::a;
    ir.server = server;
    ir.initial = true;
    invite_ = std::move(ir);

    // RFC 8599 §5.6.2 has the proxy hold the request while the UA wakes. The 180 is the
    // appliance's choice (issue 14): the caller hears ringing during the wake, and OSV sees
    // the call is being offered rather than an SBC that went silent (a 180 stops INVITE
    // retransmissions over UDP, RFC 3261 §17.1.1.2).
    respond(side::a, server, response(side::a, server, 180, "Ringing", nullptr, {}, true));

    call_table& table = ctx_.table;
    b2bua_counters& counters = ctx_.counters;
    const call_id_t id = d_.id;
    // One timer bounds the whole hold, the push request's own answer included.
    push_timer_ = edge_of(side::a).loop().run_after(wait, ctx_.life.guard([&table, &counters, id] {
        table.run(id, [&counters](call& c) {
            if (c.state() == call_state::awaiting_push) {
                ++counters.push_timed_out;
                c.end_push_wait(480, "timed_out", "no re-REGISTER within push.invite_wait_s",
                                reason_480("No re-registration after push"));
            }
        });
    }));
    ctx_.push->push(d_.push->device, d_.leg(side::b).call_id, d_.from_aor,
                    ctx_.life.guard([&table, id](const cloudlink::push_result& r) {
                        table.run(id, [r](call& c) { c.on_push_result(r); });
                    }));
}

void call::on_push_result(const cloudlink::push_result& r) {
    if (d_.state != call_state::awaiting_push || !d_.push) {
        return;  // woken, cancelled or timed out meanwhile
    }
    if (r.sent) {
        d_.push->detail = "push " + r.push_id;
        spdlog::info("call {}: push {} sent to {} in {} ms; holding the INVITE", d_.id, r.push_id,
                     d_.push->device.summary(), r.took.count());
        return;
    }
    ++ctx_.counters.push_failed;
    spdlog::warn("call {}: push to {} failed: {}", d_.id, d_.push->device.summary(), r.message);
    end_push_wait(480, "failed", r.message, reason_480("Push failed: " + r.message));
}

void call::end_push_wait(uint16_t code, std::string_view result, std::string detail,
                         std::string_view reason_header) {
    d_.push->result = std::string(result);
    d_.push->detail = std::move(detail);
    d_.push->waited_ms = ms_since(d_.push->since);
    d_.final_status = code;
    d_.end_reason = "push " + std::string(result);
    respond(side::a, invite_->server,
            response(side::a, invite_->server, code, "Temporarily Unavailable", nullptr, {}, false,
                     {{"Reason", std::string(reason_header)}}));
    invite_->final_seen = true;
    finish();
}

void call::cancel_push_wait() {
    ++ctx_.counters.push_cancelled;
    ++ctx_.counters.cancelled;
    d_.push->result = "cancelled";
    d_.push->waited_ms = ms_since(d_.push->since);
    d_.final_status = 487;
    d_.end_reason = "cancel";
    respond(side::a, invite_->server,
            response(side::a, invite_->server, 487, "Request Terminated", nullptr, {}, false));
    invite_->cancelled = true;
    apply(call_event::cancel);
    finish();  // nothing went toward the client: no CANCEL to wait for
}

void call::wake(const sip::transport_target& to, const std::string& contact,
                const std::string& user_agent, std::chrono::milliseconds no_answer_timeout) {
    if (d_.state != call_state::awaiting_push) {
        return;
    }
    edge_of(side::a).loop().cancel_timer(push_timer_);
    ctx_.table.unindex_push(d_.push->key, d_.id);
    ++ctx_.counters.push_woken;
    d_.push->result = "woken";
    d_.push->waited_ms = ms_since(d_.push->since);

    dialog_leg& b = d_.leg(side::b);
    b.next_hop = to;
    b.remote_address = to.address.to_string();
    b.remote_target = contact;
    b.user_agent = user_agent;
    d_.route = "the new flow of " + d_.to_aor + " from " + b.remote_address + " (woken by a push)";
    shm::ip_address ip{};
    if (shm::parse_ip(to.address.ip(), ip)) {
        // The app may wake on another network: media from the client is checked against
        // where its signalling now comes from.
        ctx_.media.set_signalling_source(d_.media, side::b, ip);
    }
    apply(call_event::push_woken);
    const sip::message* msg = edge_of(side::a).transactions().request_of(invite_->server);
    if (msg == nullptr) {
        // OSV's transaction is gone (it can only have timed out): nothing to deliver.
        hang_up("push wake after the INVITE was gone", {});
        return;
    }
    spdlog::info("call {}: {} woke after {} ms; delivering the INVITE", d_.id, log_text(d_.to_aor),
                 d_.push->waited_ms);
    start(*msg, invite_->server, std::move(offer_b_), no_answer_timeout);
}

}  // namespace sbc::cp::b2bua
