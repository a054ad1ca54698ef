#include "sip/transaction/transaction_layer.hpp"

#include <cctype>

#include "sip/builder.hpp"
#include "sip/ids.hpp"

namespace sbc::sip {

transaction_layer::transaction_layer(timer_service& timers, transaction_transport& transport,
                                     handlers h, const transaction_timers& config)
    : timers_(timers), transport_(transport), handlers_(std::move(h)), config_(config) {}

transaction_layer::~transaction_layer() {
    for (auto& [id, t] : clients_) {
        timers_.cancel(t.retransmit);
        timers_.cancel(t.timeout);
        timers_.cancel(t.linger);
    }
    for (auto& [id, t] : servers_) {
        timers_.cancel(t.retransmit);
        timers_.cancel(t.timeout);
        timers_.cancel(t.linger);
        timers_.cancel(t.trying);
    }
}

std::string transaction_layer::client_key(std::string_view branch, std::string_view method) {
    // RFC 3261 §17.1.3: the top Via branch and the CSeq method (CANCEL has its own).
    std::string key;
    key.reserve(branch.size() + method.size() + 1);
    key.append(branch).append(1, '|').append(method);
    return key;
}

std::string transaction_layer::server_key(const message& m, std::string_view method) {
    const via& v = m.top_via();
    std::string key;
    if (v.rfc3261_branch()) {
        // RFC 3261 §17.2.3: branch, sent-by and method (ACK matches its INVITE).
        key.append("3|").append(v.branch()).append(1, '|');
        for (char c : v.sent_by.host) {
            key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
        key.append(1, ':').append(std::to_string(v.sent_by.port));
    } else {
        // RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number and top Via. The To tag
        // is left out so the ACK (which carries the tag of our response) matches too.
        key.append("2|").append(m.request_uri_text()).append(1, '|').append(m.from().tag());
        key.append(1, '|').append(m.call_id()).append(1, '|');
        key.append(std::to_string(m.cseq().number)).append(1, '|').append(v.text);
    }
    key.append(1, '|').append(method);
    return key;
}

transaction_layer::client_txn* transaction_layer::find_client(transaction_id id) {
    auto it = clients_.find(id);
    return it == clients_.end() ? nullptr : &it->second;
}

transaction_layer::server_txn* transaction_layer::find_server(transaction_id id) {
    auto it = servers_.find(id);
    return it == servers_.end() ? nullptr : &it->second;
}

std::optional<transaction_layer::state> transaction_layer::client_state(transaction_id id) const {
    auto it = clients_.find(id);
    return it == clients_.end() ? std::nullopt : std::optional<state>(it->second.st);
}

std::optional<transaction_layer::state> transaction_layer::server_state(transaction_id id) const {
    auto it = servers_.find(id);
    return it == servers_.end() ? std::nullopt : std::optional<state>(it->second.st);
}

const message* transaction_layer::request_of(transaction_id server) const {
    auto it = servers_.find(server);
    return it == servers_.end() ? nullptr : &it->second.request;
}

void transaction_layer::drop(transaction_id server) {
    server_terminate(server);
}

std::string_view transaction_layer::to_tag_of(transaction_id server) const {
    auto it = servers_.find(server);
    return it == servers_.end() ? std::string_view{} : std::string_view(it->second.to_tag);
}

void transaction_layer::receive(message&& m, const transport_context& ctx) {
    if (m.is_response()) {
        auto it = client_index_.find(client_key(m.top_via().branch(), m.cseq().method));
        if (it != client_index_.end()) {
            if (client_txn* t = find_client(it->second)) {
                client_on_response(*t, std::move(m), ctx);
                return;
            }
        }
        ++counters_.stray_responses;
        if (handlers_.on_stray_response) {
            handlers_.on_stray_response(std::move(m), ctx);
        }
        return;
    }

    const bool ack = m.method_kind() == sip_method::ack;
    const std::string key = server_key(m, ack ? std::string_view("INVITE") : m.method());
    if (auto it = server_index_.find(key); it != server_index_.end()) {
        if (server_txn* t = find_server(it->second)) {
            server_on_request(*t, std::move(m), ctx);
            return;
        }
    }
    if (ack) {
        ++counters_.acks_passed;
        if (handlers_.on_ack) {
            handlers_.on_ack(std::move(m), ctx);
        }
        return;
    }

    const transaction_id id = next_id_++;
    server_txn& t = servers_[id];
    t.id = id;
    t.invite = m.method_kind() == sip_method::invite;
    t.reliable = is_reliable(ctx.type);
    // RFC 3261 §17.2.1: an INVITE server transaction starts in Proceeding, others in Trying.
    t.st = t.invite ? state::proceeding : state::trying;
    t.key = key;
    t.ctx = ctx;
    t.ctx.tls = nullptr;  // only valid during the transport's callback
    t.to_tag = make_tag();
    t.request = std::move(m);
    server_index_.emplace(key, id);
    ++counters_.server_started;

    transaction_id cancelled = 0;
    if (t.request.method_kind() == sip_method::cancel) {
        // RFC 3261 §9.2: the CANCEL matches the INVITE transaction with the same key.
        auto inv = server_index_.find(server_key(t.request, "INVITE"));
        if (inv != server_index_.end() && find_server(inv->second) != nullptr) {
            cancelled = inv->second;
            ++counters_.cancels_matched;
        } else {
            ++counters_.cancels_unmatched;
        }
    }
    if (!t.invite) {
        t.timeout = timers_.schedule_after(config_.timeout(), [this, id] {
            server_txn* s = find_server(id);
            if (s != nullptr && (s->st == state::trying || s->st == state::proceeding)) {
                ++counters_.server_unanswered;
                server_fail(id, server_failure::no_final_response);
            }
        });
    } else {
        t.trying = timers_.schedule_after(config_.trying_after, [this, id] {
            server_txn* s = find_server(id);
            if (s != nullptr && s->st == state::proceeding && s->last_status == 0) {
                s->last_status = 100;
                s->last_response = response_for(s->request, 100).serialize();
                server_send(*s, s->last_response);
            }
        });
    }
    if (handlers_.on_request) {
        // The request lives in the transaction; terminations are always deferred to a timer,
        // so the reference stays valid for the whole callback.
        handlers_.on_request(id, t.request, ctx, cancelled);
    }
}

}  // namespace sbc::sip
