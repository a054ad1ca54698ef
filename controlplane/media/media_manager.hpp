#pragma once
// The media manager: owns every call's media_session, the per-realm port pools and the
// programming of the dataplane. An answer is relayed only after both flows of the call are
// acknowledged by the dataplane (the `done` callback); a refused SDP or a nack leaves nothing
// behind. Dataplane events (latched, SSRC changed, auth-failure bursts, key switched) update the
// call; tick() finds calls whose media stopped (media_timeout_s) and reports them to the
// signalling layer; a dataplane restart is repaired by replay(). Runs on sbcd's loop thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "controlplane/media/call_record.hpp"
#include "controlplane/media/media_session.hpp"
#include "controlplane/media/port_pool.hpp"
#include "controlplane/media/profile_selector.hpp"

namespace sbc::cp::media {

using session_id = uint64_t;

// Manager-wide counters, for `sbcctl calls` and `sbcctl status`.
struct media_counters {
    uint64_t sessions_created = 0;
    uint64_t sessions_ended = 0;
    uint64_t offers = 0;
    uint64_t answers = 0;
    uint64_t refused[static_cast<size_t>(errc::programming_timeout) + 1] = {};
    uint64_t flows_programmed = 0;  // flow_add/update acknowledged
    uint64_t flows_removed = 0;
    uint64_t nacks = 0;
    uint64_t rekeys = 0;  // a peer changed its SRTP key in a re-offer
    uint64_t latch_events = 0;
    uint64_t ssrc_events = 0;
    uint64_t auth_fail_bursts = 0;
    uint64_t media_timeouts = 0;
    uint64_t replays = 0;
};

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
    bool open_cdr(std::string& error);

    const profile_selector& profiles() const { return profiles_; }

    // Admission: the licensed session limit (calls.max_sessions); emergency calls are exempt.
    bool at_capacity() const;
    struct created {
        status st;
        session_id id = 0;
    };
    // A call between two legs: one port from each realm's pool. Errors: at_capacity, no_ports.
    created create(leg_setup a, leg_setup b, bool emergency = false);

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
    // Programming deadlines and media timeouts; call about once a second (and in tests).
    void tick(clock::time_point now);
    void on_media_timeout(timeout_fn fn) { on_timeout_ = std::move(fn); }

    const media_session* find(session_id id) const;
    const leg_runtime* runtime(session_id id, side s) const;
    size_t active() const { return sessions_.size(); }
    size_t programming() const { return programs_.size(); }
    const media_counters& counters() const { return counters_; }

    // Views for sbcctl: one call's media (legs, profiles, ports, counters), and the totals.
    nlohmann::json session_json(session_id id) const;
    nlohmann::json counters_json() const;

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
    struct program {
        session_id id;
        std::vector<uint64_t> seqs;
        std::string body;
        done_fn done;
        clock::time_point deadline;
        std::string error;  // first nack
        bool rekey = false;
    };

    // Hairpin: a leg whose peer is one of our own media endpoints (OSV connecting two of our
    // subscribers without anchoring media sends each call's core leg to the other's). Packets
    // sent there would come back to us, so the leg relays straight to the leg behind that
    // endpoint instead, and the looped leg itself needs no flow.
    struct leg_ref {
        session_id id;
        side s;
    };
    std::optional<leg_ref> loop_target(session_id id, const shm::endpoint& peer,
                                       uint16_t dpdk_port) const;
    void apply_loops(session_id id, media_session::flow_plan& plan) const;
    std::optional<leg_ref> looped(session_id id, side s) const;
    static uint64_t endpoint_key(uint16_t dpdk_port, const shm::ip_address& a, uint16_t port);

    entry* lookup(session_id id);
    port_pool& pool_for(const config::realm& r);
    void finish(uint64_t program_id, bool timed_out);
    void restore(entry& e);
    nlohmann::json leg_json(const entry& e, side s) const;
    void count_refusal(const status& st);

    const config::appliance& cfg_;
    dataplane_client& dp_;
    profile_selector profiles_;
    std::map<std::string, port_pool, std::less<>> pools_;
    std::unordered_map<session_id, entry> sessions_;
    std::unordered_map<uint64_t, program> programs_;    // by program id
    std::unordered_map<uint64_t, uint64_t> seq_owner_;  // command seq -> program id
    std::unordered_map<uint64_t, leg_ref> local_;       // our media endpoints -> their leg
    session_id next_id_ = 1;
    uint64_t next_program_ = 1;
    size_t emergency_sessions_ = 0;
    media_counters counters_;
    cdr_writer cdr_;
    timeout_fn on_timeout_;
};

}  // namespace sbc::cp::media
