#pragma once
// The media load tool's traffic: the access side ("softphones") sends SRTP (libsrtp2 protects
// it) to every call's access leg and receives the SRTP the relay makes of OSV's RTP; the core
// side ("OSV") sends RTP to every call's core leg and receives the RTP the relay made of the
// SRTP. Each side has one link (load_link.hpp) and one thread. Sends go out in batches at a set
// rate spread evenly over the calls (at calls x 50 pps each way: real G.711 timing). Every RTP
// payload received is checked byte for byte; the SRTP received for one call in `sample_every` is
// decrypted with libsrtp2 and checked, the others by length and header.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/media/load_calls.hpp"
#include "bench/media/load_link.hpp"

namespace sbc::bench {

struct side_stats {
    uint64_t sent = 0;
    uint64_t send_failed = 0;     // the generator's own loss: the link refused them
    uint64_t received = 0;        // of the measured packets, checked good
    uint64_t bad = 0;             // wrong length, header, payload or failed decryption
    uint64_t unknown_source = 0;  // from a port that is no call's leg
    uint64_t decrypted = 0;       // sample decrypted with libsrtp2 and checked
    uint64_t socket_drops = 0;    // the generator's own receive drops (a full socket buffer)
};

struct traffic_plan {
    // Made inside each side's thread (a socket link enters its namespace there).
    std::function<std::unique_ptr<link>()> access_link, core_link;
    double pps = 1000;  // each way
    bool access_to_core = true, core_to_access = true;
    double seconds = 10;
    uint32_t sample_every = 64;
};

struct traffic_result {
    side_stats access, core;  // access: SRTP sent, SRTP received; core: RTP sent, RTP received
    double measured_seconds = 0;
    std::string error;
};

// Warm-up (two packets per stream each way, not counted: neighbours resolved, legs latched),
// then `on_start`, the measured interval, a drain of one second, then `on_end`.
traffic_result run_traffic(const traffic_plan& plan, const std::vector<load_call>& calls,
                           const std::function<void()>& on_start,
                           const std::function<void()>& on_end);

}  // namespace sbc::bench
