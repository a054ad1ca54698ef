#pragma once
// The B2BUA's counters: the one definition that the b2bua counts in, `sbcctl calls --json`
// reports and `sbcctl calls` prints (common/counters.hpp). Standard headers only: sbcctl includes
// it.

#include "common/counters.hpp"

// X(name, kind, unit, help)
#define SBC_B2BUA_COUNTERS(X)                                                                   \
    X(active, gauge, "", "calls in progress")                                                   \
    X(calls_from_access, counter, "", "calls a softphone started (INVITE on the access realm)") \
    X(calls_from_core, counter, "", "calls OSV started toward a registered softphone")          \
    X(answered, counter, "", "calls answered (2xx relayed to the caller)")                      \
    X(failed, counter, "", "calls that ended without an answer")                                \
    X(cancelled, counter, "", "calls the caller cancelled before the answer")                   \
    X(refused_capacity, counter, "", "calls refused 503: session limit or no media port")       \
    X(refused_media, counter, "", "calls refused 400/488: the caller's SDP was unusable")       \
    X(refused_no_node, counter, "", "calls refused 503: no usable OSV node")                    \
    X(reinvites, counter, "", "re-INVITEs relayed")                                             \
    X(updates, counter, "", "UPDATEs relayed or answered")                                      \
    X(glare_491, counter, "", "requests refused 491: an INVITE or offer was pending")           \
    X(prack, counter, "", "PRACKs relayed")                                                     \
    X(refer, counter, "", "REFERs relayed")                                                     \
    X(notify, counter, "", "NOTIFYs relayed")                                                   \
    X(other_requests, counter, "", "other in-dialog requests relayed (INFO, MESSAGE...)")       \
    X(refreshes_answered, counter, "", "UPDATE refreshes answered for a peer without UPDATE")   \
    X(byes, counter, "", "BYEs received")                                                       \
    X(unknown_dialog, counter, "", "in-dialog requests refused 481: no such dialog")            \
    X(media_timeouts, counter, "", "calls ended by the media timeout")                          \
    X(session_timer_expiries, counter, "", "calls ended by the session timer (RFC 4028)")       \
    X(no_ack, counter, "", "calls ended because a 2xx was never acknowledged")                  \
    X(no_answer, counter, "", "calls ended by the no-answer timeout")                           \
    X(flow_closed, counter, "", "calls ended: the softphone's connection (its flow) closed")

namespace sbc::cp::b2bua {

SBC_COUNTER_FAMILY(b2bua_counters, "b2bua", SBC_B2BUA_COUNTERS);

}  // namespace sbc::cp::b2bua
