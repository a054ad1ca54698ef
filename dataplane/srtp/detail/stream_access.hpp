#pragma once
// The engines' window into sbc::srtp::stream (its runtime record is private to callers).

#include <cstdint>

#include "dataplane/srtp/stream.hpp"

namespace sbc::srtp::detail {

inline constexpr uint64_t no_switch_yet = UINT64_MAX;
inline constexpr uint32_t no_rtcp_switch_yet = UINT32_MAX;

struct stream_access {
    static key_set*& key(stream& s) noexcept { return s.key_; }
    static key_set*& pending(stream& s) noexcept { return s.pending_; }
    static key_set*& retiring(stream& s) noexcept { return s.retiring_; }
    static void set_dead(stream& s, key_set* k) noexcept { s.set_dead(k); }
    static uint64_t& retire_below(stream& s) noexcept { return s.retire_below_; }
    static uint32_t& rtcp_retire_below(stream& s) noexcept { return s.rtcp_retire_below_; }
    static rtp_index_state& rtp(stream& s) noexcept { return s.rtp_; }
    static rtp_index_state& rtp_prev(stream& s) noexcept { return s.rtp_prev_; }
    static rtcp_index_state& rtcp(stream& s) noexcept { return s.rtcp_; }
};

}  // namespace sbc::srtp::detail
