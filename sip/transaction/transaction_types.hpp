#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "sip/message.hpp"
#include "sip/transport/transport_types.hpp"

namespace sbc::sip {

// RFC 3261 §17.1.1.1 timer base values; every other timer derives from them (Table 4).
struct transaction_timers {
    std::chrono::milliseconds t1{500};   // RTT estimate
    std::chrono::milliseconds t2{4000};  // cap on non-INVITE and response retransmit intervals
    std::chrono::milliseconds t4{5000};  // how long the network may hold a message
    // RFC 3261 §17.2.1: send 100 Trying for an INVITE the TU has not answered in this time.
    std::chrono::milliseconds trying_after{200};

    std::chrono::milliseconds timeout() const { return 64 * t1; }  // Timers B, F, H, J, L, M
};

// Where a client transaction sends: a connection (reused while it is open), else an address.
struct transport_target {
    transport_type type = transport_type::udp;
    socket_address address;
    std::string server_name;       // TLS: SNI and the name verified in the certificate
    connection_id connection = 0;  // 0: any / open one
};

using transaction_id = std::uint64_t;  // 0 is "none"

// What the transaction layer needs from the transports (RFC 3261 §18). The transport_binding
// implements it over a transport_layer; tests use a fake.
class transaction_transport {
  public:
    virtual ~transaction_transport() = default;
    // Sends a request. On ok, `*used` is the connection it went down (0 for UDP) and `done`
    // runs later with the final outcome (a failed connect or handshake).
    virtual send_status send_request(const transport_target& to, std::string bytes,
                                     send_callback done, connection_id* used) = 0;
    // Sends a response to a request that arrived with `request_ctx` and this top Via
    // (RFC 3261 §18.2.2, RFC 3581 rport).
    virtual send_status send_response(const transport_context& request_ctx,
                                      const via& request_top_via, std::string bytes,
                                      send_callback done) = 0;
};

// Why a client transaction ended without a final response: the TU treats timeout as 408 and a
// transport error as 503 (RFC 3261 §8.1.3.1, §8.1.3.1).
enum class client_failure : std::uint8_t { timeout, transport_error };

// Why a server transaction ended abnormally.
enum class server_failure : std::uint8_t {
    no_ack,             // Timer H: the final non-2xx response was never acknowledged
    transport_error,    // the response could not be sent
    no_final_response,  // non-INVITE: the TU gave no final response in 64*T1 (the client has
                        // given up by then); the transaction is dropped so it cannot leak
};

// X(name, kind, unit, help) (common/counters.hpp)
#define SBC_SIP_TRANSACTION_COUNTERS(X)                                                            \
    X(client_started, counter, "", "client transactions started")                                  \
    X(server_started, counter, "", "server transactions started")                                  \
    X(retransmissions_sent, counter, "", "requests and responses retransmitted on timers")         \
    X(requests_absorbed, counter, "", "retransmitted requests absorbed by a server transaction")   \
    X(responses_absorbed, counter, "", "retransmitted responses absorbed by a client transaction") \
    X(client_timeouts, counter, "", "client transactions timed out (Timer B or F)")                \
    X(client_transport_errors, counter, "", "client transactions failed by the transport")         \
    X(server_no_ack, counter, "", "INVITE server transactions without ACK (Timer H)")              \
    X(server_transport_errors, counter, "", "responses the transport could not send")              \
    X(server_unanswered, counter, "", "non-INVITE server transactions the TU never answered")      \
    X(stray_responses, counter, "", "responses matching no client transaction")                    \
    X(acks_passed, counter, "", "ACKs matching no transaction (2xx ACK), passed to the TU")        \
    X(cancels_matched, counter, "", "CANCELs that matched an INVITE server transaction")           \
    X(cancels_unmatched, counter, "", "CANCELs that matched nothing")

SBC_COUNTER_FAMILY(transaction_counters, "sip_transaction", SBC_SIP_TRANSACTION_COUNTERS);

}  // namespace sbc::sip
