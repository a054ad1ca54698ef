#pragma once
// RFC 8599 push parameters of a registration: which push notification service (pn-provider),
// which device (pn-prid) and the service's extra parameter (pn-param, e.g. an APNs topic), as
// a mobile client sends them in its REGISTER Contact. Stored with the binding in one string
// (memory per binding is measured, bench/controlplane) and handed to CloudLink when a call
// must wake the device.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/headers.hpp"

namespace sbc::cp {

class push_device {
  public:
    push_device() = default;
    push_device(std::string_view provider, std::string_view prid, std::string_view param);

    bool empty() const { return text_.empty(); }
    std::string_view provider() const { return std::string_view(text_).substr(0, provider_); }
    std::string_view prid() const { return std::string_view(text_).substr(provider_ + 1, prid_); }
    std::string_view param() const {
        return empty() ? std::string_view()
                       : std::string_view(text_).substr(std::size_t(provider_) + prid_ + 2);
    }
    // "apns 3a8e6f7c…" for listings: the device token is a credential of the device at the push
    // service, so only its first characters are shown.
    std::string summary() const;

    bool operator==(const push_device&) const = default;

  private:
    std::string text_;  // provider '\n' prid '\n' param
    std::uint16_t provider_ = 0;
    std::uint16_t prid_ = 0;
};

// Limits on the decoded values: APNs tokens are 64 hex digits, FCM registration tokens about
// 160 characters; anything far beyond is not a device token.
inline constexpr std::size_t max_pn_prid_bytes = 1024;
inline constexpr std::size_t max_pn_param_bytes = 256;
inline constexpr std::size_t max_pn_provider_bytes = 63;

enum class push_check : std::uint8_t {
    none,         // no pn-provider: not a push client (RFC 8599 §5.6.1)
    query,        // pn-provider without pn-prid: asks what is supported, requests no pushes
                  // (RFC 8599 §4.1.5, §5.6.1.2)
    ok,           // a complete, well-formed request for pushes (RFC 8599 §4.1.1)
    malformed,    // RFC 8599 §8.7 grammar broken, a value missing, repeated or oversize
    unsupported,  // pn-provider names a service this SBC does not push through: 555
                  // (RFC 8599 §8.1; §5.6.1.1 and §5.6.1.2 allow it instead of forwarding)
};

struct push_check_result {
    push_check result = push_check::none;
    push_device device;
    std::string why;  // for malformed/unsupported: what was wrong, for the log and counters
    std::string query_provider;  // for query: the service asked about, empty for "any"
};

// Reads the pn-* parameters of a REGISTER Contact (URI parameters; header parameters as the
// fallback some clients use). `providers` are the services push is enabled for ([push]
// providers; empty when push is disabled). Values are %-decoded; a decoded value must be
// printable ASCII (a device token, a topic), never control bytes or UTF-8.
push_check_result check_push(const sip::contact& c, const std::vector<std::string>& providers);

// The Feature-Caps value naming push services (RFC 8599 §5.6.1.2), for a query's 2xx and a push
// binding's: `asked` when named (the check refused it with 555 if it is not ours), else every
// service in `providers`; empty when there is none to name.
std::string push_query_feature_caps(std::string_view asked,
                                    const std::vector<std::string>& providers);

}  // namespace sbc::cp
