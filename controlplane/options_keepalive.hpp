#pragma once
// The OPTIONS keep-alive toward one peer and the health it gives (RFC 3261 §11 OPTIONS as a
// liveness probe), shared by the OSV trunk's nodes (osv_trunk.hpp) and the E911 location
// domains (e911/location_domains.hpp):
//   * a peer starts `probing` (usable); its first answer takes it up;
//   * down at once when a probe fails in the transport; down after failure_threshold probes in
//     a row time out (8 x T1: a probe never waits for Timer F) or get 503;
//   * up again after recovery_threshold answered probes in a row (any final response but 503
//     proves the peer alive).
// What each owner adds (the trunk's suspicion, a location domain's call outcomes, logging and
// listeners) stays the owner's: settle_probe() only says what the probe means for the health.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/counters.hpp"
#include "common/lifetime.hpp"
#include "controlplane/realm_edge.hpp"

namespace sbc::cp {

enum class peer_health : std::uint8_t { probing, up, down };
std::string_view health_name(peer_health h);

// How a request to a peer ended, as far as its health is concerned.
enum class probe_outcome : std::uint8_t { answered, timeout, transport_error, unavailable };

// The transport a configured peer is reached over.
sip::transport_type transport_of(config::sip_transport t);

// X(name, kind, unit, help) (common/counters.hpp): a peer's keep-alive evidence. A family
// without a name of its own: each owner exports it under its family's (`osv_node`).
#define SBC_PEER_PROBE_COUNTERS(X)                                                 \
    X(options_sent, counter, "", "OPTIONS keep-alives sent to the peer")           \
    X(options_answered, counter, "", "OPTIONS keep-alives the peer answered")      \
    X(options_failed, counter, "", "OPTIONS keep-alives that timed out or failed") \
    X(went_down, counter, "", "times the peer was declared down")

SBC_COUNTER_FAMILY(peer_probe_counters, "peer", SBC_PEER_PROBE_COUNTERS);

// One peer's probe state and OPTIONS counters (a trunk node, a location domain).
struct peer_probe : peer_probe_counters {
    peer_health health = peer_health::probing;
    std::uint32_t failures_in_row = 0, successes_in_row = 0;  // OPTIONS
    std::string reason;                                       // why it is down / last failure
    sip::time_point since{};
    bool probe_in_flight = false;   // an OPTIONS is out
    std::uint32_t probe_round = 0;  // answers of abandoned probes are ignored
    sip::timer_id probe_deadline;
};

// The probe `round` of a peer ended with `outcome` (`detail` says how, for its reason).
using probe_done =
    std::function<void(std::uint32_t round, probe_outcome outcome, std::string detail)>;

// Sends one OPTIONS from `edge` to `target` (Request-URI `ruri`, the owner's keep-alive Call-ID
// and CSeq) for peer `p`. `done` runs at most once per outcome, only while `life` lasts; a
// transport failure may report before this returns.
void send_probe(realm_edge& edge, const sip::transport_target& target, const std::string& ruri,
                const std::string& call_id, std::uint32_t cseq, peer_probe& p, const lifetime& life,
                probe_done done);

// What probe `round`'s outcome means for `p`: nullopt when the round is stale (an abandoned
// probe, or one its deadline decided); otherwise the counters are updated and the value is the
// health `p` should move to (nullopt inside: unchanged). The owner sets it (and logs).
struct probe_verdict {
    std::optional<peer_health> now;
};
std::optional<probe_verdict> settle_probe(realm_edge& edge, peer_probe& p, std::uint32_t round,
                                          probe_outcome outcome, const std::string& detail,
                                          std::uint32_t failure_threshold,
                                          std::uint32_t recovery_threshold);

}  // namespace sbc::cp
