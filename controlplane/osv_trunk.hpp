#pragma once
// The trunk to OpenScape Voice ([sip_server]): its nodes, their health, the OPTIONS keep-alive
// and the rule that picks the node for a registration or a call. Everything that decides "which
// OSV node" lives here.
//
// Health comes from the SBC's own evidence: its OPTIONS keep-alive and its connections to the
// node. A client's request that OSV does not answer proves nothing about OSV — OSV may have
// dropped that one message (an odd or oversized request: issue 10, finding 3) — so relayed
// traffic can make the trunk look at a node sooner, never take it down by itself.
// A node starts `probing` (usable) and is probed with OPTIONS every options_interval_s.
//   * down at once: an OPTIONS fails in the transport (refused, reset, TLS failure, or its
//     connection is lost before the answer); the node's connection is lost and the immediate
//     re-probe fails in the transport.
//   * down after failure_threshold consecutive OPTIONS that time out or get 503. An OPTIONS
//     unanswered for 8 x T1 has timed out (a probe never waits for Timer F).
//   * up again after recovery_threshold consecutive answered OPTIONS (any final response but
//     503 proves the node is alive); the first answer takes a `probing` node up.
//   * relayed traffic (report()): a transport failure sends a probe at once (a dead node fails
//     it the same way and goes down within one round trip). A timeout or a 503 is a suspicion,
//     kept per client source: suspicions from suspect_sources different sources within
//     suspect_window make the node `suspect` — probed at once, and again as soon as each probe
//     fails, until failure_threshold probes in a row failed (down) or one is answered (clear).
//     One client, however many of its requests go unanswered, only ever counts once.
// Selection (select()):
//   * simplex: the node, also while it is down: a single node is all there is, so requests
//     keep trying it (each fails on its own if the node is really gone) instead of every
//     client getting 503 until the keep-alive brings the node back.
//   * active-standby, collocated: node 1 unless down, else node 2 ("node 1 preferred").
//     A binding registered at node 2 during an outage moves back at its next relayed refresh.
//   * clustered: both active. A client keeps the node it has (`affinity`: its registration's,
//     or its AOR's, so a user's registrations and dialogs share one node) while that node is
//     not down; new clients are spread round-robin.
//   * when every node is down, the node the rule prefers is tried anyway (as simplex).
// Failover timing: traffic that hits a failing node fails over inside the same request (the
// registrar and the B2BUA retry on alternative(), whatever the node's health), so a new REGISTER
// or a refresh reaches the surviving node within one round trip of the failure (8 x T1 for a
// node that does not answer), far inside 5 s.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/counters.hpp"
#include "common/lifetime.hpp"
#include "config/appliance.hpp"
#include "controlplane/options_keepalive.hpp"
#include "controlplane/realm_edge.hpp"

namespace sbc::cp {

using node_index = std::uint8_t;

// Health and the OPTIONS probe are the keep-alive's (options_keepalive.hpp), shared with the
// E911 location domains.
using node_health = peer_health;
using node_outcome = probe_outcome;

// X(name, kind, unit, help) (common/counters.hpp): the evidence a node's traffic gives, in
// `sbcctl status` and the metrics (label `node`); its OPTIONS counters are the keep-alive's
// (peer_probe_counters), exported under the same family name.
#define SBC_OSV_NODE_COUNTERS(X)                                                   \
    X(traffic_failures, counter, "", "relayed requests that timed out or got 503") \
    X(suspected, counter, "", "times relayed failures from several sources made it suspect")

SBC_COUNTER_FAMILY(osv_node_counters, "osv_node", SBC_OSV_NODE_COUNTERS);

struct trunk_node : peer_probe, osv_node_counters {
    config::sip_server_node cfg;
    sip::transport_target target;
    // Relayed traffic's timeouts and 503s by client source (at most suspect_sources entries,
    // none older than suspect_window), and whether that made the node suspect.
    std::vector<std::pair<std::string, sip::time_point>> suspicions;
    bool suspect = false;
};

// Relayed timeouts/503s from this many different client sources within suspect_window make a
// node suspect (probed at once). 64 x T1 is the longest a client waits for any answer.
inline constexpr std::size_t suspect_sources = 3;

class osv_trunk {
  public:
    using state_fn = std::function<void(node_index node, node_health now)>;

    osv_trunk(realm_edge& core, const config::sip_server_section& cfg);
    ~osv_trunk();
    osv_trunk(const osv_trunk&) = delete;
    osv_trunk& operator=(const osv_trunk&) = delete;

    // Resolves the nodes and starts the keep-alive (the first OPTIONS go out at once).
    cp::status start();
    void stop();

    // The node for a request, by the comm system type's rule; nullopt when none is usable.
    std::optional<node_index> select(std::optional<node_index> affinity = std::nullopt);
    // The next usable node other than `failed` (for a retry), by the same rule.
    std::optional<node_index> alternative(node_index failed);

    const sip::transport_target& target(node_index n) const { return nodes_[n].target; }
    const trunk_node& node(node_index n) const { return nodes_[n]; }
    std::size_t size() const { return nodes_.size(); }
    bool usable(node_index n) const { return nodes_[n].health != node_health::down; }

    // Outcome of relayed traffic (not OPTIONS) to a node, on behalf of the client at `source`
    // (its IP; "" for the SBC's own requests, which count as one source).
    void report(node_index n, node_outcome outcome, std::string_view detail,
                std::string_view source);
    // The node a request from the core realm came from (by IP: nodes connect from any port).
    std::optional<node_index> node_at(const sip::socket_address& source) const;

    void on_state_change(state_fn fn) { listeners_.push_back(std::move(fn)); }
    // Seconds a client should wait when no node is usable: the soonest one could be back.
    std::uint32_t retry_after_s() const;
    config::comm_system mode() const { return cfg_.comm_system_type; }

    nlohmann::json status() const;

  private:
    // Node indices fit node_index: the config allows at most 2 nodes.
    node_index count() const { return static_cast<node_index>(nodes_.size()); }
    void probe(node_index n);
    void probe_result(node_index n, std::uint32_t round, node_outcome outcome, std::string detail);
    void set_health(node_index n, node_health h, std::string reason);
    void suspect(node_index n, std::string_view source, std::string_view detail);
    std::chrono::milliseconds suspect_window() const;
    std::optional<node_index> first_usable(std::optional<node_index> skip) const;

    realm_edge& core_;
    config::sip_server_section cfg_;
    std::vector<trunk_node> nodes_;
    std::vector<state_fn> listeners_;
    std::uint64_t keepalive_ = 0;
    std::size_t round_robin_ = 0;
    std::uint32_t cseq_ = 0;
    std::string call_id_;
    lifetime life_;  // last: callbacks stop first
};

}  // namespace sbc::cp
