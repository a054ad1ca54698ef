#pragma once
// The media manager's counters: the one definition that it counts in, `sbcctl calls --json`
// reports and `sbcctl calls` prints (common/counters.hpp). Standard headers only: sbcctl
// includes it.

#include "common/counters.hpp"

// The refusals are counted by cause beside these (media_error.hpp).
// X(name, kind, unit, help)
#define SBC_MEDIA_COUNTERS(X)                                                                    \
    X(sessions_created, counter, "", "media sessions created (one per call)")                    \
    X(sessions_ended, counter, "", "media sessions ended")                                       \
    X(offers, counter, "", "SDP offers rewritten")                                               \
    X(answers, counter, "", "SDP answers accepted")                                              \
    X(flows_programmed, counter, "", "flow_add/update commands the dataplane acknowledged")      \
    X(flows_removed, counter, "", "flow_del commands the dataplane acknowledged")                \
    X(nacks, counter, "", "commands the dataplane refused")                                      \
    X(rekeys, counter, "", "re-offers in which a peer changed its SRTP key")                     \
    X(latch_events, counter, "", "legs latched to their peer's real address")                    \
    X(ssrc_events, counter, "", "SSRC changes the dataplane reported")                           \
    X(auth_fail_bursts, counter, "", "bursts of SRTP authentication failures reported")          \
    X(media_timeouts, counter, "", "calls without media for media.media_timeout_s")              \
    X(replays, counter, "", "flow replays after a dataplane restart")                            \
    X(orphan_flows_found, counter, "", "flows at start that no call owns (a previous sbcd's)")   \
    X(orphan_flows_removed, counter, "", "orphan flows removed after calls.orphan_flow_grace_s") \
    X(unknown_flow_events, counter, "", "dataplane events about flows no call owns")

namespace sbc::cp::media {

SBC_COUNTER_FAMILY(media_counters, "media", SBC_MEDIA_COUNTERS);

}  // namespace sbc::cp::media
