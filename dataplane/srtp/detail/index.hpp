#pragma once
// RFC 3711 §3.3.1 packet index estimation and §3.3.2 replay protection, on the plain state
// records of stream.hpp. Pure functions: the engines call them, the tests drive them directly.

#include <cstdint>

#include "dataplane/srtp/status.hpp"
#include "dataplane/srtp/stream.hpp"

namespace sbc::srtp::detail {

using u128 = unsigned __int128;

inline constexpr int64_t max_index = (int64_t{1} << 48) - 1;

// A replay window: four 32-bit words, least significant first.
inline u128 load_window(const uint32_t w[4]) noexcept {
    return (u128{w[3]} << 96) | (u128{w[2]} << 64) | (u128{w[1]} << 32) | w[0];
}
inline void store_window(uint32_t w[4], u128 v) noexcept {
    for (int i = 0; i < 4; ++i) {
        w[i] = static_cast<uint32_t>(v >> (32 * i));
    }
}

inline int64_t highest_index(const rtp_index_state& st) noexcept {
    return (static_cast<int64_t>(st.roc) << 16) | st.s_l;
}

// RFC 3711 Appendix A: the index whose sequence number is `seq` and that lies closest to the
// highest one seen. -1 for "before index 0" (ROC would be -1); > max_index when the ROC would
// roll past 2^32.
inline int64_t estimate_index(const rtp_index_state& st, uint16_t seq) noexcept {
    int64_t roc = st.roc;
    if (st.s_l < 32768) {
        if (static_cast<int32_t>(seq) - st.s_l > 32768) {
            roc -= 1;
        }
    } else if (static_cast<int32_t>(st.s_l) - 32768 > seq) {
        roc += 1;
    }
    if (roc < 0) {
        return -1;
    }
    return (roc << 16) | seq;
}

// Replay check against a valid state: true if `index` may still be accepted.
inline bool rtp_index_fresh(const rtp_index_state& st, int64_t index) noexcept {
    if (index < 0) {
        return false;
    }
    int64_t delta = index - highest_index(st);
    if (delta > 0) {
        return true;
    }
    if (-delta >= static_cast<int64_t>(replay_window)) {
        return false;
    }
    return ((load_window(st.window) >> static_cast<unsigned>(-delta)) & 1u) == 0;
}

// Records an accepted index (after authentication on rx). Precondition: st.valid and
// rtp_index_fresh(st, index).
inline void rtp_index_accept(rtp_index_state& st, int64_t index) noexcept {
    int64_t delta = index - highest_index(st);
    u128 w = load_window(st.window);
    if (delta > 0) {
        w = delta >= static_cast<int64_t>(replay_window) ? u128{0}
                                                         : w << static_cast<unsigned>(delta);
        w |= 1u;
        st.roc = static_cast<uint32_t>(index >> 16);
        st.s_l = static_cast<uint16_t>(index);
    } else {
        w |= u128{1} << static_cast<unsigned>(-delta);
    }
    store_window(st.window, w);
}

// A fresh state for `ssrc` whose first accepted index is `index`.
inline rtp_index_state rtp_index_start(uint32_t ssrc, int64_t index) noexcept {
    rtp_index_state st{};
    st.ssrc = ssrc;
    st.roc = static_cast<uint32_t>(index >> 16);
    st.s_l = static_cast<uint16_t>(index);
    st.valid = 1;
    st.window[0] = 1;
    return st;
}

// Where a packet of `ssrc` with sequence `seq` falls: which state it is measured against
// (current, the previous SSRC's, or a new index space starting at ROC 0) and its index.
enum class ssrc_match : uint8_t { current, previous, fresh };

struct index_guess {
    int64_t index;
    ssrc_match match;
    bool fresh_ok;  // replay pre-check passed
};

inline index_guess guess_rtp_index(const rtp_index_state& cur, const rtp_index_state& prev,
                                   uint32_t ssrc, uint16_t seq) noexcept {
    if (cur.valid && cur.ssrc == ssrc) {
        int64_t idx = estimate_index(cur, seq);
        return {idx, ssrc_match::current, rtp_index_fresh(cur, idx)};
    }
    if (prev.valid && prev.ssrc == ssrc) {
        int64_t idx = estimate_index(prev, seq);
        return {idx, ssrc_match::previous, rtp_index_fresh(prev, idx)};
    }
    // RFC 3711 §3.3.1: a new SSRC starts its own index space; the ROC of an unknown
    // stream is 0 (or what restore_index() set for a stream not yet valid).
    int64_t idx = cur.valid ? seq : ((static_cast<int64_t>(cur.roc) << 16) | seq);
    return {idx, ssrc_match::fresh, true};
}

// Applies an accepted RTP packet to the stream's SSRC states (current / previous) and returns
// event bits. false if the index turned out to be a replay against the state at commit time
// (an earlier packet of the same burst took it).
inline bool commit_rtp_index(rtp_index_state& cur, rtp_index_state& prev, uint32_t ssrc,
                             int64_t index, uint8_t& events) noexcept {
    if (cur.valid && cur.ssrc == ssrc) {
        if (!rtp_index_fresh(cur, index)) {
            return false;
        }
        rtp_index_accept(cur, index);
        return true;
    }
    if (prev.valid && prev.ssrc == ssrc) {
        if (!rtp_index_fresh(prev, index)) {
            return false;
        }
        rtp_index_state t = cur;
        cur = prev;
        prev = t;
        rtp_index_accept(cur, index);
        events |= ssrc_changed;
        return true;
    }
    events |= cur.valid ? ssrc_changed : ssrc_learned;
    if (cur.valid) {
        prev = cur;
    }
    cur = rtp_index_start(ssrc, index);
    return true;
}

// SRTCP (RFC 3711 §3.4): explicit 31-bit index, replay window on rx.
inline bool rtcp_index_fresh(const rtcp_index_state& st, uint32_t ssrc, uint32_t index) noexcept {
    if (!st.valid || st.ssrc != ssrc) {
        return true;
    }
    int64_t delta = static_cast<int64_t>(index) - st.index;
    if (delta > 0) {
        return true;
    }
    if (-delta >= static_cast<int64_t>(replay_window)) {
        return false;
    }
    return ((load_window(st.window) >> static_cast<unsigned>(-delta)) & 1u) == 0;
}

inline bool commit_rtcp_index(rtcp_index_state& st, uint32_t ssrc, uint32_t index) noexcept {
    if (!st.valid || st.ssrc != ssrc) {
        st = {};
        st.ssrc = ssrc;
        st.index = index;
        st.valid = 1;
        st.window[0] = 1;
        return true;
    }
    if (!rtcp_index_fresh(st, ssrc, index)) {
        return false;
    }
    int64_t delta = static_cast<int64_t>(index) - st.index;
    u128 w = load_window(st.window);
    if (delta > 0) {
        w = delta >= static_cast<int64_t>(replay_window) ? u128{0}
                                                         : w << static_cast<unsigned>(delta);
        w |= 1u;
        st.index = index;
    } else {
        w |= u128{1} << static_cast<unsigned>(-delta);
    }
    store_window(st.window, w);
    return true;
}

}  // namespace sbc::srtp::detail
