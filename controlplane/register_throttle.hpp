#pragma once
// Register throttling (`register_throttling`, `register_throttling_tls`): a client that
// refreshes every minute for NAT keep-alive should not cost OSV a REGISTER a minute.
//
// For a throttled binding the SBC asks OSV for a long registration, max(client's request,
// 2 x throttle_refresh_s) capped at max_registration_expiry_s, and gives the client what it
// asked for (never more than OSV granted). A refresh from the client is then answered locally
// while the binding at OSV is fresh, and relayed once it is due: `throttle_refresh_s` after OSV
// last accepted it, or half of OSV's granted expiry when OSV grants less ("OSV's own pace": a
// UA registered directly would refresh at half-life). A locally answered refresh never grants
// the client beyond OSV's expiry minus a guard, so the client is back before OSV's binding ends.
//
// Never throttled: User-Agents matching throttling_bypass_ua_regex (Zoom mobile clients),
// transports with throttling off, and any refresh that changes something OSV must see (see
// registrar_relay: new Call-ID, new Contact, new flow, another node, expires 0).

#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string_view>

#include "config/appliance.hpp"
#include "sip/transport/timer_wheel.hpp"
#include "sip/transport/transport_types.hpp"

namespace sbc::cp {

class register_throttle {
  public:
    explicit register_throttle(const config::remote_subscribers_section& cfg);

    // Whether bindings of this client are throttled at all.
    bool applies(sip::transport_type t, std::string_view user_agent) const;
    bool bypassed(std::string_view user_agent) const;

    // The expiry a client may have: its request capped at max_registration_expiry_s.
    std::uint32_t cap(std::uint32_t requested) const;
    // The expiry to ask OSV for.
    std::uint32_t osv_request(std::uint32_t requested, bool throttled) const;
    // The expiry to give the client once OSV granted `granted`.
    std::uint32_t client_grant(std::uint32_t requested, std::uint32_t granted) const;

    // When OSV's binding (accepted at `refreshed`, valid until `expires`) must be refreshed.
    sip::time_point due(sip::time_point refreshed, sip::time_point expires) const;
    // A refresh at `now`: the expiry to answer locally with, or nullopt to relay it.
    std::optional<std::uint32_t> local_grant(std::uint32_t requested, sip::time_point now,
                                             sip::time_point refreshed,
                                             sip::time_point expires) const;

    std::uint32_t max_expiry() const { return max_expiry_; }
    std::uint32_t refresh_s() const { return refresh_s_; }

  private:
    bool on_ = false;
    bool on_tls_ = false;
    std::optional<std::regex> bypass_;
    std::uint32_t max_expiry_;
    std::uint32_t refresh_s_;
};

}  // namespace sbc::cp
