// New calls: an INVITE from a softphone (access realm) toward OSV, an INVITE from OSV to a
// registered softphone's flow token, and CANCEL of a pending INVITE.

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/header_policy.hpp"
#include "dataplane/shm/address.hpp"
#include "sip/ids.hpp"

namespace sbc::cp::b2bua {

namespace {

uint64_t server_key(realm_id r, sip::transaction_id t) {
    return (r == realm_id::core ? (uint64_t{1} << 63) : 0) | t;
}

std::optional<shm::ip_address> ip_of(const sip::socket_address& a) {
    shm::ip_address ip{};
    if (!shm::parse_ip(a.ip(), ip)) {
        return std::nullopt;
    }
    return ip;
}

std::string aor_of(const sip::name_addr& na) {
    return std::string(na.uri_text);
}

}  // namespace

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
    // OSV calls reach a softphone through its flow token; anything else is not ours to route.
    sip_.dispatcher().respond(req, 404, "Not Found (no such subscriber)");
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
    const realm_id realm_a = req.realm;
    const realm_id realm_b = client != nullptr ? realm_id::access : realm_id::core;

    uint32_t max_forwards = 70;
    if (const auto& mf = msg.max_forwards(); mf.ok()) {
        if (*mf == 0) {
            dispatcher.respond(req, 483, "Too Many Hops");
            return;
        }
        max_forwards = std::min<uint32_t>(*mf - 1, 70);
    }
    if (!body_is_relayable(msg)) {
        ++counters_.refused_media;
        dispatcher.respond(req, 415, "Unsupported Media Type (the SBC relays application/sdp)",
                           accepted_bodies);
        return;
    }
    if (media_.at_capacity()) {
        ++counters_.refused_capacity;
        dispatcher.respond(req, 503, "Service Unavailable (session limit)",
                           "Retry-After: " + std::to_string(retry_after_s) + "\r\n");
        return;
    }

    // Where leg b goes: the OSV node (a caller's dialogs stay on its registration's node), or
    // down the client's live flow.
    sip::transport_target next_hop;
    std::optional<node_index> node;
    if (client == nullptr) {
        std::optional<node_index> affinity;
        for (binding* b : sip_.bindings().on_connection(req.ctx.connection)) {
            affinity = b->node;
            break;
        }
        node = sip_.trunk().select(affinity);
        if (!node) {
            ++counters_.refused_no_node;
            dispatcher.respond(
                req, 503, "Service Unavailable (no OSV node)",
                "Retry-After: " + std::to_string(sip_.trunk().retry_after_s()) + "\r\n");
            return;
        }
        next_hop = sip_.trunk().target(*node);
    } else {
        if (!client->live_flow()) {
            dispatcher.refuse(req, dispatch_refusal::no_live_flow);
            return;
        }
        node = req.node;
        next_hop.type = client->transport;
        next_hop.address = client->remote;
        next_hop.connection = client->connection;
    }

    // Media: the access leg's profile by User-Agent and subnet, the core leg's by realm.
    const auto& profiles = media_.profiles();
    auto setup_for = [&](realm_id r, bool caller) {
        media::leg_setup s;
        if (r == realm_id::access) {
            s.realm = &cfg_.realm.access;
            const std::string ua =
                caller ? std::string(msg.user_agent()) : (client ? client->user_agent : "");
            const subscriber_subnet* subnet =
                caller ? req.subnet : (client ? client->subnet : nullptr);
            auto choice = profiles.for_access(ua, subnet ? subnet->media_profile : "");
            s.profile = choice.profile;
            s.profile_reason = choice.reason;
            s.signalling_source = ip_of(caller ? req.ctx.remote : client->remote);
        } else {
            s.realm = &cfg_.realm.core;
            auto choice = profiles.for_realm(cfg_.realm.core);
            s.profile = choice.profile;
            s.profile_reason = choice.reason;
        }
        return s;
    };
    auto created = media_.create(setup_for(realm_a, true), setup_for(realm_b, false));
    if (!created.st) {
        ++counters_.refused_capacity;
        dispatcher.respond(
            req, static_cast<uint16_t>(created.st.sip_status()),
            "Service Unavailable (" + std::string(media::text(created.st.code)) + ")",
            "Retry-After: " + std::to_string(retry_after_s) + "\r\n");
        return;
    }

    auto owned = std::make_unique<call>();
    call& c = *owned;
    c.id = next_id_++;
    c.media = created.id;
    c.node = node;
    c.direction = realm_a == realm_id::access ? "access->core" : "core->access";
    c.from_aor = aor_of(msg.from());
    c.to_aor = aor_of(msg.to());
    c.started = std::chrono::system_clock::now();

    dialog_leg& a = c.leg(side::a);
    learn_uas(a, msg);
    a.realm = realm_a;
    const auto txn_tag = edge(realm_a).transactions().to_tag_of(req.txn);
    a.local_tag = txn_tag.empty() ? sip::make_tag() : std::string(txn_tag);
    a.next_hop.type = req.ctx.type;
    a.next_hop.address = req.ctx.remote;
    a.next_hop.connection = req.ctx.connection;
    a.contact = in_angles(edge(realm_a).contact_uri(req.ctx.type, "sbc"));
    a.remote_address = req.ctx.remote.to_string();

    dialog_leg& b = c.leg(side::b);
    b.realm = realm_b;
    b.call_id = sip::make_call_id();
    b.local_tag = sip::make_tag();
    b.local_party = party_of(msg.from());
    b.remote_party = party_of(msg.to());
    b.remote_target = client != nullptr ? client->contact : std::string(msg.request_uri_text());
    b.next_hop = next_hop;
    b.contact = in_angles(edge(realm_b).contact_uri(next_hop.type, "sbc"));
    b.local_cseq = 1;
    b.remote_address = next_hop.address.to_string();
    if (client != nullptr) {
        b.user_agent = client->user_agent;
    }

    std::string offer;
    const auto sdp = msg.sdp_body();
    if (sdp) {
        media::status st = media_.offer(c.media, side::a, *sdp, offer);
        if (!st) {
            ++counters_.refused_media;
            dispatcher.respond(req, static_cast<uint16_t>(st.sip_status()),
                               st.sip_status() == 400 ? "Bad Request (SDP)" : "Not Acceptable Here",
                               "Warning: " + st.warning() + "\r\n");
            media::call_summary sum;
            sum.call_id = a.call_id;
            sum.from = c.from_aor;
            sum.to = c.to_aor;
            sum.direction = c.direction;
            sum.final_status = st.sip_status();
            sum.end_reason = "offer refused: " + st.message();
            media_.end(c.media, sum);
            return;
        }
    }

    c.offer_b = std::move(offer);
    c.max_forwards = max_forwards;
    auto invite = leg_b_invite(c, msg);
    invite_relay ir;
    ir.from = side::a;
    ir.server = req.txn;
    ir.out_cseq = 1;
    ir.initial = true;
    ir.offer_relayed = sdp.has_value();
    if (const auto& se = msg.session_expires(); se.ok()) {
        ir.requested_interval = se->delta;
    }
    ir.uac_timer = msg.supports("timer");
    c.invite = std::move(ir);

    const call_id_t id = c.id;
    calls_.emplace(id, std::move(owned));
    index(c);
    by_invite_server_[server_key(realm_a, req.txn)] = id;

    std::weak_ptr<bool> alive = alive_;
    c.no_answer_timer = edge(realm_a).loop().run_after(no_answer_timeout, [this, alive, id] {
        if (alive.expired()) {
            return;
        }
        run(id, [this](call& cl) {
            if (cl.state == call_state::calling || cl.state == call_state::early) {
                ++counters_.no_answer;
                cl.final_status = 408;
                hang_up(cl, "no answer", {});
            }
        });
    });
    send_invite(c, std::move(invite));
}

sip::outgoing_message b2bua::leg_b_invite(call& c, const sip::message& msg) {
    dialog_leg& b = c.leg(side::b);
    auto invite = dialog_request(b, edge(b.realm), "INVITE", b.local_cseq, true);
    invite.remove("Max-Forwards");
    invite.add("Max-Forwards", std::to_string(c.max_forwards));
    copy_crossing(msg, invite);
    if (const auto* rep = msg.find(sip::header_id::replaces)) {
        if (auto mapped = map_replaces(rep->value, c.leg(side::a).realm); !mapped.empty()) {
            invite.add("Replaces", mapped);
        }
    }
    if (!c.offer_b.empty()) {
        invite.body("application/sdp", c.offer_b);
    }
    return invite;
}

// The OSV node failed the INVITE in the transport before answering anything: the same call
// attempt goes to the alternative node the trunk's rule gives (once).
bool b2bua::fail_over(call& c) {
    if (c.failed_over || !c.node || !c.invite || !c.invite->initial || c.invite->cancelled ||
        c.state != call_state::calling || c.leg(side::b).realm != realm_id::core) {
        return false;
    }
    const auto alt = sip_.trunk().alternative(*c.node);
    const sip::message* msg = edge_of(c, side::a).transactions().request_of(c.invite->server);
    if (!alt || msg == nullptr) {
        return false;
    }
    c.failed_over = true;
    c.node = alt;
    dialog_leg& b = c.leg(side::b);
    b.next_hop = sip_.trunk().target(*alt);
    b.remote_address = b.next_hop.address.to_string();
    c.invite->out_cseq = ++b.local_cseq;
    c.invite->final_seen = false;
    spdlog::info("call {}: INVITE failed on its OSV node; retrying on {}", c.id,
                 sip_.trunk().node(*alt).cfg.name);
    send_invite(c, leg_b_invite(c, *msg));
    return true;
}

// A node went down (transport failure, its connection lost, OPTIONS unanswered), or the
// connection an INVITE went out on closed: INVITEs still waiting there for an answer move to the
// alternative node (a transaction on a dead TCP connection would otherwise wait for Timer C).
void b2bua::on_node_down(node_index n) {
    std::vector<call_id_t> waiting;
    for (const auto& [id, c] : calls_) {
        if (c->node == n && c->state == call_state::calling && c->invite && c->invite->initial &&
            !c->invite->final_seen) {
            waiting.push_back(id);
        }
    }
    for (call_id_t id : waiting) {
        run(id, [this](call& c) {
            if (c.state == call_state::calling) {
                fail_over(c);
            }
        });
    }
}

void b2bua::send_invite(call& c, sip::outgoing_message&& m) {
    const call_id_t id = c.id;
    std::weak_ptr<bool> alive = alive_;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response = [this, alive, id](const sip::message& r, const sip::transport_context&) {
        if (!alive.expired()) {
            on_invite_response(id, r);
        }
    };
    auto txn = std::make_shared<sip::transaction_id>(0);
    cb.on_failure = [this, alive, id, txn](sip::client_failure why) {
        if (!alive.expired()) {
            on_invite_failure(id, *txn, why);
        }
    };
    const side to = other(c.invite->from);
    const sip::transaction_id t = send_request(c, to, std::move(m), std::move(cb));
    *txn = t;
    if (call* cl = lookup(id); cl != nullptr && cl->invite) {
        cl->invite->client = t;
    }
}

void b2bua::on_cancel(const req_t& req) {
    auto it = by_invite_server_.find(server_key(req.realm, req.cancelled));
    if (it == by_invite_server_.end()) {
        sip_.dispatcher().refuse(req, dispatch_refusal::no_transaction);
        return;
    }
    // RFC 3261 §9.2: the CANCEL is answered at once; the INVITE gets 487.
    sip_.dispatcher().respond(req, 200, "OK");
    const sip::transaction_id server = req.cancelled;
    run(it->second, [this, server](call& c) {
        if (!c.invite || c.invite->server != server || c.invite->final_seen ||
            !c.invite->response_2xx.empty()) {
            return;  // too late: the final response is out
        }
        invite_relay& ir = *c.invite;
        const side from = ir.from;
        ir.cancelled = true;
        respond(c, from, server,
                response(c, from, server, 487, "Request Terminated", nullptr, {}, false));
        edge_of(c, other(from)).transactions().cancel(ir.client);
        if (ir.initial) {
            ++counters_.cancelled;
            c.final_status = 487;
            c.end_reason = "cancel";
            c.state = call_state::ending;
        }
    });
}

}  // namespace sbc::cp::b2bua
