#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sip/error.hpp"
#include "sip/message.hpp"
#include "sip/transport/io_loop.hpp"
#include "sip/transport/source_policy.hpp"
#include "sip/transport/stream_connection.hpp"
#include "sip/transport/tls_context.hpp"
#include "sip/transport/transport_types.hpp"

namespace sbc::sip {

// Where to send when there is no connection id: reuse a connection to (type, address) or open
// one. For TLS, `server_name` is sent as SNI and verified against the certificate ("" = verify
// the IP address).
struct destination {
    transport_type type = transport_type::udp;
    socket_address address;
    std::string server_name;
};

struct connection_info {
    connection_id id = 0;
    transport_type type = transport_type::tcp;
    socket_address local;
    socket_address remote;
    bool inbound = false;
    bool established = false;
    std::optional<tls_peer_info> tls;
    time_point opened;
    time_point last_activity;
    std::size_t queued_bytes = 0;
};

// The SIP transports of one signalling address set on one loop: UDP, TCP and TLS listeners,
// inbound and outbound connections, the limits, the counters. Received messages are parsed
// (sbc_sip) and handed to the owner with their transport context; malformed requests are
// answered 400 (the parser's reason), oversized ones 413/513, requests on connections over a
// limit 503 + Retry-After; malformed responses are dropped. All counted. A source_policy, when
// set, is asked about every accepted connection and every message before it is parsed.
//
// A handler, policy or selector that throws costs what it was handling, not the loop: that
// datagram is dropped, that connection is closed (close_reason::internal_error), an accepted
// socket is closed; counted in handler_faults and reported through the loop's callback_guard
// (so io_loop::callback_faults() counts it too).
//
// Single-threaded: use it only on its loop's thread. Do not destroy it from its own callbacks.
class transport_layer final : private stream_owner {
  public:
    struct handlers {
        // A parsed message. `ctx` (and ctx.tls) is valid during the call only.
        std::function<void(message&& msg, const transport_context& ctx)> on_message;
        // A TCP/TLS connection closed (not called for refused over-limit connections).
        std::function<void(const connection_closed& info)> on_closed;
    };
    // TLS listeners: the server context for a connection accepted from `remote` (e.g. the
    // certificate profile of the client's subnet); nullptr keeps the listener's own.
    using tls_selector =
        std::function<std::shared_ptr<tls_server_context>(const socket_address& remote)>;

    transport_layer(io_loop& loop, const transport_limits& limits, handlers h);
    ~transport_layer();
    transport_layer(const transport_layer&) = delete;
    transport_layer& operator=(const transport_layer&) = delete;

    // Listeners; port 0 picks a free port. Returns the bound address, or one line naming the
    // address and the failure.
    result<socket_address, std::string> listen_udp(const socket_address& local);
    result<socket_address, std::string> listen_tcp(const socket_address& local);
    result<socket_address, std::string> listen_tls(const socket_address& local,
                                                   std::shared_ptr<tls_server_context> tls);
    // Context for outbound TLS connections (one per loop: it caches sessions).
    void set_tls_client(std::shared_ptr<tls_client_context> tls) { tls_client_ = std::move(tls); }
    void set_tls_selector(tls_selector select) { tls_selector_ = std::move(select); }
    // Per-source admission (nullptr: none). Not owned; must outlive the layer or be unset.
    void set_source_policy(source_policy* policy) { policy_ = policy; }

    // Sends down a specific connection (e.g. the flow a client registered on).
    // `done` runs once, later, only when the returned status is ok. Empty bytes (a builder that
    // refused a value) are not sent: empty_message.
    send_status send(connection_id id, std::string bytes, send_callback done = {});
    // Sends to an address: UDP from the listener of that family; TCP/TLS over an existing
    // connection to (type, address) or a new one. `used` gets the connection id.
    send_status send(const destination& to, std::string bytes, send_callback done = {},
                     connection_id* used = nullptr);
    // Answers where a message came from: its connection, or for UDP its source address from
    // the socket it arrived on.
    send_status reply(const transport_context& ctx, std::string bytes, send_callback done = {});

    void close(connection_id id);
    // Closes every connection (inbound or outbound, refusing ones too) whose peer has the IP of
    // `remote` (its port is ignored). Returns how many. Safe from within the layer's callbacks.
    std::size_t close_source(const socket_address& remote);
    bool is_open(connection_id id) const;
    std::optional<connection_info> connection(connection_id id) const;
    std::size_t connection_count() const { return connections_.size() - refusing_; }

    const transport_counters& counters() const { return counters_; }
    const transport_limits& limits() const { return limits_; }
    // New limits apply to connections made from now on.
    void set_limits(const transport_limits& limits) { limits_ = limits; }
    io_loop& loop() { return loop_; }

  private:
    struct listener;
    struct flow_key {
        transport_type type;
        socket_address address;
        bool operator==(const flow_key&) const = default;
    };
    struct flow_key_hash {
        std::size_t operator()(const flow_key& k) const {
            return socket_address_hash{}(k.address) * 3 + static_cast<std::size_t>(k.type);
        }
    };

    result<socket_address, std::string> listen(transport_type type, const socket_address& local,
                                               std::shared_ptr<tls_server_context> tls);
    void arm_accept(const std::shared_ptr<listener>& l);
    void on_accept(listener& l, int fd);
    void arm_datagram(const std::shared_ptr<listener>& l);
    void on_datagram(listener& l, std::size_t n, bool truncated, const socket_address& from);
    void stream_message(stream_connection& c, std::string_view bytes);
    void stream_framing_error(stream_connection& c, frame_error e, std::string_view head);
    // Runs fn(); an exception is counted (handler_faults) and reported as label(). True when
    // fn returned normally.
    template <typename Label, typename Fn>
    bool shielded(Label&& label, Fn&& fn) noexcept {
        try {
            fn();
            return true;
        } catch (const std::exception& e) {
            handler_fault(label, e.what());
        } catch (...) {
            handler_fault(label, "an exception that is not a std::exception");
        }
        return false;
    }
    template <typename Label>
    void handler_fault(Label& label, std::string_view what) noexcept {
        ++counters_.handler_faults;
        try {
            loop_.guard().fault(label(), what);
        } catch (...) {
            loop_.guard().fault("transport handler", what);  // label() could not allocate
        }
    }
    void deliver(std::string_view bytes, framing how, const transport_context& ctx,
                 const std::function<void(std::string)>& answer);
    // Asks the policy about a message (counted): accept, refuse (a request: answer it with
    // refusal()) or drop.
    source_verdict admit(message_kind kind, transport_type type, const socket_address& from);
    std::string refusal(std::string_view request) const;
    void malformed_from(const socket_address& from) {
        if (policy_ != nullptr) {
            policy_->on_malformed(from);
        }
    }
    send_status send_datagram(const socket_address& local, const socket_address& to,
                              std::string_view bytes);
    const listener* find_listener(transport_type type, int family) const;

    void on_stream_message(stream_connection& c, std::string_view bytes) override;
    void on_stream_framing_error(stream_connection& c, frame_error e,
                                 std::string_view head) override;
    void on_stream_closed(stream_connection& c, close_reason why,
                          const std::string& detail) override;
    // Counts a closed connection; after limits_.trim_after_closes, schedules a heap trim.
    void note_closed();
    transport_counters& stream_counters() override { return counters_; }

    io_loop& loop_;
    transport_limits limits_;
    handlers handlers_;
    transport_counters counters_;
    std::vector<std::shared_ptr<listener>> listeners_;
    std::shared_ptr<tls_client_context> tls_client_;
    tls_selector tls_selector_;
    source_policy* policy_ = nullptr;
    std::unordered_map<connection_id, std::shared_ptr<stream_connection>> connections_;
    std::unordered_map<flow_key, connection_id, flow_key_hash> flows_;
    std::unordered_map<std::string, std::size_t> per_source_;
    std::size_t refusing_ = 0;
    connection_id next_id_ = 1;
    std::size_t closed_since_trim_ = 0;
    timer_id trim_timer_;
};

}  // namespace sbc::sip
