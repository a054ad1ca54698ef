#pragma once
// The programming tracker: a set of dataplane commands (flow_add/flow_del) sent for one media
// session's offer/answer, followed until the dataplane answered each of them. The session is
// told once: when every command was acknowledged (ok), when all were answered and one was
// nacked (the first nack's reason), or when the deadline passed first. Commands are idempotent
// (exist_ok/missing_ok), so what a failed programming installed is simply programmed back.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "controlplane/media/media_session.hpp"

namespace sbc::cp::media {

class flow_programmer {
  public:
    using clock = std::chrono::steady_clock;
    // How a programming ended: ok, or why not (`nack` carries the first nack's reason).
    enum class outcome : uint8_t { ok, nack, timeout };
    using done_fn = std::function<void(outcome, const std::string& nack)>;

    explicit flow_programmer(dataplane_client& dp) : dp_(dp) {}

    // Sends the plan's commands for `owner` (a media session) and calls `done` later. A command
    // the ring does not take is returned as the error (dp_errc::none: all sent); then nothing
    // is tracked and `done` is never called.
    dp_errc submit(uint64_t owner, const flow_plan& plan, clock::time_point deadline, done_fn done);
    // Puts a plan into the dataplane without tracking it (restore, replay): flows added, or
    // the keys removed when it installs nothing. Returns how many commands the ring took.
    size_t push(const flow_plan& plan);

    // An ack/nack from the dataplane; false when it answers nothing tracked here.
    bool on_reply(const dp_event& ev);
    // Programmings whose deadline passed end with outcome::timeout.
    void expire(clock::time_point now);
    // The owner is gone: its programmings are dropped, their `done` never called.
    void drop(uint64_t owner);

    size_t in_flight() const { return programs_.size(); }

    uint64_t flows_programmed = 0;  // flow_add/update acknowledged
    uint64_t flows_removed = 0;     // flow_del acknowledged
    uint64_t nacks = 0;

  private:
    struct program {
        uint64_t owner = 0;
        std::vector<uint64_t> seqs;  // commands not answered yet
        clock::time_point deadline;
        std::string nack;  // the first one
        done_fn done;
    };
    void finish(uint64_t program_id, outcome why);

    dataplane_client& dp_;
    std::unordered_map<uint64_t, program> programs_;    // by program id
    std::unordered_map<uint64_t, uint64_t> seq_owner_;  // command seq -> program id
    uint64_t next_program_ = 1;
};

}  // namespace sbc::cp::media
