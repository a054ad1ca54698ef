// Requests inside a call's dialogs: re-INVITE (with glare detection), BYE, UPDATE (session
// refresh, with or without SDP), PRACK (RAck mapped to the other leg's INVITE CSeq), REFER,
// NOTIFY, INFO, MESSAGE, OPTIONS; their responses relayed back. None changes the call's state
// except by ending it.

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/call_table.hpp"
#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp::b2bua {

namespace {

bool is_target_refresh(sip::sip_method m) {
    return m == sip::sip_method::update || m == sip::sip_method::notify ||
           m == sip::sip_method::refer || m == sip::sip_method::subscribe;
}

}  // namespace

void call::saw_request(side s, uint32_t cseq) {
    dialog_leg& l = d_.leg(s);
    if (cseq > l.remote_cseq) {
        l.remote_cseq = cseq;
    }
}

void call::on_in_dialog(side s, sip::transaction_id txn, sip::sip_method method) {
    switch (method) {
        case sip::sip_method::bye:
            on_bye(s, txn);
            return;
        case sip::sip_method::invite:
            on_reinvite(s, txn);
            return;
        default:
            relay_request(s, txn);
            return;
    }
}

void call::on_bye(side s, sip::transaction_id txn) {
    const sip::message* m = edge_of(s).transactions().request_of(txn);
    ++ctx_.counters.byes;
    std::string reason;
    if (m != nullptr) {
        if (const auto* h = m->find(sip::header_id::reason)) {
            reason = std::string(h->value);
        }
    }
    respond(s, txn, response(s, txn, 200, "OK", nullptr, {}, false));
    hang_up(s == side::a ? "bye from caller" : "bye from callee", reason, s);
}

// An offer the media manager refused: its status and text, the precise cause in a Warning.
void call::refuse_offer(side s, sip::transaction_id txn, const sip::message& m,
                        const media::status& st) {
    const bool glare = st.code == media::errc::offer_pending;
    if (glare) {
        ++ctx_.counters.glare_491;
    }
    auto out = sip::response_for(m, static_cast<uint16_t>(st.sip_status()),
                                 glare ? "Request Pending" : std::string_view(media::text(st.code)),
                                 d_.leg(s).local_tag);
    out.add("Warning", st.warning());
    respond(s, txn, out.serialize());
}

void call::on_reinvite(side s, sip::transaction_id txn) {
    const sip::message* m = edge_of(s).transactions().request_of(txn);
    if (m == nullptr) {
        return;
    }
    // RFC 3261 §14.2: an INVITE while another is pending on the dialog gets 491.
    const media::media_session* ms = ctx_.media.find(d_.media);
    if (invite_ || d_.state != call_state::confirmed || ms == nullptr || ms->offer_pending()) {
        ++ctx_.counters.glare_491;
        respond(s, txn, response(s, txn, 491, "Request Pending", nullptr, {}, false));
        return;
    }
    if (!body_is_relayable(*m)) {
        respond(s, txn,
                response(s, txn, 415, "Unsupported Media Type (the SBC relays application/sdp)",
                         nullptr, {}, false, {{"Accept", std::string(accepted_bodies)}}));
        return;
    }
    ++ctx_.counters.reinvites;
    ++d_.reinvites;
    refresh_target(d_.leg(s), *m);
    const auto sdp = m->sdp_body();
    std::string offer;
    if (sdp) {
        media::status st = ctx_.media.offer(d_.media, s, *sdp, offer);
        if (!st) {
            refuse_offer(s, txn, *m, st);
            return;
        }
    }
    const side o = other(s);
    dialog_leg& l = d_.leg(o);
    auto out = dialog_request(l, edge_of(o), "INVITE", ++l.local_cseq, true);
    copy_crossing(*m, out);
    if (sdp) {
        out.body("application/sdp", offer);
    }
    invite_relay ir;
    ir.from = s;
    ir.server = txn;
    ir.out_cseq = l.local_cseq;
    ir.offer_relayed = sdp.has_value();
    if (const auto& se = m->session_expires(); se.ok()) {
        ir.requested_interval = se->delta;
    }
    ir.uac_timer = m->supports("timer");
    invite_ = std::move(ir);
    ctx_.table.index_invite(d_.leg(s).realm, txn, d_.id);
    send_invite(std::move(out));
}

void call::relay_request(side s, sip::transaction_id txn) {
    const sip::message* m = edge_of(s).transactions().request_of(txn);
    if (m == nullptr) {
        return;
    }
    const auto method = m->method_kind();
    const side o = other(s);
    request_relay rr;
    rr.from = s;
    rr.server = txn;
    rr.method = method;
    std::string body, content_type;
    const auto sdp = m->sdp_body();
    b2bua_counters& k = ctx_.counters;
    switch (method) {
        case sip::sip_method::update:
            ++k.updates;
            ++d_.updates;
            break;
        case sip::sip_method::prack:
            ++k.prack;
            break;
        case sip::sip_method::refer:
            ++k.refer;
            break;
        case sip::sip_method::notify:
            ++k.notify;
            break;
        default:
            ++k.other_requests;
            break;
    }
    if (method == sip::sip_method::update) {
        refresh_target(d_.leg(s), *m);
        if (!sdp && !d_.leg(o).allows_update) {
            // A session refresh for a peer that takes no UPDATE (RFC 4028 §9): the refresh is
            // between the refresher and us; we answer it and keep the session alive.
            ++k.refreshes_answered;
            ++d_.refreshes;
            sip::header_list extra;
            if (const auto& se = m->session_expires(); se.ok()) {
                const auto* h = m->find(sip::header_id::session_expires);
                extra.emplace_back("Session-Expires", std::string(h->value));
                extra.emplace_back("Require", "timer");
                arm_session_timer(se->delta);
            }
            respond(s, txn, response(s, txn, 200, "OK", nullptr, {}, true, extra));
            return;
        }
    }
    if (sdp) {
        // An offer in UPDATE or PRACK (RFC 3311, RFC 3262): rewritten like any offer. An UPDATE
        // offer while one is pending is 491 (RFC 3311 §5.2).
        media::status st = ctx_.media.offer(d_.media, s, *sdp, body);
        if (!st) {
            refuse_offer(s, txn, *m, st);
            return;
        }
        rr.offer_relayed = true;
        content_type = "application/sdp";
    } else if (!m->body().empty()) {
        // Other bodies (sipfrag in NOTIFY, DTMF in INFO, text in MESSAGE) cross as they are.
        if (const auto* ct = m->find(sip::header_id::content_type)) {
            content_type = std::string(ct->value);
            body = std::string(m->body());
        }
    }
    dialog_leg& l = d_.leg(o);
    auto out =
        dialog_request(l, edge_of(o), m->method(), ++l.local_cseq, is_target_refresh(method));
    for (const auto& h : m->headers()) {
        if (!crosses(h)) {
            continue;
        }
        if (h.id == sip::header_id::refer_to) {
            out.add("Refer-To", map_replaces(ctx_.table, h.value, d_.leg(s).realm));
            continue;
        }
        const auto canonical = sip::header_name(h.id);
        out.add(canonical.empty() ? h.name : canonical, h.value);
    }
    if (method == sip::sip_method::prack) {
        // RFC 3262 §7.2: RAck names the INVITE's CSeq on this leg; RSeq passed through as is.
        if (const auto& rack = m->rack(); rack.ok()) {
            const uint32_t cseq = invite_ ? invite_->out_cseq : rack->cseq;
            out.add("RAck", std::to_string(rack->rseq) + " " + std::to_string(cseq) + " " +
                                std::string(rack->method));
        }
    }
    if (!content_type.empty()) {
        out.body(content_type, body);
    }
    call_table& table = ctx_.table;
    const call_id_t id = d_.id;
    auto client = std::make_shared<sip::transaction_id>(0);
    sip::transaction_layer::client_callbacks cb;
    cb.on_response =
        ctx_.life.guard([&table, id, client](const sip::message& r, const sip::transport_context&) {
            table.run(id, r, [t = *client](call& c, const sip::message& m2) {
                c.on_request_response(t, m2);
            });
        });
    cb.on_failure = ctx_.life.guard([&table, id, client](sip::client_failure why) {
        table.run(id, [t = *client, why](call& c) { c.on_request_failure(t, why); });
    });
    *client = send_request(o, std::move(out), std::move(cb));
    if (*client == 0) {
        if (rr.offer_relayed) {
            ctx_.media.cancel_offer(d_.media);
        }
        respond(s, txn, response(s, txn, 500, "Server Internal Error", nullptr, {}, false));
        return;
    }
    requests_.emplace(*client, rr);
}

void call::on_request_response(sip::transaction_id client, const sip::message& r) {
    auto it = requests_.find(client);
    if (it == requests_.end()) {
        return;
    }
    const uint16_t code = r.status_code();
    if (code == 100) {
        return;
    }
    const request_relay rr = it->second;
    const side s = rr.from;
    const side o = other(s);
    const bool ok = code >= 200 && code < 300;
    if (code >= 200) {
        requests_.erase(it);
    }
    if (ok && rr.method == sip::sip_method::update) {
        learn_uac(d_.leg(o), r, false);
        arm_session_timer(r);
        ++d_.refreshes;
    }
    const auto sdp = r.sdp_body();
    if (ok && rr.offer_relayed && sdp) {
        auto copy = sip::parse(r.data());
        if (!copy) {
            return;
        }
        auto held = std::make_shared<sip::message>(std::move(copy.value()));
        program_answer(
            o, *sdp, [rr, held](call& c, const media::status& st, const std::string& body) {
                if (st) {
                    c.respond(
                        rr.from, rr.server,
                        c.response(rr.from, rr.server, held->status_code(), held->reason_phrase(),
                                   held.get(), body, rr.method == sip::sip_method::update));
                    return;
                }
                // The offerer cannot be told "no" after the other side said yes: the call ends.
                c.respond(
                    rr.from, rr.server,
                    c.response(rr.from, rr.server, 500, media::text(st.code), nullptr, {}, false));
                c.hang_up("answer refused", R"(SIP;cause=488;text="Not Acceptable Here")");
            });
        return;
    }
    if (rr.offer_relayed && code >= 200 && (!ok || !sdp)) {
        ctx_.media.cancel_offer(d_.media);
    }
    respond(s, rr.server,
            response(s, rr.server, code, r.reason_phrase(), &r, {},
                     ok && rr.method == sip::sip_method::update));
    if (code == 481 &&
        (rr.method == sip::sip_method::update || rr.method == sip::sip_method::prack)) {
        hang_up("dialog gone on the other side", {});
    }
}

void call::on_request_failure(sip::transaction_id client, sip::client_failure why) {
    auto it = requests_.find(client);
    if (it == requests_.end()) {
        return;
    }
    const request_relay rr = it->second;
    requests_.erase(it);
    if (rr.offer_relayed) {
        ctx_.media.cancel_offer(d_.media);
    }
    const bool timeout = why == sip::client_failure::timeout;
    respond(rr.from, rr.server,
            response(rr.from, rr.server, timeout ? 408 : 503,
                     timeout ? "Request Timeout" : "Service Unavailable", nullptr, {}, false));
    if (rr.method == sip::sip_method::update || rr.method == sip::sip_method::prack) {
        // RFC 3261 §12.2.1.2: no answer inside the dialog ends it.
        hang_up("no answer to " + std::string(sip::method_name(rr.method)),
                R"(SIP;cause=408;text="Request Timeout")");
    }
}

}  // namespace sbc::cp::b2bua
