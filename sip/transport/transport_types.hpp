#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/transport/socket_address.hpp"
#include "sip/transport/stream_framer.hpp"

namespace sbc::sip {

enum class transport_type : std::uint8_t { udp, tcp, tls };
std::string_view transport_name(transport_type t);  // "UDP", "TCP", "TLS" (as in a Via)
inline bool is_reliable(transport_type t) {
    return t != transport_type::udp;
}

// A TCP or TLS connection, unique for the life of a transport_layer; 0 means "none" (UDP).
using connection_id = std::uint64_t;

// What TLS told us about the peer of a connection (server or client side).
struct tls_peer_info {
    std::string server_name;  // SNI: what the client asked for (server side) / what we asked
    std::string version;      // "TLSv1.3"
    std::string cipher;
    std::string subject;                 // peer certificate subject, one line; "" without one
    std::vector<std::string> dns_names;  // subjectAltName DNS entries of the peer certificate
    bool peer_verified = false;          // a peer certificate was presented and verified
    bool resumed = false;                // session resumption (ticket or cache)
};

// Where a message came from, handed to the owner with every message.
struct transport_context {
    transport_type type = transport_type::udp;
    socket_address local;
    socket_address remote;
    connection_id connection = 0;
    const tls_peer_info* tls = nullptr;  // TLS only; valid during the callback
};

// Why a connection closed, for the owner (the registrar drops the flow's bindings).
#define SBC_SIP_CLOSE_REASONS(X)                                                  \
    X(local, "closed by the owner")                                               \
    X(peer_closed, "the peer closed the connection")                              \
    X(io_error, "socket error")                                                   \
    X(idle_timeout, "no traffic for idle_timeout")                                \
    X(framing_error, "stream could not be framed (limit or bad length)")          \
    X(connect_failed, "outbound connect failed")                                  \
    X(connect_timeout, "outbound connect took longer than connect_timeout")       \
    X(tls_handshake_failed, "TLS handshake failed")                               \
    X(tls_handshake_timeout, "TLS handshake took longer than allowed")            \
    X(refused, "over a connection limit: answered 503 and closed")                \
    X(send_queue_full, "the peer does not read: send queue over its limit")       \
    X(message_read_timeout, "a message not complete within message_read_timeout") \
    X(first_message_timeout, "no message within first_message_timeout")           \
    X(internal_error, "a handler threw while handling the connection")            \
    X(shutdown, "the transport layer shut down")

enum class close_reason : std::uint8_t {
#define SBC_SIP_CLOSE_ENUM(name, text) name,
    SBC_SIP_CLOSE_REASONS(SBC_SIP_CLOSE_ENUM)
#undef SBC_SIP_CLOSE_ENUM
};
std::string_view close_reason_name(close_reason r);

struct connection_closed {
    connection_id id = 0;
    transport_type type = transport_type::tcp;
    socket_address local;
    socket_address remote;
    close_reason reason = close_reason::local;
    std::string detail;  // e.g. the OpenSSL error for a failed handshake
};

// Outcome of a send, immediately or through its callback.
enum class send_status : std::uint8_t {
    ok,                   // handed to the kernel
    no_connection,        // the connection id is unknown or closed
    no_listener,          // no local socket of that transport and address family
    invalid_destination,  // bad address
    queue_full,           // the connection's send queue is over max_send_queue_bytes
    limit_reached,        // out of connections
    connect_failed,
    tls_failed,
    io_error,
    closed,         // the connection closed before the message went out
    refused,        // not sent: the sender's policy refused it (controlplane/core_limits.hpp)
    empty_message,  // nothing to send (a builder that refused a value serialises to "")
};
std::string_view send_status_name(send_status s);
using send_callback = std::function<void(send_status)>;

// Bounds that hold under attack. The control plane maps its configuration into this.
struct transport_limits {
    std::size_t max_message_size = 65535;
    std::size_t max_headers = 128;
    std::size_t max_line_length = 8192;
    std::size_t max_pending_bytes = 131072;  // unframed bytes per connection
    std::size_t max_connections = 8192;
    std::size_t max_connections_per_source = 64;  // per peer IP, inbound and outbound together
    // Connections beyond a limit are read for one request, answered 503 + Retry-After and
    // closed; at most this many at a time (others are closed at once).
    std::size_t max_refusing_connections = 32;
    std::uint32_t retry_after_seconds = 30;
    std::size_t max_send_queue_bytes = 4 * 1024 * 1024;
    std::chrono::milliseconds tls_handshake_timeout{5000};
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds idle_timeout{900000};
    // Slow senders (issue 10): a message must be whole within message_read_timeout of its first
    // byte, and an accepted connection must deliver its first message within
    // first_message_timeout of being established (TLS: after the handshake). 0 disables either.
    std::chrono::milliseconds message_read_timeout{10000};
    std::chrono::milliseconds first_message_timeout{5000};
    // RFC 5626 §4.4.1: CRLFCRLF pings on connections we opened; 0 disables.
    std::chrono::milliseconds keepalive_interval{0};
    // A connection that failed framing or was refused gets this long to flush its answer.
    std::chrono::milliseconds linger{2000};
    // After this many connections closed, a second later, freed heap goes back to the system
    // (malloc_trim): glibc keeps what thousands of closed TLS connections freed in its arenas
    // otherwise (bench/sip/transport/RESULTS.md, "memory"). 0 disables.
    std::size_t trim_after_closes = 256;

    stream_limits stream() const {
        return {max_message_size, max_headers, max_line_length, max_pending_bytes};
    }
    parse_options parse(framing how) const {
        parse_options o;
        o.limits.max_message_bytes = max_message_size;
        o.limits.max_headers = max_headers;
        o.limits.max_line_length = max_line_length;
        o.how = how;
        return o;
    }
};

// X(name, meaning): every drop and every limit breach has a counter (read by the mgmt API).
#define SBC_SIP_TRANSPORT_COUNTERS(X)                                                  \
    X(rx_messages, "SIP messages received and delivered")                              \
    X(rx_requests_answered, "malformed or refused requests answered by the transport") \
    X(tx_messages, "messages handed to a socket")                                      \
    X(rx_bytes, "bytes received (plaintext for TLS)")                                  \
    X(tx_bytes, "bytes sent (ciphertext for TLS)")                                     \
    X(malformed_requests, "requests that failed to parse")                             \
    X(malformed_responses, "responses that failed to parse, dropped")                  \
    X(oversize_datagrams, "UDP datagrams over max_message_size")                       \
    X(message_too_large, "stream messages over max_message_size")                      \
    X(too_many_headers, "stream messages over max_headers")                            \
    X(line_too_long, "stream header lines over max_line_length")                       \
    X(pending_overflow, "connections over max_pending_bytes")                          \
    X(bad_content_length, "stream messages without a usable Content-Length")           \
    X(connections_accepted, "inbound connections accepted")                            \
    X(connections_opened, "outbound connections opened")                               \
    X(connections_closed, "connections closed, any reason")                            \
    X(refused_total_limit, "connections over max_connections")                         \
    X(refused_source_limit, "connections over max_connections_per_source")             \
    X(refused_dropped, "over-limit connections closed without an answer")              \
    X(idle_timeouts, "connections closed for idle_timeout")                            \
    X(message_read_timeouts, "connections closed: a message not whole in time")        \
    X(first_message_timeouts, "connections closed: no first message in time")          \
    X(handler_faults, "messages dropped or connections closed: a handler threw")       \
    X(connect_failures, "outbound connects that failed or timed out")                  \
    X(tls_handshakes, "TLS handshakes completed")                                      \
    X(tls_resumed, "TLS handshakes that resumed a session")                            \
    X(tls_handshake_failures, "TLS handshakes that failed")                            \
    X(tls_handshake_timeouts, "TLS handshakes over tls_handshake_timeout")             \
    X(keepalive_pings_rx, "CRLFCRLF pings received (answered)")                        \
    X(keepalive_pings_tx, "CRLFCRLF pings sent")                                       \
    X(keepalive_pongs_rx, "CRLF pongs received")                                       \
    X(send_errors, "sends that failed")                                                \
    X(send_queue_full, "sends refused: send queue over max_send_queue_bytes")          \
    X(memory_trims, "heap trims after trim_after_closes connections closed")           \
    X(policy_dropped_connections, "connections the source policy closed at accept")    \
    X(policy_refused_connections, "connections the source policy refused (503)")       \
    X(policy_dropped_messages, "messages the source policy dropped unparsed")          \
    X(policy_refused_requests, "requests the source policy refused with 503")

struct transport_counters {
#define SBC_SIP_COUNTER_FIELD(name, text) std::uint64_t name = 0;
    SBC_SIP_TRANSPORT_COUNTERS(SBC_SIP_COUNTER_FIELD)
#undef SBC_SIP_COUNTER_FIELD

    // Calls fn(name, value, meaning) for each counter, in table order.
    template <typename Fn>
    void for_each(Fn&& fn) const {
#define SBC_SIP_COUNTER_VISIT(name, text) fn(std::string_view(#name), name, std::string_view(text));
        SBC_SIP_TRANSPORT_COUNTERS(SBC_SIP_COUNTER_VISIT)
#undef SBC_SIP_COUNTER_VISIT
    }
};

}  // namespace sbc::sip
