#pragma once
// The trunk to OpenScape Voice ([sip_server]): its nodes, their health, the OPTIONS keep-alive
// and the rule that picks the node for a registration or a call. Everything that decides "which
// OSV node" lives here.
//
// Health. A node starts `probing` (usable) and is probed with OPTIONS every options_interval_s.
//   * down at once: a relayed request (REGISTER, INVITE, ...) times out, fails in the transport
//     or gets 503; an OPTIONS fails in the transport (refused, reset, TLS failure, or its
//     connection is lost before the answer); the node's connection is lost and the immediate
//     re-probe fails in the transport.
//   * down after failure_threshold consecutive OPTIONS that time out or get 503. An OPTIONS
//     unanswered for 8 x T1 has timed out (a probe never waits for Timer F).
//   * up again after recovery_threshold consecutive answered OPTIONS (any final response but
//     503 proves the node is alive); the first answer takes a `probing` node up.
// Selection (select()):
//   * simplex: the node, unless down.
//   * active-standby, collocated: node 1 unless down, else node 2 ("node 1 preferred"). A
//     binding registered at node 2 during an outage moves back at its next relayed refresh.
//   * clustered: both active. A client keeps the node it has (`affinity`: its registration's,
//     or its AOR's, so a user's registrations and dialogs share one node) while that node is
//     not down; new clients are spread round-robin.
// Failover timing: traffic that hits a dead node fails over inside the same request (the
// registrar retries on the node select() gives next), so a new REGISTER or a refresh reaches
// the surviving node within one round trip of the failure, far inside 5 s.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/lifetime.hpp"
#include "config/appliance.hpp"
#include "controlplane/realm_edge.hpp"

namespace sbc::cp {

using node_index = std::uint8_t;

enum class node_health : std::uint8_t { probing, up, down };
std::string_view health_name(node_health h);

// How a request to a node ended, as far as node health is concerned.
enum class node_outcome : std::uint8_t { answered, timeout, transport_error, unavailable };

struct trunk_node {
    config::sip_server_node cfg;
    sip::transport_target target;
    node_health health = node_health::probing;
    std::uint32_t failures_in_row = 0;   // OPTIONS
    std::uint32_t successes_in_row = 0;  // OPTIONS
    std::string reason;                  // why it went down / last failure
    sip::time_point since{};
    bool probe_in_flight = false;   // an OPTIONS is out
    std::uint32_t probe_round = 0;  // answers of abandoned probes are ignored
    sip::timer_id probe_deadline;
    std::uint64_t options_sent = 0, options_answered = 0, options_failed = 0;
    std::uint64_t traffic_failures = 0, went_down = 0;
};

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

    // Outcome of relayed traffic (not OPTIONS) to a node.
    void report(node_index n, node_outcome outcome, std::string_view detail);
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
