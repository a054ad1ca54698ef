#pragma once
// One remote endpoint's location domains (guide 12.1.2.2 step 6: "Remote URL, Remote port,
// Remote transport", tried in order) as sbcd runs them: where each is, whether it is alive, and
// what went wrong lately. Everything that decides "which of the provider's domains" lives here.
//
// Health, like the OSV trunk's (controlplane/osv_trunk.hpp): a domain starts `probing`
// (usable) and gets an OPTIONS every options_interval_s from the access realm.
//   * down at once: a call attempt to it times out, gets 503 or fails in the transport; an
//     OPTIONS fails in the transport; its host name did not resolve;
//   * down after failure_threshold OPTIONS in a row time out (8 x T1) or get 503;
//   * up after recovery_threshold answered OPTIONS in a row (any final response but 503 proves
//     the domain alive); the first answer takes a `probing` domain up.
// Order for a call (order()): the usable domains in configured order, then the down ones in
// configured order, so an emergency call never waits on a domain known dead while another is
// alive, and is still tried everywhere when all are down (it is never refused for health).

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/lifetime.hpp"
#include "config/appliance.hpp"
#include "controlplane/options_keepalive.hpp"
#include "controlplane/realm_edge.hpp"
#include "controlplane/result.hpp"

namespace sbc::cp::e911 {

// Health and the OPTIONS probe are the keep-alive's (controlplane/options_keepalive.hpp), the
// OSV trunk's too.
using domain_health = peer_health;
using domain_outcome = probe_outcome;

struct domain_state : peer_probe {
    config::location_domain cfg;
    std::optional<sip::transport_target> target;  // nullopt: the url did not resolve
    std::uint64_t calls_tried = 0, calls_failed = 0;

    // "udp:10.1.0.10:5060" (the url as configured)
    std::string label() const;
};

// A call that no location domain took: kept for `sbcctl e911` (the newest first).
struct endpoint_failure {
    std::chrono::system_clock::time_point when;
    std::uint64_t call = 0;
    std::string summary;       // "udp:10.1.0.10:5060 503 Service Unavailable; tcp:... timeout"
    std::uint16_t status = 0;  // what the caller got
};

class location_domains {
  public:
    location_domains(realm_edge& access, const config::remote_endpoint& cfg);
    ~location_domains();
    location_domains(const location_domains&) = delete;
    location_domains& operator=(const location_domains&) = delete;

    // Resolves the urls (a host name once, here; one that does not resolve leaves its domain
    // down with that reason) and starts the keep-alive. Fails when no transport can reach a
    // domain.
    cp::status start();
    void stop();

    const config::remote_endpoint& endpoint() const { return cfg_; }
    std::size_t size() const { return domains_.size(); }
    const domain_state& domain(std::size_t i) const { return domains_[i]; }
    // The domains to try for a new call, in order (see above); unresolved ones are left out.
    std::vector<std::size_t> order() const;
    // Domain `i`'s Request-URI for `user` ("" for the domain itself): sip:user@host:port with
    // the transport parameter. Precondition: the domain resolved (it is in order()).
    std::string request_uri(std::size_t i, std::string_view user) const;
    // Whether `source` is one of the domains' addresses (by IP: a provider may send from any
    // port).
    bool is_domain_address(const sip::socket_address& source) const;

    // A call attempt was sent to domain `i` / ended there (not OPTIONS).
    void tried(std::size_t i) { ++domains_[i].calls_tried; }
    void report(std::size_t i, domain_outcome outcome, std::string_view detail);
    // No domain took the call: kept for the status (at most 32).
    void record_failure(endpoint_failure f);
    const std::deque<endpoint_failure>& failures() const { return failures_; }

    nlohmann::json status() const;

  private:
    void probe(std::size_t i);
    void probe_result(std::size_t i, std::uint32_t round, domain_outcome outcome,
                      std::string detail);
    void set_health(std::size_t i, domain_health h, std::string reason);

    realm_edge& access_;
    config::remote_endpoint cfg_;
    std::vector<domain_state> domains_;
    std::deque<endpoint_failure> failures_;
    std::uint64_t keepalive_ = 0;
    std::uint32_t cseq_ = 0;
    std::string call_id_;
    lifetime life_;  // last: callbacks stop first
};

}  // namespace sbc::cp::e911
