#pragma once
// The E911 counters: one definition for the struct, `sbcctl e911 --json` and sbcctl's text
// (common/counters.hpp). Standard headers only: sbcctl includes it.

#include "common/counters.hpp"

// X(name, kind, unit, help)
#define SBC_E911_COUNTERS(X)                                                                    \
    X(active, gauge, "", "emergency calls in progress (both kinds)")                            \
    X(calls_from_access, counter, "", "softphone calls to an emergency number, relayed to OSV") \
    X(calls_to_provider, counter, "", "emergency calls from OSV to a remote endpoint")          \
    X(answered, counter, "", "emergency calls the provider answered")                           \
    X(failed, counter, "", "emergency calls no location domain took (the caller got an error)") \
    X(failovers, counter, "", "call attempts moved to the next location domain")                \
    X(over_session_limit, counter, "",                                                          \
      "emergency calls admitted while at calls.max_sessions (both kinds)")

namespace sbc::cp::e911 {

SBC_COUNTER_FAMILY(e911_counters, "e911", SBC_E911_COUNTERS);

}  // namespace sbc::cp::e911
