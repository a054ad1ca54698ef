#include "controlplane/register_throttle.hpp"

#include <algorithm>

namespace sbc::cp {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Time a locally answered client must keep in hand before OSV's binding ends: a quarter of
// OSV's expiry, at most 32 s (one non-INVITE transaction timeout with T1 = 500 ms).
milliseconds guard(milliseconds osv_expiry) {
    return std::min<milliseconds>(osv_expiry / 4, seconds(32));
}

}  // namespace

register_throttle::register_throttle(const config::remote_subscribers_section& cfg)
    : on_(cfg.register_throttling),
      on_tls_(cfg.register_throttling_tls),
      max_expiry_(cfg.max_registration_expiry_s),
      refresh_s_(cfg.throttle_refresh_s) {
    if (!cfg.throttling_bypass_ua_regex.empty()) {
        // The loader compiled it already (config rule): this cannot throw.
        bypass_.emplace(cfg.throttling_bypass_ua_regex,
                        std::regex::ECMAScript | std::regex::optimize);
    }
}

bool register_throttle::bypassed(std::string_view user_agent) const {
    return bypass_ && std::regex_search(user_agent.begin(), user_agent.end(), *bypass_);
}

bool register_throttle::applies(sip::transport_type t, std::string_view user_agent) const {
    const bool on = t == sip::transport_type::tls ? on_tls_ : on_;
    return on && !bypassed(user_agent);
}

std::uint32_t register_throttle::cap(std::uint32_t requested) const {
    return std::min(requested, max_expiry_);
}

std::uint32_t register_throttle::osv_request(std::uint32_t requested, bool throttled) const {
    const std::uint32_t capped = cap(requested);
    if (!throttled) {
        return capped;
    }
    const std::uint64_t twice = 2ULL * refresh_s_;
    return std::max(capped,
                    static_cast<std::uint32_t>(std::min<std::uint64_t>(twice, max_expiry_)));
}

std::uint32_t register_throttle::client_grant(std::uint32_t requested,
                                              std::uint32_t granted) const {
    return std::min(cap(requested), granted);
}

sip::time_point register_throttle::due(sip::time_point refreshed, sip::time_point expires) const {
    const auto osv_expiry = duration_cast<milliseconds>(expires - refreshed);
    return refreshed + std::min<milliseconds>(seconds(refresh_s_), osv_expiry / 2);
}

std::optional<std::uint32_t> register_throttle::local_grant(std::uint32_t requested,
                                                            sip::time_point now,
                                                            sip::time_point refreshed,
                                                            sip::time_point expires) const {
    if (now >= due(refreshed, expires)) {
        return std::nullopt;
    }
    const auto osv_expiry = duration_cast<milliseconds>(expires - refreshed);
    const auto left = duration_cast<seconds>(expires - now - guard(osv_expiry));
    if (left.count() < 1) {
        return std::nullopt;
    }
    return std::min(cap(requested), static_cast<std::uint32_t>(left.count()));
}

}  // namespace sbc::cp
