#include "controlplane/client_relay.hpp"

#include "sip/editor.hpp"
#include "sip/ids.hpp"

namespace sbc::cp {

client_relay::client_relay(realm_edge& access, realm_edge& core, request_dispatcher& dispatcher)
    : access_(access), core_(core), dispatcher_(dispatcher) {}

client_relay::~client_relay() {
    life_.end();
}

sip::transport_target client_relay::flow_of(const binding& b) const {
    sip::transport_target t;
    t.type = b.transport;
    t.address = b.remote;
    t.connection = b.connection;
    return t;
}

std::string client_relay::access_contact(const binding& b) const {
    return in_angles(access_.contact_uri(b.transport, {}));
}

void client_relay::on_request(const inbound_request& req) {
    binding& b = *req.client;
    if (req.msg.method_kind() == sip::sip_method::cancel) {
        auto it = pairs_.find(req.cancelled);
        if (it == pairs_.end()) {
            dispatcher_.refuse(req, dispatch_refusal::no_transaction);
            return;
        }
        // RFC 3261 §16.10: answer the CANCEL, cancel our side; the 487 comes back from the client.
        dispatcher_.respond(req, 200, "OK");
        access_.transactions().cancel(it->second.access_txn);
        return;
    }
    if (!b.live_flow()) {
        dispatcher_.refuse(req, dispatch_refusal::no_live_flow);
        return;
    }
    sip::message_editor e(req.msg);
    e.set_request_uri(b.contact);
    e.replace(sip::header_id::via, access_.make_via(b.transport, sip::make_branch()));
    e.remove(sip::header_id::route);
    e.remove(sip::header_id::record_route);
    std::uint32_t mf = 70;
    if (const auto& m = req.msg.max_forwards(); m.ok()) {
        if (*m == 0) {
            dispatcher_.respond(req, 483, "Too Many Hops");
            return;
        }
        mf = std::min<std::uint32_t>(*m - 1, 70);
    }
    e.replace(sip::header_id::max_forwards, std::to_string(mf));
    if (req.msg.find(sip::header_id::contact) != nullptr) {
        e.replace(sip::header_id::contact, access_contact(b));
    }
    auto parsed = sip::parse(e.serialize());
    if (!parsed) {
        dispatcher_.respond(req, 500, "Server Internal Error (relay)");
        return;
    }
    pair p;
    p.token = b.token;
    p.core_type = req.ctx.type;
    for (const sip::header_field& h : req.msg.headers()) {
        if (h.id == sip::header_id::via) {
            p.core_vias.append(p.core_vias.empty() ? "" : ", ").append(h.value);
        }
    }
    const sip::transaction_id core_txn = req.txn;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response =
        life_.guard([this, core_txn](const sip::message& r, const sip::transport_context&) {
            relay_response(core_txn, r);
        });
    cb.on_failure = life_.guard([this, core_txn](sip::client_failure why) {
        if (pairs_.erase(core_txn) != 0) {
            // RFC 3261 §16.7 step 6 / §8.1.3.1: timeout is 408, a dead flow 480 for OSV.
            if (why == sip::client_failure::timeout) {
                core_.transactions().respond(core_txn, 408, "Request Timeout");
            } else {
                core_.transactions().respond(core_txn, 480,
                                             "Temporarily Unavailable (client flow failed)");
            }
        }
    });
    pairs_.emplace(core_txn, std::move(p));
    ++relayed_;
    const sip::transaction_id access_txn =
        access_.transactions().start_client(std::move(parsed.value()), flow_of(b), std::move(cb));
    if (auto it = pairs_.find(core_txn); it != pairs_.end()) {
        it->second.access_txn = access_txn;
    }
}

void client_relay::relay_response(sip::transaction_id core_txn, const sip::message& r) {
    auto it = pairs_.find(core_txn);
    if (it == pairs_.end()) {
        return;
    }
    sip::message_editor e(r);
    e.replace(sip::header_id::via, it->second.core_vias);
    e.remove(sip::header_id::record_route);
    if (r.find(sip::header_id::contact) != nullptr) {
        e.replace(sip::header_id::contact,
                  in_angles(core_.contact_uri(it->second.core_type, it->second.token)));
    }
    if (r.status_code() >= 200) {
        pairs_.erase(it);
    }
    core_.transactions().respond(core_txn, e.serialize());
}

void client_relay::on_ack(realm_id, sip::message&& ack, const sip::transport_context&,
                          binding* client) {
    if (client == nullptr || !client->live_flow()) {
        return;
    }
    sip::message_editor e(ack);
    e.set_request_uri(client->contact);
    e.replace(sip::header_id::via, access_.make_via(client->transport, sip::make_branch()));
    e.remove(sip::header_id::route);
    if (sip::is_reliable(client->transport) && !access_.is_open(client->connection)) {
        return;  // the client's flow is gone: nothing opens a connection toward a client
    }
    access_.send_direct(flow_of(*client), e.serialize());
}

}  // namespace sbc::cp
