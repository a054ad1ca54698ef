// Requests inside a call's dialogs: re-INVITE (with glare detection), BYE, UPDATE (session
// refresh, with or without SDP), PRACK (RAck mapped to the other leg's INVITE CSeq), REFER,
// NOTIFY, INFO, MESSAGE, OPTIONS; their responses relayed back. Replaces (RFC 3891), in a header
// or inside a Refer-To URI, is mapped onto the other leg's dialog.

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/header_policy.hpp"

namespace sbc::cp::b2bua {

namespace {

uint64_t server_key(realm_id r, sip::transaction_id t) {
    return (r == realm_id::core ? (uint64_t{1} << 63) : 0) | t;
}

std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string escape_header_value(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (std::isalnum(u) || ch == '-' || ch == '_' || ch == '.' || ch == '!' || ch == '~' ||
            ch == '*' || ch == '\'' || ch == '(' || ch == ')') {
            out += ch;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

bool is_target_refresh(sip::sip_method m) {
    return m == sip::sip_method::update || m == sip::sip_method::notify ||
           m == sip::sip_method::refer || m == sip::sip_method::subscribe;
}

}  // namespace

void b2bua::on_in_dialog(const req_t& req) {
    const sip::message& m = req.msg;
    auto it = by_dialog_.find(dialog_key(req.realm, m.call_id(), m.to().tag()));
    if (it == by_dialog_.end()) {
        ++counters_.unknown_dialog;
        sip_.dispatcher().refuse(req, dispatch_refusal::no_transaction);
        return;
    }
    const call_id_t id = it->second.first;
    const side s = it->second.second;
    const sip::transaction_id txn = req.txn;
    const auto method = m.method_kind();
    if (call* c = lookup(id)) {
        dialog_leg& l = c->leg(s);
        if (m.cseq().number > l.remote_cseq) {
            l.remote_cseq = m.cseq().number;
        }
    }
    switch (method) {
        case sip::sip_method::bye:
            run(id, [this, s, txn](call& c) { on_bye(c, s, txn); });
            return;
        case sip::sip_method::invite:
            run(id, [this, s, txn](call& c) { on_reinvite(c, s, txn); });
            return;
        default:
            run(id, [this, s, txn](call& c) { relay_request(c, s, txn); });
            return;
    }
}

void b2bua::on_bye(call& c, side s, sip::transaction_id txn) {
    const sip::message* m = edge_of(c, s).transactions().request_of(txn);
    ++counters_.byes;
    std::string reason;
    if (m != nullptr) {
        if (const auto* h = m->find(sip::header_id::reason)) {
            reason = std::string(h->value);
        }
    }
    respond(c, s, txn, response(c, s, txn, 200, "OK", nullptr, {}, false));
    hang_up(c, s == side::a ? "bye from caller" : "bye from callee", reason, s);
}

// An offer the media manager refused: its status and text, the precise cause in a Warning.
void b2bua::refuse_offer(call& c, side s, sip::transaction_id txn, const sip::message& m,
                         const media::status& st) {
    const bool glare = st.code == media::errc::offer_pending;
    if (glare) {
        ++counters_.glare_491;
    }
    auto out = sip::response_for(m, static_cast<uint16_t>(st.sip_status()),
                                 glare ? "Request Pending" : std::string_view(media::text(st.code)),
                                 c.leg(s).local_tag);
    out.add("Warning", st.warning());
    respond(c, s, txn, out.serialize());
}

void b2bua::on_reinvite(call& c, side s, sip::transaction_id txn) {
    const sip::message* m = edge_of(c, s).transactions().request_of(txn);
    if (m == nullptr) {
        return;
    }
    // RFC 3261 §14.2: an INVITE while another is pending on the dialog gets 491.
    if (c.invite || c.state != call_state::confirmed || media_.find(c.media) == nullptr ||
        media_.find(c.media)->offer_pending()) {
        ++counters_.glare_491;
        auto bytes = response(c, s, txn, 491, "Request Pending", nullptr, {}, false);
        respond(c, s, txn, std::move(bytes));
        return;
    }
    if (!body_is_relayable(*m)) {
        auto out = sip::response_for(
            *m, 415, "Unsupported Media Type (the SBC relays application/sdp)", c.leg(s).local_tag);
        out.add("Accept", "application/sdp");
        respond(c, s, txn, out.serialize());
        return;
    }
    ++counters_.reinvites;
    ++c.reinvites;
    refresh_target(c.leg(s), *m);
    const auto sdp = m->sdp_body();
    std::string offer;
    if (sdp) {
        media::status st = media_.offer(c.media, s, *sdp, offer);
        if (!st) {
            refuse_offer(c, s, txn, *m, st);
            return;
        }
    }
    const side o = other(s);
    dialog_leg& l = c.leg(o);
    auto out = dialog_request(l, edge_of(c, o), "INVITE", ++l.local_cseq, true);
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
    c.invite = std::move(ir);
    by_invite_server_[server_key(c.leg(s).realm, txn)] = c.id;
    send_invite(c, std::move(out));
}

void b2bua::relay_request(call& c, side s, sip::transaction_id txn) {
    const sip::message* m = edge_of(c, s).transactions().request_of(txn);
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
    switch (method) {
        case sip::sip_method::update:
            ++counters_.updates;
            ++c.updates;
            break;
        case sip::sip_method::prack:
            ++counters_.prack;
            break;
        case sip::sip_method::refer:
            ++counters_.refer;
            break;
        case sip::sip_method::notify:
            ++counters_.notify;
            break;
        default:
            ++counters_.other_requests;
            break;
    }
    if (method == sip::sip_method::update) {
        refresh_target(c.leg(s), *m);
        if (!sdp && !c.leg(o).allows_update) {
            // A session refresh for a peer that takes no UPDATE (RFC 4028 §9): the refresh is
            // between the refresher and us; we answer it and keep the session alive.
            ++counters_.refreshes_answered;
            ++c.refreshes;
            header_list extra;
            if (const auto& se = m->session_expires(); se.ok()) {
                const auto* h = m->find(sip::header_id::session_expires);
                extra.emplace_back("Session-Expires", std::string(h->value));
                extra.emplace_back("Require", "timer");
                arm_session_timer(c, se->delta);
            }
            respond(c, s, txn, response(c, s, txn, 200, "OK", nullptr, {}, true, extra));
            return;
        }
    }
    if (sdp) {
        // An offer in UPDATE or PRACK (RFC 3311, RFC 3262): rewritten like any offer. An UPDATE
        // offer while one is pending is 491 (RFC 3311 §5.2).
        media::status st = media_.offer(c.media, s, *sdp, body);
        if (!st) {
            refuse_offer(c, s, txn, *m, st);
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
    dialog_leg& l = c.leg(o);
    auto out =
        dialog_request(l, edge_of(c, o), m->method(), ++l.local_cseq, is_target_refresh(method));
    for (const auto& h : m->headers()) {
        if (!crosses(h)) {
            continue;
        }
        if (h.id == sip::header_id::refer_to) {
            out.add("Refer-To", map_replaces(h.value, c.leg(s).realm));
            continue;
        }
        const auto canonical = sip::header_name(h.id);
        out.add(canonical.empty() ? h.name : canonical, h.value);
    }
    if (method == sip::sip_method::prack) {
        // RFC 3262 §7.2: RAck names the INVITE's CSeq on this leg; RSeq passed through as is.
        if (const auto& rack = m->rack(); rack.ok()) {
            const uint32_t cseq = c.invite ? c.invite->out_cseq : rack->cseq;
            out.add("RAck", std::to_string(rack->rseq) + " " + std::to_string(cseq) + " " +
                                std::string(rack->method));
        }
    }
    if (!content_type.empty()) {
        out.body(content_type, body);
    }
    const call_id_t id = c.id;
    auto client = std::make_shared<sip::transaction_id>(0);
    std::weak_ptr<bool> alive = alive_;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response = [this, alive, id, client](const sip::message& r,
                                               const sip::transport_context&) {
        if (alive.expired()) {
            return;
        }
        call* cl = lookup(id);
        if (cl == nullptr) {
            return;
        }
        if (cl->busy) {
            auto copy = sip::parse(r.data());
            if (copy) {
                auto shared = std::make_shared<sip::message>(std::move(copy.value()));
                const sip::transaction_id t = *client;
                run(id, [this, t, shared](call& c2) { request_response(c2, t, *shared); });
            }
            return;
        }
        request_response(*cl, *client, r);
    };
    cb.on_failure = [this, alive, id, client](sip::client_failure why) {
        if (!alive.expired()) {
            on_request_failure(id, *client, why);
        }
    };
    *client = send_request(c, o, std::move(out), std::move(cb));
    if (*client == 0) {
        if (rr.offer_relayed) {
            media_.cancel_offer(c.media);
        }
        respond(c, s, txn, response(c, s, txn, 500, "Server Internal Error", nullptr, {}, false));
        return;
    }
    c.requests.emplace(*client, rr);
}

void b2bua::on_request_response(call_id_t id, sip::transaction_id client, const sip::message& r) {
    if (call* c = lookup(id)) {
        request_response(*c, client, r);
    }
}

void b2bua::request_response(call& c, sip::transaction_id client, const sip::message& r) {
    auto it = c.requests.find(client);
    if (it == c.requests.end()) {
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
        c.requests.erase(it);
    }
    if (ok && rr.method == sip::sip_method::update) {
        learn_uac(c.leg(o), r, false);
        arm_session_timer(c, r);
        ++c.refreshes;
    }
    const auto sdp = r.sdp_body();
    if (ok && rr.offer_relayed && sdp) {
        auto copy = sip::parse(r.data());
        if (!copy) {
            return;
        }
        auto shared = std::make_shared<sip::message>(std::move(copy.value()));
        const call_id_t id = c.id;
        c.busy = true;
        media_.answer(c.media, o, *sdp,
                      [this, id, rr, shared](const media::status& st, const std::string& body) {
                          call* cl = lookup(id);
                          if (cl == nullptr) {
                              return;
                          }
                          if (st) {
                              respond(*cl, rr.from, rr.server,
                                      response(*cl, rr.from, rr.server, shared->status_code(),
                                               shared->reason_phrase(), shared.get(), body,
                                               rr.method == sip::sip_method::update));
                          } else {
                              // The offerer cannot be told "no" after the other side said yes: the
                              // call ends.
                              respond(*cl, rr.from, rr.server,
                                      response(*cl, rr.from, rr.server, 500, media::text(st.code),
                                               nullptr, {}, false));
                              hang_up(*cl, "answer refused",
                                      R"(SIP;cause=488;text="Not Acceptable Here")");
                          }
                          release(id);
                      });
        return;
    }
    if (rr.offer_relayed && code >= 200 && (!ok || !sdp)) {
        media_.cancel_offer(c.media);
    }
    respond(c, s, rr.server,
            response(c, s, rr.server, code, r.reason_phrase(), &r, {},
                     ok && rr.method == sip::sip_method::update));
    if (code == 481 &&
        (rr.method == sip::sip_method::update || rr.method == sip::sip_method::prack)) {
        hang_up(c, "dialog gone on the other side", {});
    }
}

void b2bua::on_request_failure(call_id_t id, sip::transaction_id client, sip::client_failure why) {
    run(id, [this, client, why](call& c) {
        auto it = c.requests.find(client);
        if (it == c.requests.end()) {
            return;
        }
        const request_relay rr = it->second;
        c.requests.erase(it);
        if (rr.offer_relayed) {
            media_.cancel_offer(c.media);
        }
        const bool timeout = why == sip::client_failure::timeout;
        respond(c, rr.from, rr.server,
                response(c, rr.from, rr.server, timeout ? 408 : 503,
                         timeout ? "Request Timeout" : "Service Unavailable", nullptr, {}, false));
        if (rr.method == sip::sip_method::update || rr.method == sip::sip_method::prack) {
            // RFC 3261 §12.2.1.2: no answer inside the dialog ends it.
            hang_up(c, "no answer to " + std::string(sip::method_name(rr.method)),
                    R"(SIP;cause=408;text="Request Timeout")");
        }
    });
}

std::string b2bua::map_replaces(std::string_view value, realm_id from) const {
    // Refer-To: <sip:x@y?Replaces=callid%3Bto-tag%3Dt%3Bfrom-tag%3Df> (RFC 3891 §6.1), or a
    // Replaces header value "callid;to-tag=t;from-tag=f".
    const bool in_uri = value.find('<') != std::string_view::npos ||
                        value.find("Replaces=") != std::string_view::npos;
    std::string_view prefix, replaces = value, suffix;
    if (in_uri) {
        const auto at = value.find("Replaces=");
        if (at == std::string_view::npos) {
            return std::string(value);
        }
        const auto start = at + 9;
        auto end = value.find_first_of("&>", start);
        if (end == std::string_view::npos) {
            end = value.size();
        }
        prefix = value.substr(0, start);
        replaces = value.substr(start, end - start);
        suffix = value.substr(end);
    }
    const std::string text = in_uri ? unescape(replaces) : std::string(replaces);
    const auto semi = text.find(';');
    const std::string call_id = text.substr(0, semi);
    sip::param_list params(semi == std::string::npos ? std::string_view{}
                                                     : std::string_view(text).substr(semi));
    const auto to_tag = params.value("to-tag").value_or("");
    const auto from_tag = params.value("from-tag").value_or("");
    const std::pair<call_id_t, side>* hit = nullptr;
    for (auto tag : {to_tag, from_tag}) {
        auto it = by_dialog_.find(dialog_key(from, call_id, tag));
        if (it != by_dialog_.end()) {
            hit = &it->second;
            break;
        }
    }
    if (hit == nullptr) {
        return in_uri ? std::string(value) : std::string();
    }
    const call* c = find(hit->first);
    if (c == nullptr) {
        return in_uri ? std::string(value) : std::string();
    }
    // The same dialog as the recipient on the other leg knows it: its tag is "to", ours "from".
    const dialog_leg& l = c->leg(other(hit->second));
    std::string mapped = l.call_id + ";to-tag=" + l.remote_tag + ";from-tag=" + l.local_tag;
    if (params.has("early-only")) {
        mapped += ";early-only";
    }
    if (!in_uri) {
        return mapped;
    }
    return std::string(prefix) + escape_header_value(mapped) + std::string(suffix);
}

}  // namespace sbc::cp::b2bua
