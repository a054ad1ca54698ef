#pragma once
// sbcd's link to sbc-dataplane: attaches at start-up (retrying with backoff while the dataplane
// starts, refusing at once on a contract version mismatch), drains the event ring on the loop,
// watches the heartbeat, and re-attaches after a dataplane restart so the owner can replay its
// flows. Everything that programs flows goes through `client()`.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "controlplane/result.hpp"
#include "sip/transport/io_loop.hpp"

namespace sbc::cp {

class dataplane_link {
  public:
    using event_fn = std::function<void(const dp_event&)>;
    using reattach_fn = std::function<void()>;

    dataplane_link(sip::io_loop& loop, std::string instance)
        : loop_(loop), instance_(std::move(instance)) {}
    ~dataplane_link();
    dataplane_link(const dataplane_link&) = delete;
    dataplane_link& operator=(const dataplane_link&) = delete;

    // Blocking, bounded by `policy.deadline`; called once before the loop runs.
    dp_status attach_at_startup(const retry_policy& policy);
    // Starts draining events every `poll_interval` and checking liveness.
    void start(std::chrono::milliseconds poll_interval = std::chrono::milliseconds(2));
    void stop();

    void on_event(event_fn fn) { event_handlers_.push_back(std::move(fn)); }
    // Runs after a successful re-attach to a restarted dataplane (flows must be replayed).
    void on_reattach(reattach_fn fn) { reattach_handlers_.push_back(std::move(fn)); }

    dataplane_client& client() { return client_; }
    bool attached() const { return client_.attached() && !lost_; }

    nlohmann::json status_json() const;
    // Drop counters by reason, one column per lcore plus the total ({"columns","rows"}).
    cp::result<nlohmann::json> counters_table() const;

  private:
    void tick();
    void try_reattach();

    sip::io_loop& loop_;
    std::string instance_;
    dataplane_client client_;
    std::vector<event_fn> event_handlers_;
    std::vector<reattach_fn> reattach_handlers_;
    uint64_t poll_timer_ = 0;
    bool lost_ = false;
    std::string last_error_;
    std::chrono::steady_clock::time_point next_reattach_{};
    std::chrono::milliseconds reattach_backoff_{50};
    uint64_t reattaches_ = 0;
};

}  // namespace sbc::cp
