#pragma once
// Hairpin: OSV connecting two of our subscribers without anchoring media offers each call's core
// leg the other call's core endpoint — an address and port the dataplane owns. Packets cannot be
// sent to ourselves, so a leg whose peer is one of our own endpoints gets no flow, and its
// partner relays straight to the leg behind that endpoint (access leg to access leg, SRTP to
// SRTP with each leg's keys). This is the table of our endpoints and the rewrite of a plan.

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>

#include "controlplane/media/flow_programming.hpp"
#include "controlplane/media/media_session.hpp"

namespace sbc::cp::media {

// One leg of one session.
struct leg_ref {
    session_id id;
    side s;
};

class hairpin_map {
  public:
    // The session a leg belongs to, or nullptr (ended).
    using find_fn = std::function<const media_session*(session_id)>;

    explicit hairpin_map(find_fn find) : find_(std::move(find)) {}

    // A session's two local endpoints are ours from create to end.
    void add(const media_session& s);
    void remove(const media_session& s);

    // The leg of another session whose local endpoint is `peer` (on `dpdk_port`), if any.
    std::optional<leg_ref> loop_target(session_id id, const shm::endpoint& peer,
                                       uint16_t dpdk_port) const;
    // Where the leg's current peer loops to, if it is one of our endpoints.
    std::optional<leg_ref> looped(session_id id, side s) const;
    // A looped leg's flow goes; its partner relays to the leg behind our endpoint instead.
    void apply(session_id id, flow_plan& plan) const;
    // The flow whose counters tell whether the peer of (id, s) sends: the leg's own, or for a
    // looped leg the one behind our endpoint, where that peer's packets arrive.
    shm::flow_key source_of(session_id id, side s) const;

  private:
    static uint64_t key(uint16_t dpdk_port, const shm::ip_address& a, uint16_t port);

    find_fn find_;
    std::unordered_map<uint64_t, leg_ref> local_;  // our media endpoints -> their leg
};

}  // namespace sbc::cp::media
