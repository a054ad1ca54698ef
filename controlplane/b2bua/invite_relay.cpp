// An INVITE (initial or re-INVITE) relayed from one leg to the other: provisional responses,
// the 2xx (media answered and programmed first, then retransmitted until its ACK), the ACK
// relayed end to end, and final failures.

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/log_text.hpp"

namespace sbc::cp::b2bua {

namespace {

std::shared_ptr<sip::message> copy_of(const sip::message& m) {
    auto r = sip::parse(m.data());
    if (!r) {
        return nullptr;
    }
    return std::make_shared<sip::message>(std::move(r.value()));
}

}  // namespace

void b2bua::on_invite_response(call_id_t id, const sip::message& r) {
    call* c = lookup(id);
    if (c == nullptr) {
        return;
    }
    if (c->busy) {
        auto copy = copy_of(r);
        if (copy) {
            run(id, [this, copy](call& cl) { invite_response(cl, *copy); });
        }
        return;
    }
    invite_response(*c, r);
}

void b2bua::ack_and_bye(call& c, side s, const sip::message& r2xx, uint32_t cseq) {
    // A 2xx the call cannot use (a second fork, a 2xx after CANCEL): acknowledge and end that
    // dialog (RFC 3261 §13.2.2.4, §15).
    dialog_leg tmp = c.leg(s);
    learn_uac(tmp, r2xx, true);
    send_leg_ack(c, s, dialog_request(tmp, edge_of(c, s), "ACK", cseq, false).serialize());
    send_request(c, s, dialog_request(tmp, edge_of(c, s), "BYE", cseq + 1, false), {});
}

void b2bua::invite_response(call& c, const sip::message& r) {
    const uint16_t code = r.status_code();
    if (!c.invite || r.cseq().number != c.invite->out_cseq) {
        // A 2xx retransmitted after we acknowledged it gets the same ACK again.
        if (code >= 200 && code < 300) {
            for (side s : {side::a, side::b}) {
                if (c.last_ack_cseq[media::idx(s)] == r.cseq().number &&
                    c.leg(s).call_id == r.call_id() && !c.last_ack[media::idx(s)].empty()) {
                    send_leg_ack(c, s, c.last_ack[media::idx(s)]);
                }
            }
        }
        return;
    }
    if (code == 100) {
        return;
    }
    if (code >= 300) {
        invite_final(c, r);
        return;
    }
    if (code >= 200) {
        invite_2xx(c, r);
        return;
    }
    invite_relay& ir = *c.invite;
    if (ir.final_seen || ir.cancelled) {
        return;
    }
    const side to = other(ir.from);
    dialog_leg& l = c.leg(to);
    const bool tagged = !r.to().tag().empty();
    if (ir.initial && tagged && l.remote_tag != r.to().tag()) {
        learn_uac(l, r, true);
        if (c.state == call_state::calling) {
            c.state = call_state::early;
        }
    }
    const auto sdp = r.sdp_body();
    if (!sdp || !ir.offer_relayed) {
        respond(c, ir.from, ir.server,
                response(c, ir.from, ir.server, code, r.reason_phrase(), &r, {}, tagged));
        return;
    }
    // Early media: the answer in the provisional response is programmed before it is relayed.
    auto copy = copy_of(r);
    if (!copy) {
        return;
    }
    const call_id_t id = c.id;
    c.busy = true;
    media_.answer(
        c.media, to, *sdp,
        [this, id, copy, tagged](const media::status& st, const std::string& body) {
            if (call* cl = lookup(id); cl != nullptr && cl->invite) {
                const invite_relay& ir2 = *cl->invite;
                if (!st) {
                    spdlog::info("call {}: early answer not usable ({}); relayed without SDP", id,
                                 log_text(st.message()));
                }
                respond(
                    *cl, ir2.from, ir2.server,
                    response(*cl, ir2.from, ir2.server, copy->status_code(), copy->reason_phrase(),
                             copy.get(), st ? body : std::string(), tagged));
            }
            release(id);
        });
}

void b2bua::invite_2xx(call& c, const sip::message& r) {
    invite_relay& ir = *c.invite;
    const side to = other(ir.from);
    dialog_leg& l = c.leg(to);
    if (ir.final_seen) {
        if (ir.initial && r.to().tag() != l.remote_tag) {
            ack_and_bye(c, to, r, ir.out_cseq);
        }
        return;  // a retransmission: the ACK goes when the other side acknowledges ours
    }
    ir.final_seen = true;
    if (ir.initial) {
        sip_.access().loop().cancel_timer(c.no_answer_timer);
    }
    if (ir.cancelled) {
        // CANCEL crossed the 2xx: the caller has its 487; this dialog is acknowledged and ended.
        ack_and_bye(c, to, r, ir.out_cseq);
        if (ir.initial) {
            finish(c);
        } else {
            c.invite.reset();
        }
        return;
    }
    learn_uac(l, r, ir.initial && l.remote_tag != r.to().tag());
    const auto sdp = r.sdp_body();
    const call_id_t id = c.id;
    if (ir.offer_relayed && sdp) {
        auto copy = copy_of(r);
        if (!copy) {
            return;
        }
        c.busy = true;
        media_.answer(
            c.media, to, *sdp, [this, id, copy](const media::status& st, const std::string& body) {
                call* cl = lookup(id);
                if (cl == nullptr || !cl->invite) {
                    release(id);
                    return;
                }
                if (!st) {
                    // The callee's answer is unusable: it is acknowledged and hung up; the caller
                    // hears why (a failed re-INVITE leaves the call as it was: RFC 3261 §14.1).
                    spdlog::info("call {}: answer refused: {}", id, log_text(st.message()));
                    invite_relay& ir2 = *cl->invite;
                    const side callee = other(ir2.from);
                    ack_and_bye(*cl, callee, *copy, ir2.out_cseq);
                    const uint16_t status = st.sip_status() == 400 ? 500 : st.sip_status();
                    respond(*cl, ir2.from, ir2.server,
                            response(*cl, ir2.from, ir2.server, status, media::text(st.code),
                                     nullptr, {}, false));
                    if (ir2.initial) {
                        cl->final_status = status;
                        cl->end_reason = "answer refused: " + st.message();
                        finish(*cl);
                    } else {
                        media_.cancel_offer(cl->media);
                        cl->invite.reset();
                        hang_up(*cl, "re-INVITE answer refused",
                                R"(SIP;cause=488;text="Not Acceptable Here")");
                    }
                    release(id);
                    return;
                }
                relay_2xx(*cl, *copy, body);
                release(id);
            });
        return;
    }
    if (!ir.offer_relayed && sdp) {
        std::string offer;
        media::status st = media_.offer(c.media, to, *sdp, offer);
        if (!st) {
            spdlog::info("call {}: offer in 2xx refused: {}", id, log_text(st.message()));
            ack_and_bye(c, to, r, ir.out_cseq);
            respond(c, ir.from, ir.server,
                    response(c, ir.from, ir.server, static_cast<uint16_t>(st.sip_status()),
                             media::text(st.code), nullptr, {}, false));
            if (ir.initial) {
                c.final_status = st.sip_status();
                c.end_reason = "offer in 2xx refused";
                finish(c);
            } else {
                c.invite.reset();
                hang_up(c, "offer in 2xx refused", R"(SIP;cause=488;text="Not Acceptable Here")");
            }
            return;
        }
        ir.offer_in_2xx = true;
        relay_2xx(c, r, offer);
        return;
    }
    relay_2xx(c, r, {});
}

void b2bua::relay_2xx(call& c, const sip::message& r, const std::string& body) {
    invite_relay& ir = *c.invite;
    header_list extra;
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
        response(c, ir.from, ir.server, r.status_code(), r.reason_phrase(), &r, body, true, extra);
    respond(c, ir.from, ir.server, ir.response_2xx);
    if (ir.initial) {
        c.state = call_state::answered;
        c.answered = std::chrono::system_clock::now();
        c.final_status = r.status_code();
        ++counters_.answered;
    } else {
        ++c.refreshes;
    }
    arm_session_timer(c, interval);
    arm_2xx_retransmit(c.id);
}

void b2bua::arm_2xx_retransmit(call_id_t id) {
    call* c = lookup(id);
    if (c == nullptr || !c->invite) {
        return;
    }
    auto& loop = sip_.access().loop();
    invite_relay& ir = *c->invite;
    const auto t1 = std::chrono::milliseconds(cfg_.sip.t1_ms);
    const auto t2 = std::chrono::milliseconds(cfg_.sip.t2_ms);
    if (ir.interval.count() == 0) {
        ir.interval = t1;
        ir.give_up = loop.now() + 64 * t1;
    } else {
        ir.interval = std::min(2 * ir.interval, t2);
    }
    std::weak_ptr<bool> alive = alive_;
    // RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx until the ACK, for 64*T1.
    ir.retransmit = loop.run_after(ir.interval, [this, alive, id] {
        if (alive.expired()) {
            return;
        }
        run(id, [this](call& cl) {
            if (!cl.invite || cl.invite->acked || cl.invite->response_2xx.empty()) {
                return;
            }
            if (sip_.access().loop().now() >= cl.invite->give_up) {
                ++counters_.no_ack;
                hang_up(cl, "no ACK for 2xx", R"(SIP;cause=408;text="No ACK")");
                return;
            }
            respond(cl, cl.invite->from, cl.invite->server, cl.invite->response_2xx);
            arm_2xx_retransmit(cl.id);
        });
    });
}

void b2bua::invite_final(call& c, const sip::message& r) {
    invite_relay& ir = *c.invite;
    if (ir.final_seen) {
        return;
    }
    ir.final_seen = true;
    const uint16_t code = r.status_code();
    const side to = other(ir.from);
    if (c.leg(to).realm == realm_id::core && c.node && code == 503 && ir.initial) {
        sip_.trunk().report(*c.node, node_outcome::unavailable, "503 to INVITE",
                            c.leg(ir.from).next_hop.address.ip());
    }
    if (!ir.cancelled) {
        respond(c, ir.from, ir.server,
                response(c, ir.from, ir.server, code, r.reason_phrase(), &r, {}, false));
    }
    if (ir.initial) {
        if (!ir.cancelled) {
            c.final_status = code;
            c.end_reason = "rejected " + std::to_string(code);
        }
        finish(c);
        return;
    }
    media_.cancel_offer(c.media);
    c.invite.reset();
    if (code == 481 || code == 408) {
        // RFC 3261 §12.2.1.2: the dialog is gone on that side.
        hang_up(c, "re-INVITE " + std::to_string(code), {});
    }
}

void b2bua::on_invite_failure(call_id_t id, sip::transaction_id txn, sip::client_failure why) {
    run(id, [this, txn, why](call& c) {
        if (!c.invite || c.invite->final_seen || c.invite->client != txn) {
            return;  // an INVITE this call has moved on from (failover) or already answered
        }
        invite_relay& ir = *c.invite;
        ir.final_seen = true;
        const side to = other(ir.from);
        const bool timeout = why == sip::client_failure::timeout;
        if (c.leg(to).realm == realm_id::core && c.node) {
            sip_.trunk().report(*c.node,
                                timeout ? node_outcome::timeout : node_outcome::transport_error,
                                "INVITE", c.leg(ir.from).next_hop.address.ip());
        }
        if (!timeout && fail_over(c)) {
            return;
        }
        const uint16_t code = timeout ? 408 : 503;
        if (!ir.cancelled) {
            respond(
                c, ir.from, ir.server,
                response(c, ir.from, ir.server, code,
                         timeout ? "Request Timeout" : "Service Unavailable", nullptr, {}, false));
        }
        if (ir.initial) {
            if (!ir.cancelled) {
                c.final_status = code;
                c.end_reason = timeout ? "no response from callee" : "callee unreachable";
            }
            finish(c);
            return;
        }
        media_.cancel_offer(c.media);
        c.invite.reset();
        hang_up(c, "re-INVITE timed out", R"(SIP;cause=408;text="Request Timeout")");
    });
}

void b2bua::on_ack(realm_id realm, sip::message&& ack, const sip::transport_context&) {
    auto it = by_dialog_.find(dialog_key(realm, ack.call_id(), ack.to().tag()));
    if (it == by_dialog_.end()) {
        return;  // an ACK for nothing we know: dropped (RFC 3261 §17.2.3 has no answer for it)
    }
    const side s = it->second.second;
    auto msg = std::make_shared<sip::message>(std::move(ack));
    run(it->second.first, [this, s, msg](call& c) {
        if (!c.invite || c.invite->from != s || c.invite->response_2xx.empty() || c.invite->acked) {
            return;  // a retransmitted ACK, or one for a non-2xx (the transaction took it)
        }
        invite_relay& ir = *c.invite;
        ir.acked = true;
        sip_.access().loop().cancel_timer(ir.retransmit);
        const side to = other(s);
        auto out = dialog_request(c.leg(to), edge_of(c, to), "ACK", ir.out_cseq, false);
        copy_crossing(*msg, out);
        const bool initial = ir.initial;
        auto send = [this](call& cl, side leg, uint32_t cseq, const sip::outgoing_message& m) {
            std::string bytes = m.serialize();
            cl.last_ack[media::idx(leg)] = bytes;
            cl.last_ack_cseq[media::idx(leg)] = cseq;
            send_leg_ack(cl, leg, std::move(bytes));
        };
        if (!ir.offer_in_2xx) {
            send(c, to, ir.out_cseq, out);
            if (initial) {
                c.state = call_state::confirmed;
            }
            c.invite.reset();
            return;
        }
        const auto sdp = msg->sdp_body();
        if (!sdp) {
            send(c, to, ir.out_cseq, out);
            media_.cancel_offer(c.media);
            c.invite.reset();
            hang_up(c, "no answer in ACK", R"(SIP;cause=488;text="No SDP answer in ACK")");
            return;
        }
        const call_id_t id = c.id;
        const uint32_t cseq = ir.out_cseq;
        c.busy = true;
        media_.answer(c.media, s, *sdp,
                      [this, id, to, cseq, initial, out, send](const media::status& st,
                                                               const std::string& body) mutable {
                          call* cl = lookup(id);
                          if (cl == nullptr) {
                              return;
                          }
                          if (st) {
                              out.body("application/sdp", body);
                          }
                          send(*cl, to, cseq, out);
                          cl->invite.reset();
                          if (!st) {
                              hang_up(*cl, "answer in ACK refused",
                                      R"(SIP;cause=488;text="Not Acceptable Here")");
                              release(id);
                              return;
                          }
                          if (initial) {
                              cl->state = call_state::confirmed;
                          }
                          release(id);
                      });
    });
}

}  // namespace sbc::cp::b2bua
