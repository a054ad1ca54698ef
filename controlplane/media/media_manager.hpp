#pragma once
// The media manager: the media of every call, as the B2BUA sees it. It owns the calls'
// media_sessions and their runtime facts, and drives the parts that each do one job:
//
//   realm_ports      one port per leg from its realm's pool (realm_ports.hpp)
//   flow_programmer  the dataplane commands of an answer, followed until acknowledged
//                    (flow_programming.hpp)
//   hairpin_map      legs whose peer is one of our own endpoints (hairpin.hpp)
//   cdr_writer       the call record written when the call ends (call_record.hpp)
//   media_json.cpp   the `sbcctl calls` views
//
// An answer is relayed only after both flows of the call are acknowledged by the dataplane (the
// `done` callback); a refused SDP or a nack leaves nothing behind. Dataplane events (latched,
// SSRC changed, auth-failure bursts, key switched) update the call; tick() ends programmings
// that the dataplane never answered and finds calls whose media stopped (media_timeout.cpp); a
// dataplane restart is repaired by replay(); flows a previous sbcd left behind are found at start
// and removed after a grace period (orphan_flows.cpp). Runs on sbcd's loop thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "controlplane/media/call_record.hpp"
#include "controlplane/media/flow_programming.hpp"
#include "controlplane/media/hairpin.hpp"
#include "controlplane/media/media_counters.hpp"
#include "controlplane/media/media_session.hpp"
#include "controlplane/media/profile_selector.hpp"
#include "controlplane/media/realm_ports.hpp"
#include "controlplane/result.hpp"

namespace sbc::cp::media {

// Runtime facts about a leg that the dataplane reports.
struct leg_runtime {
    std::optional<shm::endpoint> latched;
    uint32_t ssrc = 0;
    uint64_t ssrc_changes = 0;
    uint64_t auth_fail_bursts = 0;
    uint64_t key_switches = 0;
};

class media_manager {
  public:
    using done_fn = std::function<void(const status&, const std::string& body)>;
    using timeout_fn = std::function<void(session_id)>;
    using clock = std::chrono::steady_clock;

    // `cfg` and `dp` outlive the manager.
    media_manager(const config::appliance& cfg, dataplane_client& dp);
    ~media_manager();
    media_manager(const media_manager&) = delete;
    media_manager& operator=(const media_manager&) = delete;

    // CDR file from calls.cdr_path. False with a one-line error naming the setting.
    cp::status open_cdr();

    const profile_selector& profiles() const { return profiles_; }
    profile_selector& profiles() { return profiles_; }

    // Admission: the licensed session limit (calls.max_sessions); emergency calls are exempt.
    bool at_capacity() const;
    // A call between two legs: one port from each realm's pool. Errors: at_capacity, no_ports
    // (for an ordinary call also when only calls.emergency_port_reserve ports are left).
    cp::result<session_id, status> create(leg_setup a, leg_setup b, bool emergency = false);

    // Offer/answer (see media_session). answer() calls `done` once: after the dataplane
    // acknowledged the flows (status ok, body = the answer for the offerer), or with the error
    // (nothing of the new state is installed then).
    status offer(session_id id, side from, std::string_view body, std::string& out);
    void answer(session_id id, side from, std::string_view body, done_fn done);
    void cancel_offer(session_id id);
    void set_signalling_source(session_id id, side s, const shm::ip_address& addr);

    // The call is over: flows removed (counters read first), ports back to the pools, one call
    // record written. Idempotent.
    void end(session_id id, const call_summary& summary);

    // Dataplane events (from dataplane_link::on_event) and re-attach (on_reattach).
    void on_event(const dp_event& ev);
    void replay();
    // sbcd start (issue 15): the flows the dataplane holds (dataplane_client::read_flow_table).
    // A flow of one of our calls is kept; any other was left by a previous sbcd that crashed or
    // stopped: its port is kept out of the pool while it relays on, and tick() removes it
    // calls.orphan_flow_grace_s after `now`. Returns how many orphans were found.
    size_t adopt_flow_table(const std::vector<shm::event>& flows, clock::time_point now);
    // Programming deadlines and media timeouts; call about once a second (and in tests).
    void tick(clock::time_point now);
    void on_media_timeout(timeout_fn fn) { on_timeout_ = std::move(fn); }

    const media_session* find(session_id id) const;
    const leg_runtime* runtime(session_id id, side s) const;
    size_t active() const { return sessions_.size(); }
    size_t programming() const { return programmer_.in_flight(); }
    media_counters counters() const;

    // Views for sbcctl (media_json.cpp): one call's media (legs, profiles, ports, counters),
    // and the totals.
    nlohmann::json session_json(session_id id) const;
    nlohmann::json counters_json() const;
    // What start found in the dataplane: {"orphan_flows_found", "orphan_flows_removed",
    // "orphan_flows_pending", "orphan_removal_in_s" (while pending), "unknown_flow_events"}.
    nlohmann::json restart_json(clock::time_point now) const;

    std::chrono::milliseconds programming_deadline{2000};

  private:
    struct entry {
        std::unique_ptr<media_session> session;
        std::array<leg_runtime, 2> rt;
        std::chrono::system_clock::time_point started;
        clock::time_point media_since{};  // media became active (or resumed from hold)
        bool emergency = false;
        bool timed_out = false;
        bool was_held = false;
        bool programming = false;
    };

    entry* lookup(session_id id);
    // Puts back what the dataplane had before a failed programming: the current flows, or none.
    void restore(entry& e);
    // The programming of an answer ended (flow_programmer's done).
    void programmed(session_id id, flow_programmer::outcome how, const std::string& nack,
                    bool rekey, const std::string& body, const done_fn& done);
    status refuse(status st);
    nlohmann::json leg_json(const entry& e, side s) const;
    void find_media_timeouts(clock::time_point now);
    void remove_orphans(clock::time_point now);

    const config::appliance& cfg_;
    dataplane_client& dp_;
    profile_selector profiles_;
    realm_ports ports_;
    flow_programmer programmer_;
    hairpin_map hairpin_;
    std::unordered_map<session_id, entry> sessions_;
    session_id next_id_ = 1;
    size_t emergency_sessions_ = 0;
    media_counters counters_;  // the programmer's three are its own
    uint64_t refused_[static_cast<size_t>(errc::programming_timeout) + 1] = {};
    cdr_writer cdr_;
    timeout_fn on_timeout_;

    // A previous sbcd's flow, waiting for its grace period to end. `realm` is the realm whose
    // media address it uses (its port is taken from that pool), null when none of ours does.
    struct orphan {
        shm::flow_key key;
        const config::realm* realm = nullptr;
        bool port_taken = false;
    };
    std::vector<orphan> orphans_;
    clock::time_point orphans_due_{};
};

}  // namespace sbc::cp::media
