// An INVITE (initial or re-INVITE) relayed from one leg to the other: provisional responses,
// the 2xx (its answer programmed into the dataplane first, then relayed and retransmitted until
// the ACK), the ACK relayed end to end, and final failures. The initial INVITE moves the call
// through calling -> early -> answering -> answered -> (confirming ->) confirmed.

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/call_table.hpp"
#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/log_text.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp::b2bua {

void call::ack_and_bye(side s, const sip::message& r2xx, uint32_t cseq) {
    // A 2xx the call cannot use (a second fork, a 2xx after CANCEL): acknowledge and end that
    // dialog (RFC 3261 §13.2.2.4, §15).
    dialog_leg tmp = d_.leg(s);
    learn_uac(tmp, r2xx, true);
    send_leg_ack(s, dialog_request(tmp, edge_of(s), "ACK", cseq, false).serialize());
    send_request(s, dialog_request(tmp, edge_of(s), "BYE", cseq + 1, false), {});
}

void call::on_invite_response(const sip::message& r) {
    const uint16_t code = r.status_code();
    if (!invite_ || r.cseq().number != invite_->out_cseq) {
        // A 2xx retransmitted after we acknowledged it gets the same ACK again.
        if (code >= 200 && code < 300) {
            for (side s : {side::a, side::b}) {
                if (last_ack_cseq_[media::idx(s)] == r.cseq().number &&
                    d_.leg(s).call_id == r.call_id() && !last_ack_[media::idx(s)].empty()) {
                    send_leg_ack(s, last_ack_[media::idx(s)]);
                }
            }
        }
        return;
    }
    if (d_.emergency && invite_->initial) {
        // Any answer proves the location domain alive: no failover on silence any more.
        edge_of(side::a).loop().cancel_timer(failover_timer_);
    }
    if (code == 100) {
        return;
    }
    if (code >= 300) {
        invite_final(r);
    } else if (code >= 200) {
        invite_2xx(r);
    } else {
        invite_provisional(r);
    }
}

void call::invite_provisional(const sip::message& r) {
    invite_relay& ir = *invite_;
    if (ir.final_seen || ir.cancelled) {
        return;
    }
    const side to = other(ir.from);
    dialog_leg& l = d_.leg(to);
    const bool tagged = !r.to().tag().empty();
    if (ir.initial && tagged && l.remote_tag != r.to().tag()) {
        learn_uac(l, r, true);
        if (d_.state == call_state::calling || d_.state == call_state::early) {
            apply(call_event::early_dialog);
        }
    }
    const auto sdp = r.sdp_body();
    if (!sdp || !ir.offer_relayed) {
        respond(ir.from, ir.server,
                response(ir.from, ir.server, r.status_code(), r.reason_phrase(), &r, {}, tagged));
        return;
    }
    // Early media: the answer in the provisional response is programmed before it is relayed.
    auto copy = sip::parse(r.data());
    if (!copy) {
        return;
    }
    auto held = std::make_shared<sip::message>(std::move(copy.value()));
    program_answer(
        to, *sdp, [held, tagged](call& c, const media::status& st, const std::string& body) {
            if (!c.invite_) {
                return;
            }
            const invite_relay& ir2 = *c.invite_;
            if (!st) {
                spdlog::info("call {}: early answer not usable ({}); relayed without SDP", c.d_.id,
                             log_text(st.message()));
            }
            c.respond(ir2.from, ir2.server,
                      c.response(ir2.from, ir2.server, held->status_code(), held->reason_phrase(),
                                 held.get(), st ? body : std::string(), tagged));
        });
}

void call::invite_2xx(const sip::message& r) {
    invite_relay& ir = *invite_;
    const side to = other(ir.from);
    dialog_leg& l = d_.leg(to);
    if (ir.final_seen) {
        if (ir.initial && r.to().tag() != l.remote_tag) {
            ack_and_bye(to, r, ir.out_cseq);
        }
        return;  // a retransmission: the ACK goes when the other side acknowledges ours
    }
    ir.final_seen = true;
    if (ir.initial) {
        ctx_.sip.access().loop().cancel_timer(no_answer_timer_);
    }
    if (ir.cancelled) {
        // CANCEL crossed the 2xx: the caller has its 487; this dialog is acknowledged and ended.
        ack_and_bye(to, r, ir.out_cseq);
        if (ir.initial) {
            finish();
        } else {
            invite_.reset();
        }
        return;
    }
    learn_uac(l, r, ir.initial && l.remote_tag != r.to().tag());
    if (ir.initial && d_.emergency) {
        emergency_answered();
    }
    if (ir.initial) {
        apply(call_event::answer);
    }
    const auto sdp = r.sdp_body();
    if (ir.offer_relayed && sdp) {
        auto copy = sip::parse(r.data());
        if (!copy) {
            return;
        }
        auto held = std::make_shared<sip::message>(std::move(copy.value()));
        program_answer(to, *sdp, [held](call& c, const media::status& st, const std::string& body) {
            c.answer_programmed(*held, st, body);
        });
        return;
    }
    if (!ir.offer_relayed && sdp) {
        // The INVITE had no offer: the 2xx carries the callee's, rewritten for the caller; its
        // answer comes in the ACK.
        std::string offer;
        media::status st = ctx_.media.offer(d_.media, to, *sdp, offer);
        if (!st) {
            spdlog::info("call {}: offer in 2xx refused: {}", d_.id, log_text(st.message()));
            ack_and_bye(to, r, ir.out_cseq);
            respond(ir.from, ir.server,
                    response(ir.from, ir.server, static_cast<uint16_t>(st.sip_status()),
                             media::text(st.code), nullptr, {}, false));
            if (ir.initial) {
                d_.final_status = st.sip_status();
                d_.end_reason = "offer in 2xx refused";
                finish();
            } else {
                invite_.reset();
                hang_up("offer in 2xx refused", R"(SIP;cause=488;text="Not Acceptable Here")");
            }
            return;
        }
        ir.offer_in_2xx = true;
        relay_2xx(r, offer);
        return;
    }
    relay_2xx(r, {});
}

// The callee's answer is in the dataplane (or refused): the 2xx goes to the caller, or the
// call attempt ends.
void call::answer_programmed(const sip::message& r, const media::status& st,
                             const std::string& body) {
    if (!invite_) {
        return;
    }
    if (st) {
        relay_2xx(r, body);
        return;
    }
    // The callee's answer is unusable: it is acknowledged and hung up; the caller hears why (a
    // failed re-INVITE leaves the call as it was: RFC 3261 §14.1).
    spdlog::info("call {}: answer refused: {}", d_.id, log_text(st.message()));
    invite_relay& ir = *invite_;
    const side callee = other(ir.from);
    ack_and_bye(callee, r, ir.out_cseq);
    const uint16_t status = st.sip_status() == 400 ? 500 : st.sip_status();
    respond(ir.from, ir.server,
            response(ir.from, ir.server, status, media::text(st.code), nullptr, {}, false));
    if (ir.initial) {
        d_.final_status = status;
        d_.end_reason = "answer refused: " + st.message();
        finish();
        return;
    }
    ctx_.media.cancel_offer(d_.media);
    invite_.reset();
    hang_up("re-INVITE answer refused", R"(SIP;cause=488;text="Not Acceptable Here")");
}

void call::relay_2xx(const sip::message& r, const std::string& body) {
    invite_relay& ir = *invite_;
    sip::header_list extra;
    uint32_t interval = 0;
    if (const auto& se = r.session_expires(); se.ok()) {
        interval = se->delta;
    } else if (ir.requested_interval != 0 && ir.uac_timer) {
        // RFC 4028 §8.1: the UAS does not do session timers, the UAC does: it refreshes.
        interval = ir.requested_interval;
        extra.emplace_back("Session-Expires", std::to_string(interval) + ";refresher=uac");
        extra.emplace_back("Require", "timer");
    }
    ir.response_2xx =
        response(ir.from, ir.server, r.status_code(), r.reason_phrase(), &r, body, true, extra);
    respond(ir.from, ir.server, ir.response_2xx);
    if (ir.initial) {
        apply(call_event::media_ready);
        d_.answered = std::chrono::system_clock::now();
        d_.final_status = r.status_code();
        ++ctx_.counters.answered;
        ctx_.setup_time.observe(*d_.answered - d_.started);
    } else {
        ++d_.refreshes;
    }
    arm_session_timer(interval);
    arm_2xx_retransmit();
}

void call::arm_2xx_retransmit() {
    if (!invite_) {
        return;
    }
    auto& loop = ctx_.sip.access().loop();
    invite_relay& ir = *invite_;
    const auto t1 = std::chrono::milliseconds(ctx_.cfg.sip.t1_ms);
    const auto t2 = std::chrono::milliseconds(ctx_.cfg.sip.t2_ms);
    if (ir.interval.count() == 0) {
        ir.interval = t1;
        ir.give_up = loop.now() + 64 * t1;
    } else {
        ir.interval = std::min(2 * ir.interval, t2);
    }
    call_table& table = ctx_.table;
    b2bua_counters& counters = ctx_.counters;
    const call_id_t id = d_.id;
    // RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx until the ACK, for 64*T1.
    ir.retransmit = loop.run_after(ir.interval, ctx_.life.guard([&table, &counters, id] {
        table.run(id, [&counters](call& c) {
            if (!c.invite_ || c.invite_->acked || c.invite_->response_2xx.empty()) {
                return;
            }
            if (c.ctx_.sip.access().loop().now() >= c.invite_->give_up) {
                ++counters.no_ack;
                c.hang_up("no ACK for 2xx", R"(SIP;cause=408;text="No ACK")");
                return;
            }
            c.respond(c.invite_->from, c.invite_->server, c.invite_->response_2xx);
            c.arm_2xx_retransmit();
        });
    }));
}

void call::invite_final(const sip::message& r) {
    invite_relay& ir = *invite_;
    if (ir.final_seen) {
        return;
    }
    ir.final_seen = true;
    const uint16_t code = r.status_code();
    const side to = other(ir.from);
    if (d_.emergency && ir.initial && !ir.cancelled &&
        location_domain_failed(
            code == 503 ? e911::domain_outcome::unavailable : e911::domain_outcome::answered,
            std::to_string(code) + " " + std::string(r.reason_phrase()), code)) {
        return;  // the next location domain has the INVITE
    }
    if (d_.leg(to).realm == realm_id::core && d_.node && code == 503 && ir.initial) {
        ctx_.sip.trunk().report(*d_.node, node_outcome::unavailable, "503 to INVITE",
                                d_.leg(ir.from).next_hop.address.ip());
    }
    if (!ir.cancelled) {
        respond(ir.from, ir.server,
                response(ir.from, ir.server, code, r.reason_phrase(), &r, {}, false));
    }
    if (ir.initial) {
        if (!ir.cancelled) {
            d_.final_status = code;
            d_.end_reason = "rejected " + std::to_string(code);
        }
        finish();
        return;
    }
    ctx_.media.cancel_offer(d_.media);
    invite_.reset();
    if (code == 481 || code == 408) {
        // RFC 3261 §12.2.1.2: the dialog is gone on that side.
        hang_up("re-INVITE " + std::to_string(code), {});
    }
}

void call::on_invite_failure(sip::transaction_id txn, sip::client_failure why) {
    if (!invite_ || invite_->final_seen || invite_->client != txn) {
        return;  // an INVITE this call has moved on from (failover) or already answered
    }
    invite_relay& ir = *invite_;
    ir.final_seen = true;
    const side to = other(ir.from);
    const bool timeout = why == sip::client_failure::timeout;
    if (d_.emergency && ir.initial && !ir.cancelled &&
        location_domain_failed(
            timeout ? e911::domain_outcome::timeout : e911::domain_outcome::transport_error,
            timeout ? "INVITE timed out" : "transport failure", timeout ? 408 : 503)) {
        return;
    }
    if (d_.leg(to).realm == realm_id::core && d_.node) {
        ctx_.sip.trunk().report(*d_.node,
                                timeout ? node_outcome::timeout : node_outcome::transport_error,
                                "INVITE", d_.leg(ir.from).next_hop.address.ip());
    }
    if (!timeout && fail_over()) {
        return;
    }
    const uint16_t code = timeout ? 408 : 503;
    if (!ir.cancelled) {
        respond(ir.from, ir.server,
                response(ir.from, ir.server, code,
                         timeout ? "Request Timeout" : "Service Unavailable", nullptr, {}, false));
    }
    if (ir.initial) {
        if (!ir.cancelled) {
            d_.final_status = code;
            d_.end_reason = timeout ? "no response from callee" : "callee unreachable";
        }
        finish();
        return;
    }
    ctx_.media.cancel_offer(d_.media);
    invite_.reset();
    hang_up("re-INVITE timed out", R"(SIP;cause=408;text="Request Timeout")");
}

void call::send_ack(side to, uint32_t cseq, const sip::outgoing_message& m) {
    std::string bytes = m.serialize();
    last_ack_[media::idx(to)] = bytes;
    last_ack_cseq_[media::idx(to)] = cseq;
    send_leg_ack(to, std::move(bytes));
}

void call::on_ack(const sip::message& ack, side s) {
    if (!invite_ || invite_->from != s || invite_->response_2xx.empty() || invite_->acked) {
        return;  // a retransmitted ACK, or one for a non-2xx (the transaction took it)
    }
    invite_relay& ir = *invite_;
    ir.acked = true;
    ctx_.sip.access().loop().cancel_timer(ir.retransmit);
    const side to = other(s);
    auto out = dialog_request(d_.leg(to), edge_of(to), "ACK", ir.out_cseq, false);
    copy_crossing(ack, out);
    const bool initial = ir.initial;
    const uint32_t cseq = ir.out_cseq;
    if (!ir.offer_in_2xx) {
        send_ack(to, cseq, out);
        if (initial) {
            apply(call_event::ack);
        }
        invite_.reset();
        return;
    }
    const auto sdp = ack.sdp_body();
    if (!sdp) {
        send_ack(to, cseq, out);
        ctx_.media.cancel_offer(d_.media);
        invite_.reset();
        hang_up("no answer in ACK", R"(SIP;cause=488;text="No SDP answer in ACK")");
        return;
    }
    if (initial) {
        apply(call_event::ack_with_answer);
    }
    program_answer(s, *sdp,
                   [to, cseq, initial, out](call& c, const media::status& st,
                                            const std::string& body) mutable {
                       if (st) {
                           out.body("application/sdp", body);
                       }
                       c.send_ack(to, cseq, out);
                       c.invite_.reset();
                       if (!st) {
                           c.hang_up("answer in ACK refused",
                                     R"(SIP;cause=488;text="Not Acceptable Here")");
                           return;
                       }
                       if (initial) {
                           c.apply(call_event::media_ready);
                       }
                   });
}

}  // namespace sbc::cp::b2bua
