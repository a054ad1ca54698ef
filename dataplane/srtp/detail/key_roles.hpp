#pragma once
// Which keys a received packet may be tried under, and what authenticating under one of them
// does to the stream's key roles (current, pending, retiring). Shared by both engines.

#include <cstdint>

#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"

namespace sbc::srtp::detail {

struct candidates {
    key_set* key[2];
    uint8_t n;
};

// RTP: a packet older than the first one seen under the current key may be under the retiring
// key (in flight across the roll); anything else is under the current key or the pending one.
inline candidates rtp_candidates(stream& s, int64_t index) noexcept {
    using A = stream_access;
    candidates c{{A::key(s), nullptr}, 1};
    if (A::retiring(s) != nullptr && static_cast<uint64_t>(index) < A::retire_below(s)) {
        c.key[0] = A::retiring(s);
        c.key[1] = A::key(s);
        c.n = 2;
    } else if (A::pending(s) != nullptr) {
        c.key[1] = A::pending(s);
        c.n = 2;
    }
    return c;
}

inline candidates rtcp_candidates(stream& s, uint32_t index) noexcept {
    using A = stream_access;
    candidates c{{A::key(s), nullptr}, 1};
    if (A::retiring(s) != nullptr && index < A::rtcp_retire_below(s)) {
        c.key[0] = A::retiring(s);
        c.key[1] = A::key(s);
        c.n = 2;
    } else if (A::pending(s) != nullptr) {
        c.key[1] = A::pending(s);
        c.n = 2;
    }
    return c;
}

// After a packet authenticated under `used`: false if the key may no longer be used for this
// index (it retired meanwhile); true otherwise, switching to `used` if it was pending.
inline bool accept_key(stream& s, const key_set* used, bool rtcp, int64_t index,
                       uint8_t& events) noexcept {
    using A = stream_access;
    if (used == A::key(s)) {
        if (!rtcp && A::retire_below(s) == no_switch_yet) {
            A::retire_below(s) = static_cast<uint64_t>(index);
        }
        if (rtcp && A::rtcp_retire_below(s) == no_rtcp_switch_yet) {
            A::rtcp_retire_below(s) = static_cast<uint32_t>(index);
        }
        return true;
    }
    if (used == A::pending(s)) {
        // First packet under the new key: it becomes current; the old one retires, valid only
        // for packets older than this one. install() frees what retires twice.
        A::set_dead(s, A::retiring(s));
        A::retiring(s) = A::key(s);
        A::key(s) = A::pending(s);
        A::pending(s) = nullptr;
        if (rtcp) {
            A::rtcp_retire_below(s) = static_cast<uint32_t>(index);
            A::retire_below(s) = no_switch_yet;
        } else {
            A::retire_below(s) = static_cast<uint64_t>(index);
            A::rtcp_retire_below(s) = no_rtcp_switch_yet;
        }
        events |= key_switched;
        return true;
    }
    if (used != nullptr && used == A::retiring(s)) {
        return rtcp ? static_cast<uint32_t>(index) < A::rtcp_retire_below(s)
                    : static_cast<uint64_t>(index) < A::retire_below(s);
    }
    return false;
}

// The MKI a key expects at `p` (mki_len bytes), or true without MKI.
inline bool mki_matches(const key_set& k, const uint8_t* p) noexcept {
    for (uint8_t i = 0; i < k.mki_len; ++i) {
        if (p[i] != k.mki[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace sbc::srtp::detail
