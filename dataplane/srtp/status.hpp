#pragma once
// Per-packet results of the SRTP engines, generated from one table so that the status, its
// name and the dataplane drop reason it is counted under cannot drift.

#include <cstdint>

#include "dataplane/shm/contract.hpp"

namespace sbc::srtp {

// X(status, drop reason it is counted under (count_ = not a drop), text)
#define SBC_SRTP_STATUSES(X)                                                                \
    X(ok, count_, "ok")                                                                     \
    X(auth_fail, auth_fail, "authentication tag mismatch or unknown MKI")                   \
    X(replay, replay, "packet index already seen or older than the replay window")          \
    X(bad_header, bad_rtp, "malformed RTP/RTCP header")                                     \
    X(too_short, bad_rtp, "shorter than header plus MKI and tag")                           \
    X(no_key, crypto_error, "stream has no key installed")                                  \
    X(no_room, crypto_error, "no room after the packet for MKI and tag")                    \
    X(index_exhausted, crypto_error, "SRTP/SRTCP index space of the key exhausted (rekey)") \
    X(crypto_error, crypto_error, "crypto engine error")

enum class status : uint8_t {
#define SBC_X(name, drop, text) name,
    SBC_SRTP_STATUSES(SBC_X)
#undef SBC_X
        count_
};

const char* status_name(status s) noexcept;
const char* status_text(status s) noexcept;

// The drop reason a failed packet is counted under. Precondition: s != status::ok.
shm::drop_reason to_drop_reason(status s) noexcept;

// What else happened to the stream while a packet passed (bits in packet::events). Only set
// for packets whose status is ok: an unauthenticated packet never changes anything.
enum event_bits : uint8_t {
    ssrc_learned = 1u << 0,  // first packet of the stream: it now follows this SSRC
    ssrc_changed = 1u << 1,  // SSRC differs from the one followed so far; a new index space
    key_switched = 1u << 2,  // first packet under the pending key: it is now current
};

}  // namespace sbc::srtp
