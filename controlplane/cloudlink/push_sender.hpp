#pragma once
// The push request the call flow makes (guide 7.6, RFC 8599 §5.6.2): "wake this device" through
// CloudLink, with a per-device rate limit, a prompt clear failure when the link cannot carry
// it (not linked, relink required, token expired, CloudLink asked us to slow down) and a
// bounded wait for CloudLink's answer ([push] request_timeout_ms), never the INVITE's whole
// wait. Counted by outcome; the last results are kept for `sbcctl cloudlink status`.
//
// What the call flow does with the answer (hold the INVITE, 180 toward OSV, deliver on the
// re-REGISTER, 480 on timeout) is the B2BUA's; see README.md "For the call flow".

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/counters.hpp"
#include "common/lifetime.hpp"
#include "config/appliance.hpp"
#include "controlplane/cloudlink/api.hpp"
#include "controlplane/cloudlink/link_client.hpp"
#include "controlplane/push_device.hpp"
#include "sip/transport/io_loop.hpp"

namespace sbc::cp::cloudlink {

// X(name, kind, unit, help): a counter family (common/counters.hpp).
#define SBC_PUSH_COUNTERS(X)                                                                      \
    X(requested, counter, "", "push requests from calls")                                         \
    X(sent, counter, "", "accepted by CloudLink")                                                 \
    X(failed_disabled, counter, "", "refused: [push] enable = false")                             \
    X(failed_rate_limited, counter, "", "refused: over max_per_device_per_minute for the device") \
    X(failed_not_linked, counter, "", "failed at once: CloudLink not linked / relink required")   \
    X(failed_token, counter, "", "failed: access token expired or refused")                       \
    X(failed_cloudlink_busy, counter, "", "failed: CloudLink answered 429 or asked to wait")      \
    X(failed_unknown_device, counter, "", "failed: CloudLink does not know the device")           \
    X(failed_unavailable, counter, "", "failed: CloudLink unreachable, timed out or 5xx")         \
    X(failed_other, counter, "", "failed: rejected, proxy, TLS, or an answer not understood")

SBC_COUNTER_FAMILY(push_counters, "push", SBC_PUSH_COUNTERS);

struct push_result {
    bool sent = false;
    outcome why = outcome::ok;  // when !sent
    std::string message;        // one line: why it failed, or the push id
    std::string push_id;
    std::chrono::milliseconds took{0};
};

class push_sender {
  public:
    using done_fn = std::function<void(const push_result&)>;

    push_sender(sip::io_loop& loop, api& cloud, link_client& link, const config::push_section& cfg);
    ~push_sender();
    push_sender(const push_sender&) = delete;
    push_sender& operator=(const push_sender&) = delete;

    // Asks CloudLink to wake `device` for the call `call_id` from `caller`. `done` runs exactly
    // once, always later on the loop (never inside this call), within request_timeout_ms plus
    // a loop turn.
    void push(const push_device& device, const std::string& call_id, const std::string& caller,
              done_fn done);

    const push_counters& counters() const { return counters_; }
    nlohmann::json counters_json() const;
    nlohmann::json recent() const;  // the last results, newest first

  private:
    bool over_limit(const std::string& device_key);
    void finish(const push_device& device, const std::string& call_id,
                std::chrono::steady_clock::time_point started, push_result r, done_fn done);

    static constexpr std::size_t max_devices_tracked = 100000;
    static constexpr std::size_t recent_kept = 20;

    sip::io_loop& loop_;
    api& cloud_;
    link_client& link_;
    const config::push_section& cfg_;
    push_counters counters_;
    std::unordered_map<std::string, std::deque<std::chrono::steady_clock::time_point>> sends_;
    std::deque<nlohmann::json> recent_;
    lifetime life_;  // last: CloudLink's answers and posted failures outlive nothing else
};

}  // namespace sbc::cp::cloudlink
