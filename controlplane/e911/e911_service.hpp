#pragma once
// E911 in sbcd (guide chapter 12): the remote endpoints toward the emergency providers, as the
// SIP side sees them. It opens each endpoint's own ports (core_realm_port on its core realm,
// where OSV sends emergency calls; access_realm_port on its access realm, where the provider's
// answers come back), keeps its location domains' health (location_domains.hpp), knows the
// emergency numbers of each realm (emergency_numbers.hpp) and which sources are providers.
// It does not route calls: the B2BUA's call_router is to ask it (controlplane/b2bua/
// call_routing.cpp) and make the call an emergency `call_kind` there; that routing is not done
// yet (README.md "Not done").

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "controlplane/e911/e911_counters.hpp"
#include "controlplane/e911/emergency_numbers.hpp"
#include "controlplane/e911/location_domains.hpp"
#include "controlplane/realm_edge.hpp"
#include "controlplane/result.hpp"

namespace sbc::cp::e911 {

// One [[remote_endpoint]] at run time.
struct endpoint {
    const config::remote_endpoint* cfg = nullptr;
    realm_id access = realm_id::access;  // toward the provider
    realm_id core = realm_id::core;      // where OSV sends the calls
    const config::ssp_profile* ssp = nullptr;
    const config::media_profile* media = nullptr;
    // The media profile with allow_unconfigured_codecs: what the provider is offered when its
    // own profile names no codec the caller offers (an emergency call is not refused for it).
    config::media_profile unfiltered;
    std::unique_ptr<location_domains> domains;
};

class e911_service {
  public:
    e911_service(realm_edge& access, realm_edge& core, const config::appliance& cfg);
    ~e911_service();
    e911_service(const e911_service&) = delete;
    e911_service& operator=(const e911_service&) = delete;

    // After the realms opened: each endpoint's ports, TLS toward TLS location domains, the
    // keep-alives. A failure names the setting.
    cp::status start();
    void stop();

    std::size_t size() const { return endpoints_.size(); }
    endpoint& at(std::size_t i) { return endpoints_[i]; }
    const endpoint& at(std::size_t i) const { return endpoints_[i]; }
    realm_edge& edge(realm_id r) { return r == realm_id::access ? access_ : core_; }

    // The endpoint whose core_realm_port on realm `r` a message arrived on (`local`).
    std::optional<std::size_t> endpoint_on_port(realm_id r, const sip::socket_address& local) const;
    // The first endpoint whose core realm is `r`.
    std::optional<std::size_t> endpoint_of_core(realm_id r) const;
    // The endpoint one of whose location domains `source` is, on realm `r` (its access realm).
    std::optional<std::size_t> provider_at(realm_id r, const sip::socket_address& source) const;
    // The emergency pattern a Request-URI on realm `r` matches, nullopt when none.
    std::optional<std::string> emergency_number(realm_id r, const sip::uri& request_uri) const;

    // Emergency calls in progress by the Call-ID of their leg on `r`, and the sources they run
    // over: the sources bound a softphone's emergency calls over the session limit
    // (b2bua/call_routing.hpp); the DoS guard's emergency lane would ask them too (not done).
    void track_call(realm_id r, std::string_view call_id);
    void untrack_call(realm_id r, std::string_view call_id);
    bool tracks(realm_id r, std::string_view call_id) const;
    // How many emergency calls' legs on `r` run from this source IP.
    std::size_t calls_from(realm_id r, const sip::socket_address& source) const;
    void track_source(realm_id r, const sip::socket_address& source, int delta);

    e911_counters& counters() { return counters_; }
    const e911_counters& counters() const { return counters_; }
    // `sbcctl e911`: every endpoint with its realms, ports, domains' health and last failures.
    nlohmann::json status() const;

  private:
    realm_edge& access_;
    realm_edge& core_;
    const config::appliance& cfg_;
    std::array<emergency_numbers, 2> numbers_;
    std::vector<endpoint> endpoints_;
    std::unordered_set<std::string> calls_[2];
    std::unordered_map<std::string, int> sources_[2];  // IP -> emergency legs from it
    e911_counters counters_;
};

realm_id realm_of(std::string_view name);

}  // namespace sbc::cp::e911
