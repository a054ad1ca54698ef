// Client transactions (RFC 3261 §17.1, RFC 6026 §8.4), as members of transaction_layer.
#include "sip/builder.hpp"
#include "sip/transaction/transaction_layer.hpp"

namespace sbc::sip {

namespace {

// RFC 3261 §17.1.1.2: Timer D is at least 32 s on unreliable transports, zero on reliable.
constexpr std::chrono::milliseconds timer_d_unreliable{32000};

// Every Route header of `request`, in order.
void copy_routes(const message& request, outgoing_message& out) {
    for (const header_field& h : request.headers()) {
        if (h.id == header_id::route) {
            out.add("Route", h.value);
        }
    }
}

}  // namespace

transaction_id transaction_layer::start_client(message&& request, const transport_target& to,
                                               client_callbacks cb) {
    if (!request.is_request() || request.method_kind() == sip_method::ack ||
        !request.top_via().rfc3261_branch()) {
        return 0;
    }
    std::string key = client_key(request.top_via().branch(), request.method());
    if (client_index_.count(key) != 0) {
        return 0;  // a branch must be unique per transaction
    }
    const transaction_id id = next_id_++;
    client_txn& t = clients_[id];
    t.id = id;
    t.invite = request.method_kind() == sip_method::invite;
    t.reliable = is_reliable(to.type);
    t.st = t.invite ? state::calling : state::trying;
    t.request = std::move(request);
    t.key = std::move(key);
    t.target = to;
    t.cb = std::move(cb);
    client_index_.emplace(t.key, id);
    ++counters_.client_started;

    // Timer B (INVITE) / F (non-INVITE).
    t.timeout = timers_.schedule_after(config_.timeout(), [this, id] {
        client_txn* c = find_client(id);
        if (c != nullptr && (c->st == state::calling || c->st == state::trying ||
                             (!c->invite && c->st == state::proceeding))) {
            ++counters_.client_timeouts;
            client_fail(id, client_failure::timeout);
        }
    });
    if (!t.reliable) {
        t.interval = config_.t1;  // Timer A / E
        client_arm_retransmit(t);
    }
    client_send(t);
    return id;
}

void transaction_layer::client_send(client_txn& t) {
    const transaction_id id = t.id;
    connection_id used = 0;
    const send_status st = transport_.send_request(
        t.target, std::string(t.request.data()), life_.guard([this, id](send_status s) {
            if (s != send_status::ok) {
                client_fail(id, client_failure::transport_error);
            }
        }),
        &used);
    if (st != send_status::ok) {
        // Reported from a timer: the caller (start_client) has not even returned the id yet.
        timers_.schedule_after(std::chrono::milliseconds(0),
                               [this, id] { client_fail(id, client_failure::transport_error); });
        return;
    }
    if (used != 0) {
        // Retransmissions, ACK and CANCEL follow the request down the same connection.
        t.target.connection = used;
    }
}

void transaction_layer::client_arm_retransmit(client_txn& t) {
    const transaction_id id = t.id;
    t.retransmit = timers_.schedule_after(t.interval, [this, id] {
        client_txn* c = find_client(id);
        if (c == nullptr) {
            return;
        }
        const bool due = c->invite ? c->st == state::calling
                                   : (c->st == state::trying || c->st == state::proceeding);
        if (!due) {
            return;
        }
        ++counters_.retransmissions_sent;
        if (c->invite) {
            c->interval *= 2;  // Timer A doubles without a cap (RFC 3261 §17.1.1.2)
        } else if (c->st == state::proceeding) {
            c->interval = config_.t2;  // §17.1.2.2: T2 once a provisional response came
        } else {
            c->interval = std::min(2 * c->interval, config_.t2);  // Timer E, capped at T2
        }
        client_arm_retransmit(*c);
        client_send(*c);
    });
}

void transaction_layer::send_ack(client_txn& t, const message& response) {
    // RFC 3261 §17.1.1.3: the ACK for a non-2xx final response belongs to the transaction.
    const message& r = t.request;
    outgoing_message ack = outgoing_message::request("ACK", r.request_uri_text());
    ack.add("Via", r.top_via().text);
    copy_routes(r, ack);
    ack.add("Max-Forwards", "70");
    ack.add("From", r.find(header_id::from)->value);
    ack.add("To", response.find(header_id::to)->value);
    ack.add("Call-ID", r.call_id());
    ack.add("CSeq", std::to_string(r.cseq().number) + " ACK");
    t.ack = ack.serialize();
    transport_.send_request(t.target, t.ack, {}, nullptr);
}

void transaction_layer::send_cancel(client_txn& invite) {
    // RFC 3261 §9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via as the
    // INVITE, so the CANCEL reaches the same server transaction.
    const message& r = invite.request;
    outgoing_message c = outgoing_message::request("CANCEL", r.request_uri_text());
    c.add("Via", r.top_via().text);
    copy_routes(r, c);
    c.add("Max-Forwards", "70");
    c.add("From", r.find(header_id::from)->value);
    c.add("To", r.find(header_id::to)->value);
    c.add("Call-ID", r.call_id());
    c.add("CSeq", std::to_string(r.cseq().number) + " CANCEL");
    auto parsed = parse(c.serialize());
    invite.cancel_wanted = false;
    if (parsed) {
        client_callbacks cb = std::move(invite.cancel_cb);
        start_client(std::move(parsed.value()), invite.target, std::move(cb));
    }
}

bool transaction_layer::cancel(transaction_id id, client_callbacks cb) {
    client_txn* t = find_client(id);
    if (t == nullptr || !t->invite) {
        return false;
    }
    if (t->st == state::calling) {
        t->cancel_wanted = true;  // sent when the first provisional response arrives
        t->cancel_cb = std::move(cb);
        return true;
    }
    if (t->st == state::proceeding) {
        t->cancel_cb = std::move(cb);
        send_cancel(*t);
        return true;
    }
    return false;
}

void transaction_layer::client_on_response(client_txn& t, message&& m,
                                           const transport_context& ctx) {
    const std::uint16_t code = m.status_code();
    const transaction_id id = t.id;
    bool deliver = false;
    if (t.invite) {
        switch (t.st) {
            case state::calling:
            case state::proceeding:
                timers_.cancel(t.retransmit);
                timers_.cancel(t.timeout);
                deliver = true;
                if (code < 200) {
                    t.st = state::proceeding;
                    if (t.cancel_wanted) {
                        send_cancel(t);
                    }
                } else if (code < 300) {
                    // RFC 6026 §8.4: Accepted, Timer M absorbs nothing but keeps matching 2xx.
                    t.st = state::accepted;
                    t.linger = timers_.schedule_after(config_.timeout(),
                                                      [this, id] { client_terminate(id); });
                } else {
                    t.st = state::completed;
                    send_ack(t, m);
                    t.linger = timers_.schedule_after(
                        t.reliable ? std::chrono::milliseconds(0) : timer_d_unreliable,
                        [this, id] { client_terminate(id); });
                }
                break;
            case state::accepted:
                deliver = code >= 200 && code < 300;  // forks and retransmissions: TU ACKs them
                break;
            case state::completed:
                if (code >= 300 && !t.ack.empty()) {
                    transport_.send_request(t.target, t.ack, {}, nullptr);  // ACK again
                }
                break;
            default:
                break;
        }
    } else {
        switch (t.st) {
            case state::trying:
            case state::proceeding:
                deliver = true;
                if (code < 200) {
                    t.st = state::proceeding;
                } else {
                    t.st = state::completed;
                    timers_.cancel(t.retransmit);
                    timers_.cancel(t.timeout);
                    // Timer K: T4 on unreliable transports, zero on reliable.
                    t.linger = timers_.schedule_after(
                        t.reliable ? std::chrono::milliseconds(0) : config_.t4,
                        [this, id] { client_terminate(id); });
                }
                break;
            default:
                break;
        }
    }
    if (!deliver) {
        ++counters_.responses_absorbed;
        return;
    }
    if (t.cb.on_response) {
        auto cb = t.cb.on_response;  // the TU may start or cancel transactions meanwhile
        cb(m, ctx);
    }
}

void transaction_layer::client_fail(transaction_id id, client_failure why) {
    client_txn* t = find_client(id);
    if (t == nullptr || t->st == state::completed || t->st == state::accepted) {
        return;  // a final response already came: a late transport error changes nothing
    }
    if (why == client_failure::transport_error) {
        ++counters_.client_transport_errors;
    }
    auto cb = std::move(t->cb.on_failure);
    client_terminate(id);
    if (cb) {
        cb(why);
    }
}

void transaction_layer::client_terminate(transaction_id id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) {
        return;
    }
    client_txn& t = it->second;
    timers_.cancel(t.retransmit);
    timers_.cancel(t.timeout);
    timers_.cancel(t.linger);
    client_index_.erase(t.key);
    clients_.erase(it);
}

}  // namespace sbc::sip
