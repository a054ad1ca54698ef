#pragma once
// The appliance's link to its CloudLink tenant (guide 8.4): the states an operator sees in
// `sbcctl cloudlink status`, the token's life, the inventory report, the measured clock offset
// and the back-off after failures. Runs on sbcd's io_loop; every network exchange goes through
// the api interface (http_api on the worker thread), so nothing here blocks.
//
//   disabled ─(enable)─▶ unlinked ─(sbcctl cloudlink link)─▶ linking ─▶ connected ⇄ disconnected
//                           ▲                                    │            │
//                           └──────── unlink ◀───────────────────┴── relink_required (refresh
//                                                                    refused: no retry loop)
//   identity_conflict: the identity was made on another machine (cloned disk): nothing is sent
//   until the operator unlinks (local only) and links again.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "common/lifetime.hpp"
#include "controlplane/cloudlink/api.hpp"
#include "controlplane/cloudlink/installation_identity.hpp"
#include "controlplane/result.hpp"
#include "sip/transport/io_loop.hpp"

namespace sbc::cp::cloudlink {

#define SBC_CLOUDLINK_STATES(X)                                                        \
    X(disabled, "[cloudlink] enable = false")                                          \
    X(unlinked, "enabled, not linked to a tenant: sbcctl cloudlink link")              \
    X(linking, "linking to CloudLink")                                                 \
    X(connected, "linked, last exchange with CloudLink succeeded")                     \
    X(disconnected, "linked, CloudLink not reachable: retrying with back-off")         \
    X(relink_required, "CloudLink refused the refresh token: sbcctl cloudlink link")   \
    X(identity_conflict, "identity made on another machine (cloned?): see last_error") \
    X(failed, "cannot use the state directory: see last_error")

enum class link_state : std::uint8_t {
#define SBC_CLOUDLINK_STATE_ENUM(name, text) name,
    SBC_CLOUDLINK_STATES(SBC_CLOUDLINK_STATE_ENUM)
#undef SBC_CLOUDLINK_STATE_ENUM
};
const char* state_name(link_state s);

struct link_settings {
    bool enable = false;
    std::string state_dir;
    std::chrono::seconds inventory_interval{1800};
    std::uint32_t max_clock_offset_s = 30;
    machine_sources machine;
    installation_info product;  // hostname, product, version (id and machine are filled here)
    // Back-off after a failure: base doubling to the cap, each delay jittered to [d/2, d].
    std::chrono::milliseconds backoff_base{1000};
    std::chrono::milliseconds backoff_cap{300000};
};

class link_client {
  public:
    using inventory_fn = std::function<nlohmann::json()>;

    link_client(sip::io_loop& loop, api& cloud, link_settings settings, inventory_fn inventory);
    ~link_client();
    link_client(const link_client&) = delete;
    link_client& operator=(const link_client&) = delete;

    // Reads (or creates) the identity and the stored token; a linked appliance refreshes its
    // token if needed and reports its inventory.
    void start();

    // Starts linking with the admin's credentials (used once, never stored or logged). A
    // failure when the state does not allow it; the result shows in status().link_attempt.
    cp::status link(const std::string& username, const std::string& password);
    // Forgets the link (token file removed) and tells CloudLink in the background. After a
    // clone it is local only and makes a fresh identity for this machine.
    nlohmann::json unlink();

    nlohmann::json status() const;
    link_state state() const { return state_; }

    // Why the link cannot carry a push now: the outcome to report and one line for the operator.
    struct token_refusal {
        outcome why = outcome::rejected;
        std::string message;
        explicit operator bool() const { return false; }  // a refusal is never success
    };
    // For the push path: the access token when the link can carry a request now.
    cp::result<std::string, token_refusal> usable_token() const;
    // The push path heard 401 or 429 from CloudLink.
    void token_rejected();
    void slow_down(std::uint32_t retry_after_s);
    // Any answer from CloudLink (the push path's too): contact time and clock offset.
    void heard(const api_result& r);

  private:
    void set_state(link_state s, std::string error = {});
    void schedule_refresh();
    void do_refresh();
    void do_inventory();
    void failed_exchange(const api_result& r, bool refresh, std::function<void()> retry);
    std::chrono::milliseconds next_backoff(std::optional<std::uint32_t> retry_after_s);
    void reset_backoff() { failures_ = 0; }
    void adopt_grant(const link_grant& g, bool link);
    void cancel_timers();
    std::int64_t now_s() const;

    sip::io_loop& loop_;
    api& cloud_;
    link_settings settings_;
    inventory_fn inventory_;

    link_state state_ = link_state::disabled;
    std::string last_error_;
    std::optional<installation_identity> identity_;
    bool identity_created_ = false;
    std::optional<stored_token> token_;
    std::uint64_t generation_ = 0;  // bumped by unlink: late answers of the old link are dropped

    sip::timer_id refresh_timer_, inventory_timer_;
    std::optional<std::chrono::steady_clock::time_point> refresh_due_, inventory_due_;
    bool refreshing_ = false, reporting_ = false;
    std::uint32_t failures_ = 0;
    std::optional<std::chrono::steady_clock::time_point> quiet_until_;  // a 429's Retry-After
    std::mt19937_64 jitter_{std::random_device{}()};

    std::optional<std::int64_t> clock_offset_s_;
    std::string last_contact_;
    std::string last_inventory_at_, last_inventory_result_;
    std::uint64_t inventory_reports_ = 0;
    std::uint64_t refreshes_ = 0;
    std::uint64_t link_attempt_ = 0;
    std::string link_result_ = "none", link_message_;
    std::string last_unlink_;
    lifetime life_;  // last: CloudLink's answers and the timers outlive nothing else
};

}  // namespace sbc::cp::cloudlink
