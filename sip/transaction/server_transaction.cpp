// Server transactions (RFC 3261 §17.2, RFC 6026 §8.5-8.7), as members of transaction_layer.
#include <charconv>

#include "sip/builder.hpp"
#include "sip/transaction/transaction_layer.hpp"

namespace sbc::sip {

namespace {

// "SIP/2.0 486 Busy Here" -> 486; 0 if the bytes do not start with a status line.
std::uint16_t status_of(std::string_view response) {
    if (response.size() < 12 || !response.starts_with("SIP/2.0 ")) {
        return 0;
    }
    unsigned code = 0;
    auto [end, ec] = std::from_chars(response.data() + 8, response.data() + 11, code);
    if (ec != std::errc{} || end != response.data() + 11 || code < 100 || code > 699) {
        return 0;
    }
    return static_cast<std::uint16_t>(code);
}

}  // namespace

void transaction_layer::server_on_request(server_txn& t, message&& m,
                                          const transport_context& ctx) {
    const transaction_id id = t.id;
    if (m.method_kind() == sip_method::ack) {
        if (!t.invite) {
            return;
        }
        if (t.st == state::completed) {
            // The non-2xx was acknowledged: stop Timers G and H; Timer I absorbs stray ACKs.
            t.st = state::confirmed;
            timers_.cancel(t.retransmit);
            timers_.cancel(t.timeout);
            t.linger =
                timers_.schedule_after(t.reliable ? std::chrono::milliseconds(0) : config_.t4,
                                       [this, id] { server_terminate(id); });
        } else if (t.st == state::accepted) {
            // RFC 6026 §8.7: an ACK matching in Accepted belongs to the 2xx: the TU's.
            ++counters_.acks_passed;
            if (handlers_.on_ack) {
                handlers_.on_ack(std::move(m), ctx);
            }
        }
        return;
    }
    // A retransmitted request: the TU saw it once; it gets the last response again.
    ++counters_.requests_absorbed;
    const bool resend =
        (t.st == state::proceeding && t.last_status != 0) || (t.st == state::completed);
    if (resend && !t.last_response.empty()) {
        server_send(t, t.last_response);
    }
}

bool transaction_layer::respond(transaction_id id, std::uint16_t code, std::string_view reason) {
    server_txn* t = find_server(id);
    if (t == nullptr) {
        return false;
    }
    return respond(id, response_for(t->request, code, reason, t->to_tag).serialize());
}

bool transaction_layer::respond(transaction_id id, std::string response) {
    server_txn* t = find_server(id);
    const std::uint16_t code = status_of(response);
    if (t == nullptr || code == 0) {
        return false;
    }
    if (t->invite) {
        if (t->st == state::accepted) {
            // RFC 6026 §8.6: the TU retransmits its 2xx through the transaction.
            if (code >= 200 && code < 300) {
                server_send(*t, std::move(response));
                return true;
            }
            return false;
        }
        if (t->st != state::proceeding) {
            return false;
        }
        timers_.cancel(t->trying);
        t->last_status = code;
        if (code < 200) {
            t->last_response = response;
            server_send(*t, std::move(response));
        } else if (code < 300) {
            t->st = state::accepted;
            t->linger =
                timers_.schedule_after(config_.timeout(), [this, id] { server_terminate(id); });
            server_send(*t, std::move(response));
        } else {
            t->st = state::completed;
            t->last_response = response;
            if (!t->reliable) {
                t->interval = config_.t1;  // Timer G
                server_arm_retransmit(*t);
            }
            t->timeout = timers_.schedule_after(config_.timeout(), [this, id] {  // Timer H
                server_txn* s = find_server(id);
                if (s != nullptr && s->st == state::completed) {
                    ++counters_.server_no_ack;
                    server_fail(id, server_failure::no_ack);
                }
            });
            server_send(*t, std::move(response));
        }
        return true;
    }
    if (t->st == state::completed) {
        return false;
    }
    t->last_status = code;
    t->last_response = response;
    if (code < 200) {
        t->st = state::proceeding;
    } else {
        t->st = state::completed;
        timers_.cancel(t->timeout);
        // Timer J: 64*T1 on unreliable transports to absorb retransmissions, zero on reliable.
        t->linger =
            timers_.schedule_after(t->reliable ? std::chrono::milliseconds(0) : config_.timeout(),
                                   [this, id] { server_terminate(id); });
    }
    server_send(*t, std::move(response));
    return true;
}

bool transaction_layer::server_send(server_txn& t, std::string bytes) {
    const transaction_id id = t.id;
    const send_status st = transport_.send_response(
        t.ctx, t.request.top_via(), std::move(bytes), life_.guard([this, id](send_status s) {
            if (s != send_status::ok) {
                server_fail(id, server_failure::transport_error);
            }
        }));
    if (st != send_status::ok) {
        // Reported from a timer (the TU is inside respond()); a zero Timer J must not end the
        // transaction silently first.
        timers_.cancel(t.linger);
        timers_.schedule_after(std::chrono::milliseconds(0),
                               [this, id] { server_fail(id, server_failure::transport_error); });
        return false;
    }
    return true;
}

void transaction_layer::server_arm_retransmit(server_txn& t) {
    const transaction_id id = t.id;
    t.retransmit = timers_.schedule_after(t.interval, [this, id] {
        server_txn* s = find_server(id);
        if (s == nullptr || s->st != state::completed) {
            return;
        }
        ++counters_.retransmissions_sent;
        s->interval = std::min(2 * s->interval, config_.t2);  // Timer G, capped at T2
        server_arm_retransmit(*s);
        server_send(*s, s->last_response);
    });
}

void transaction_layer::server_fail(transaction_id id, server_failure why) {
    if (find_server(id) == nullptr) {
        return;
    }
    if (why == server_failure::transport_error) {
        ++counters_.server_transport_errors;
    }
    server_terminate(id);
    if (handlers_.on_server_failure) {
        handlers_.on_server_failure(id, why);
    }
}

void transaction_layer::server_terminate(transaction_id id) {
    auto it = servers_.find(id);
    if (it == servers_.end()) {
        return;
    }
    server_txn& t = it->second;
    timers_.cancel(t.retransmit);
    timers_.cancel(t.timeout);
    timers_.cancel(t.linger);
    timers_.cancel(t.trying);
    server_index_.erase(t.key);
    servers_.erase(it);
}

}  // namespace sbc::sip
