// A call's own machinery: its state changes, sending on its legs, answers through the media
// manager, the session timer, and its end (hang-up on both legs, the call record).

#include "controlplane/b2bua/call.hpp"

#include <spdlog/spdlog.h>

#include <cassert>

#include "controlplane/b2bua/call_table.hpp"
#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp::b2bua {

namespace {

struct kind_row {
    std::string_view name, direction;
};
constexpr kind_row kinds[] = {
#define SBC_X(name, direction, text) {#name, direction},
    SBC_CALL_KINDS(SBC_X)
#undef SBC_X
};

}  // namespace

std::string_view kind_name(call_kind k) {
    return kinds[static_cast<size_t>(k)].name;
}

std::string_view direction_of(call_kind k) {
    return kinds[static_cast<size_t>(k)].direction;
}

void call::apply(call_event e) {
    const auto next = next_state(d_.state, e);
    if (!next) {
        // A B2BUA bug, never peer input: handlers check the state before they make an event.
        spdlog::error("call {}: event {} in state {} has no transition", d_.id, event_name(e),
                      state_name(d_.state));
        assert(false && "call event without a transition");
        return;
    }
    d_.state = *next;
    if (*next == call_state::confirmed) {
        save_durable();
    }
}

std::optional<std::function<void()>> call::next_held() {
    if (programming_ || held_.empty()) {
        return std::nullopt;
    }
    auto fn = std::move(held_.front());
    held_.pop_front();
    return fn;
}

realm_edge& call::edge_of(side s) {
    return d_.leg(s).realm == realm_id::access ? ctx_.sip.access() : ctx_.sip.core();
}

std::string call::response(side s, sip::transaction_id server, uint16_t code,
                           std::string_view reason, const sip::message* crossing,
                           std::string_view sdp, bool contact, const sip::header_list& extra) {
    const sip::message* req = edge_of(s).transactions().request_of(server);
    if (req == nullptr) {
        return {};
    }
    // RFC 3261 §12.1.1: responses that create the dialog carry the request's Record-Route back,
    // so the proxies on that side (OSV's) stay in the route set of the peer there.
    const bool creating = req->to().tag().empty() && code > 100 && code < 300;
    auto out = sip::response_for(*req, code, reason, d_.leg(s).local_tag, creating);
    if (contact) {
        out.add("Contact", d_.leg(s).contact);
    }
    if (crossing != nullptr) {
        copy_crossing(*crossing, out);
    }
    out.add(extra);
    if (!sdp.empty()) {
        out.body("application/sdp", sdp);
    }
    return out.serialize();
}

bool call::respond(side s, sip::transaction_id server, std::string bytes) {
    if (bytes.empty()) {
        return false;
    }
    return edge_of(s).transactions().respond(server, std::move(bytes));
}

sip::transaction_id call::send_request(side s, sip::outgoing_message&& m,
                                       sip::transaction_layer::client_callbacks cb) {
    auto parsed = reparse(m);
    if (!parsed) {
        spdlog::error("call {}: could not build a request for leg {}", d_.id, media::side_name(s));
        return 0;
    }
    return edge_of(s).transactions().start_client(std::move(*parsed), d_.leg(s).next_hop,
                                                  std::move(cb));
}

void call::send_leg_ack(side s, std::string bytes) {
    // RFC 3261 §17.1.1.3: the ACK for a 2xx is not a transaction; it goes straight out (down
    // the leg's connection while it is open, else to its address; the edge's limits apply).
    edge_of(s).send_direct(d_.leg(s).next_hop, std::move(bytes));
}

void call::program_answer(
    side from, std::string_view body,
    std::function<void(call&, const media::status&, const std::string&)> then) {
    programming_ = true;
    call_table& table = ctx_.table;
    const call_id_t id = d_.id;
    ctx_.media.answer(d_.media, from, body,
                      ctx_.life.guard([&table, id, then = std::move(then)](const media::status& st,
                                                                           const std::string& out) {
                          if (call* c = table.find(id)) {
                              c->programming_ = false;
                              then(*c, st, out);
                          }
                          table.release(id);
                      }));
}

void call::hang_up(std::string_view reason, std::string_view reason_header,
                   std::optional<side> bye_from) {
    if (d_.end_reason.empty()) {
        d_.end_reason = std::string(reason);
    }
    if (d_.state != call_state::ending) {
        apply(call_event::end);
    }
    for (side s : {side::a, side::b}) {
        if (bye_from && *bye_from == s) {
            continue;
        }
        dialog_leg& l = d_.leg(s);
        const bool pending_uas =
            invite_ && invite_->initial && invite_->from == s && invite_->response_2xx.empty();
        if (pending_uas) {
            // The caller has no dialog yet: it gets a final response instead of a BYE.
            respond(s, invite_->server,
                    response(s, invite_->server, 408, "Request Timeout", nullptr, {}, false));
            continue;
        }
        if (l.remote_tag.empty()) {
            if (invite_ && invite_->initial && invite_->from != s && !invite_->final_seen) {
                edge_of(s).transactions().cancel(invite_->client);
            }
            continue;
        }
        auto bye = dialog_request(l, edge_of(s), "BYE", ++l.local_cseq, false);
        if (!reason_header.empty()) {
            bye.add("Reason", reason_header);
        }
        send_request(s, std::move(bye), {});
    }
    finish();
}

void call::finish() {
    if (d_.state != call_state::ending) {
        apply(call_event::end);
    }
    cancel_timers();
    erase_durable();
    media::call_summary sum;
    sum.call_id = d_.leg(side::a).call_id;
    sum.from = d_.from_aor;
    sum.to = d_.to_aor;
    sum.direction = std::string(direction_of(d_.kind));
    sum.answered = d_.answered;
    sum.final_status = d_.final_status;
    sum.end_reason = d_.end_reason;
    if (d_.push) {
        sum.push = media::push_summary{d_.push->result, d_.push->detail, d_.push->waited_ms};
    }
    if (d_.media != 0) {
        ctx_.media.end(d_.media, sum);
    }
    if (!d_.answered) {
        ++ctx_.counters.failed;
    }
    if (is_emergency(d_.kind)) {
        emergency_over();
    }
    call_context& ctx = ctx_;
    ctx.table.erase(d_.id);  // destroys *this
    ctx.counters.active = ctx.table.size();
}

void call::arm_session_timer(const sip::message& r2xx) {
    const auto& se = r2xx.session_expires();
    if (se.ok() && se->delta != 0) {
        arm_session_timer(se->delta);
    }
}

void call::arm_session_timer(uint32_t interval) {
    if (interval == 0) {
        return;
    }
    auto& loop = ctx_.sip.access().loop();
    loop.cancel_timer(session_timer_);
    d_.session_interval = interval;
    d_.session_deadline = std::chrono::system_clock::now() + std::chrono::seconds(interval);
    if (d_.state == call_state::confirmed) {
        save_durable();  // the deadline a restarted sbcd resumes from
    }
    call_table& table = ctx_.table;
    b2bua_counters& counters = ctx_.counters;
    const call_id_t id = d_.id;
    // RFC 4028 §10: without a refresh within the interval the session is over.
    session_timer_ =
        loop.run_after(std::chrono::seconds(interval), ctx_.life.guard([&table, &counters, id] {
            if (call* c = table.find(id)) {
                ++counters.session_timer_expiries;
                spdlog::info("call {}: session timer expired after {} s", id,
                             c->d_.session_interval);
                c->hang_up("session timer", R"(SIP;cause=408;text="Session timer expired")");
            }
        }));
}

void call::cancel_timers() {
    auto& loop = ctx_.sip.access().loop();
    loop.cancel_timer(session_timer_);
    loop.cancel_timer(no_answer_timer_);
    loop.cancel_timer(push_timer_);
    loop.cancel_timer(failover_timer_);
    if (invite_) {
        loop.cancel_timer(invite_->retransmit);
    }
}

void call::on_media_timeout() {
    if (d_.state != call_state::confirmed) {
        return;
    }
    ++ctx_.counters.media_timeouts;
    hang_up("media timeout", R"(SIP;cause=408;text="Media timeout")");
}

void call::on_flow_closed(side s) {
    ++ctx_.counters.flow_closed;
    // No BYE down the closed flow: the other leg hears why.
    hang_up("client connection closed", R"(SIP;cause=480;text="Connection lost")", s);
}

}  // namespace sbc::cp::b2bua
