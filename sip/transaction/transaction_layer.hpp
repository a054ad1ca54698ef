#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/lifetime.hpp"
#include "sip/message.hpp"
#include "sip/transaction/transaction_types.hpp"
#include "sip/transport/timer_wheel.hpp"

namespace sbc::sip {

// RFC 3261 §17 client and server transactions, INVITE and non-INVITE, with RFC 6026 (the
// Accepted state and Timers L and M), §9 CANCEL matching and §8.1.3.1 transport errors. Timers
// run on a timer_service (the io_loop's wheel, or a hand-driven wheel in tests); messages go
// out through a transaction_transport.
//
// Single-threaded. Callbacks may call back into the layer (respond, start, cancel).
class transaction_layer {
  public:
    enum class state : std::uint8_t {
        calling,     // INVITE client, before any response
        trying,      // non-INVITE client or server, before a provisional response
        proceeding,  // provisional response seen / sent
        accepted,    // RFC 6026: INVITE got / sent a 2xx
        completed,   // final non-2xx (INVITE) or any final (non-INVITE)
        confirmed,   // INVITE server: ACK received for the non-2xx
    };

    struct client_callbacks {
        // Provisional responses, the final response, and (RFC 6026 Accepted state) every
        // further 2xx: forks and retransmissions, which the UAC core acknowledges.
        std::function<void(const message& response, const transport_context& ctx)> on_response;
        // No final response: the TU acts as for 408 (timeout) or 503 (transport error).
        std::function<void(client_failure why)> on_failure;
    };

    struct handlers {
        // A new request with its server transaction (retransmissions are absorbed and never
        // come here). For a CANCEL, `cancelled` is the INVITE server transaction it matched
        // (RFC 3261 §9.2), or 0 (answer 481). ACKs never come here.
        std::function<void(transaction_id id, const message& request, const transport_context& ctx,
                           transaction_id cancelled)>
            on_request;
        // An ACK that is not part of a transaction: the ACK for a 2xx (RFC 3261 §17.1.1.3,
        // RFC 6026 §8.7), for the UAS core.
        std::function<void(message&& ack, const transport_context& ctx)> on_ack;
        // A response that matches no client transaction (RFC 3261 §18.1.2).
        std::function<void(message&& response, const transport_context& ctx)> on_stray_response;
        // A server transaction ended abnormally (Timer H, or its response could not be sent).
        std::function<void(transaction_id id, server_failure why)> on_server_failure;
    };

    transaction_layer(timer_service& timers, transaction_transport& transport, handlers h,
                      const transaction_timers& config = {});
    ~transaction_layer();
    transaction_layer(const transaction_layer&) = delete;
    transaction_layer& operator=(const transaction_layer&) = delete;

    // Everything the transport delivers goes here.
    void receive(message&& msg, const transport_context& ctx);

    // Starts a client transaction for `request` (its top Via must carry an RFC 3261 branch,
    // see make_branch()). Returns 0 for requests that cannot have one (ACK, no branch).
    // Failing to send at once is reported through on_failure, after this returns.
    transaction_id start_client(message&& request, const transport_target& to, client_callbacks cb);
    // RFC 3261 §9.1: CANCEL for an INVITE client transaction, sent once a provisional
    // response has arrived (at once if one has), not at all after a final one. The CANCEL's
    // own responses go to `cb`. False if `invite` is not a live INVITE client transaction.
    bool cancel(transaction_id invite, client_callbacks cb = {});

    // Sends a response through a server transaction; its status drives the state machine.
    bool respond(transaction_id id, std::string response);
    // The same with a response built from the request (RFC 3261 §8.2.6) and the
    // transaction's own To tag.
    bool respond(transaction_id id, std::uint16_t code, std::string_view reason = {});
    // Forgets a server transaction without answering (e.g. a request dropped by policy); a
    // retransmission then reaches the TU again as a new request.
    void drop(transaction_id server);
    const message* request_of(transaction_id server) const;
    std::string_view to_tag_of(transaction_id server) const;

    std::optional<state> client_state(transaction_id id) const;
    std::optional<state> server_state(transaction_id id) const;
    std::size_t client_count() const { return clients_.size(); }
    std::size_t server_count() const { return servers_.size(); }
    const transaction_counters& counters() const { return counters_; }
    const transaction_timers& timers() const { return config_; }

  private:
    struct client_txn {
        transaction_id id = 0;
        bool invite = false;
        bool reliable = false;
        state st = state::trying;
        message request;
        std::string key;
        transport_target target;
        client_callbacks cb;
        std::chrono::milliseconds interval{0};
        timer_id retransmit;  // A or E
        timer_id timeout;     // B or F
        timer_id linger;      // D, K or M
        std::string ack;      // ACK for a non-2xx final (resent on retransmitted finals)
        bool cancel_wanted = false;
        client_callbacks cancel_cb;
    };
    struct server_txn {
        transaction_id id = 0;
        bool invite = false;
        bool reliable = false;
        state st = state::trying;
        message request;
        std::string key;
        transport_context ctx;
        std::string to_tag;
        std::string last_response;
        std::uint16_t last_status = 0;
        std::chrono::milliseconds interval{0};
        timer_id retransmit;  // G
        timer_id timeout;     // H
        timer_id linger;      // I, J or L
        timer_id trying;      // 100 Trying
    };

    // matching (RFC 3261 §17.1.3, §17.2.3)
    static std::string client_key(std::string_view branch, std::string_view method);
    static std::string server_key(const message& m, std::string_view method);

    // client side (client_transaction.cpp)
    void client_send(client_txn& t);
    void client_on_response(client_txn& t, message&& m, const transport_context& ctx);
    void client_fail(transaction_id id, client_failure why);
    void client_arm_retransmit(client_txn& t);
    void client_terminate(transaction_id id);
    void send_cancel(client_txn& invite);
    void send_ack(client_txn& t, const message& response);

    // server side (server_transaction.cpp)
    void server_on_request(server_txn& t, message&& m, const transport_context& ctx);
    bool server_send(server_txn& t, std::string bytes);
    void server_arm_retransmit(server_txn& t);
    void server_terminate(transaction_id id);
    void server_fail(transaction_id id, server_failure why);

    client_txn* find_client(transaction_id id);
    server_txn* find_server(transaction_id id);

    // Transport callbacks can outlive the layer.
    lifetime life_;
    timer_service& timers_;
    transaction_transport& transport_;
    handlers handlers_;
    transaction_timers config_;
    transaction_counters counters_;
    transaction_id next_id_ = 1;
    std::unordered_map<transaction_id, client_txn> clients_;
    std::unordered_map<std::string, transaction_id> client_index_;
    std::unordered_map<transaction_id, server_txn> servers_;
    std::unordered_map<std::string, transaction_id> server_index_;
};

}  // namespace sbc::sip
