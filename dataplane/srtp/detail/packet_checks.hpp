#pragma once
// Per-packet checks and bookkeeping both engines (ipsec-mb and libsrtp2) do the same way: the
// trailer a key adds, the stream and its key, header and index checks before any crypto, and
// what the stream records once a packet authenticated. Each check that fails sets the packet's
// status and returns false (nullptr), so an engine's loop reads `if (!check(...)) continue;`.

#include <cstdint>

#include "dataplane/srtp/detail/header.hpp"
#include "dataplane/srtp/detail/index.hpp"
#include "dataplane/srtp/detail/key_roles.hpp"
#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"

namespace sbc::srtp::detail {

// SRTCP's E||index word (RFC 3711 §3.4).
inline constexpr uint32_t srtcp_e_bit = 0x80000000u;
inline constexpr uint32_t max_srtcp_index = 0x7fffffffu;

// What follows the RTP payload under k: MKI and tag (RFC 3711 §3.1), or tag and MKI (GCM,
// RFC 7714 §8).
inline uint16_t rtp_trailer(const key_set& k) noexcept {
    return static_cast<uint16_t>(k.mki_len + k.rtp_tag_len);
}

// What follows the SRTCP payload under k: E||index, MKI and tag in either order.
inline uint16_t rtcp_trailer(const key_set& k) noexcept {
    return static_cast<uint16_t>(4 + k.mki_len + k.rtcp_tag_len());
}

// Offset of E||index in a received SRTCP packet of `len` bytes under k: AES-CM puts MKI and tag
// after it, GCM only the MKI (the tag precedes it).
inline uint16_t rtcp_index_offset(const key_set& k, uint16_t len) noexcept {
    return static_cast<uint16_t>(len - k.mki_len - 4 - (k.aead ? 0 : k.rtcp_tag_len()));
}

// The packet's stream if it has a key; else nullptr with status::no_key. Clears the events.
inline stream* keyed_stream(packet& p) noexcept {
    p.events = 0;
    stream* s = p.strm;
    if (s == nullptr || stream_access::key(*s) == nullptr) {
        p.result = status::no_key;
        return nullptr;
    }
    return s;
}

// The RTP index of the packet with header v; false (replay) if the stream has seen it.
inline bool fresh_rtp_index(packet& p, stream& s, const rtp_view& v, index_guess& g) noexcept {
    g = guess_rtp_index(stream_access::rtp(s), stream_access::rtp_prev(s), v.ssrc, v.seq);
    if (!g.fresh_ok) {
        p.result = status::replay;
        return false;
    }
    return true;
}

// Received SRTP: a header with room for the current key's trailer, and a fresh index.
inline bool frame_unprotect_rtp(packet& p, stream& s, rtp_view& v, index_guess& g) noexcept {
    p.result = parse_rtp(p.data, p.len, rtp_trailer(*stream_access::key(s)), v);
    return p.result == status::ok && fresh_rtp_index(p, s, v, g);
}

// Received SRTCP: a header with room for the current key's trailer, and a fresh index read
// where that key puts it.
inline bool frame_unprotect_rtcp(packet& p, stream& s, uint32_t& ssrc, uint32_t& index) noexcept {
    const key_set& k = *stream_access::key(s);
    p.result = parse_rtcp(p.data, p.len, rtcp_trailer(k), ssrc);
    if (p.result != status::ok) {
        return false;
    }
    index = load_be32(p.data + rtcp_index_offset(k, p.len)) & max_srtcp_index;
    if (!rtcp_index_fresh(stream_access::rtcp(s), ssrc, index)) {
        p.result = status::replay;
        return false;
    }
    return true;
}

// RTP or RTCP to protect under k: a header, and room for k's trailer.
inline bool frame_protect_rtp(packet& p, const key_set& k, rtp_view& v) noexcept {
    p.result = parse_rtp(p.data, p.len, 0, v);
    if (p.result != status::ok) {
        return false;
    }
    if (uint32_t{p.len} + rtp_trailer(k) > p.capacity) {
        p.result = status::no_room;
        return false;
    }
    return true;
}
inline bool frame_protect_rtcp(packet& p, const key_set& k, uint32_t& ssrc) noexcept {
    p.result = parse_rtcp(p.data, p.len, 0, ssrc);
    if (p.result != status::ok) {
        return false;
    }
    if (uint32_t{p.len} + rtcp_trailer(k) > p.capacity) {
        p.result = status::no_room;
        return false;
    }
    return true;
}

// After a received packet authenticated under `used`, in packet order: the key roles move
// (accept_key), then the index is recorded. false with auth_fail (the key retired meanwhile)
// or replay (an earlier packet of the burst took the index).
inline bool commit_unprotect_rtp(packet& p, stream& s, const key_set* used, int64_t index,
                                 uint32_t ssrc, uint8_t& events) noexcept {
    if (!accept_key(s, used, false, index, events)) {
        p.result = status::auth_fail;
        return false;
    }
    if (!commit_rtp_index(stream_access::rtp(s), stream_access::rtp_prev(s), ssrc, index, events)) {
        p.result = status::replay;
        return false;
    }
    return true;
}
inline bool commit_unprotect_rtcp(packet& p, stream& s, const key_set* used, uint32_t index,
                                  uint32_t ssrc, uint8_t& events) noexcept {
    if (!accept_key(s, used, true, index, events)) {
        p.result = status::auth_fail;
        return false;
    }
    if (!commit_rtcp_index(stream_access::rtcp(s), ssrc, index)) {
        p.result = status::replay;
        return false;
    }
    return true;
}

// Sending SRTCP: one counter for every SSRC sent under the key, so (SSRC, index) never repeats.
inline uint32_t next_rtcp_index(const rtcp_index_state& st) noexcept {
    return st.valid ? st.index + 1 : 1;
}
inline void commit_rtcp_send(rtcp_index_state& st, uint32_t ssrc, uint32_t index) noexcept {
    st.index = index;
    st.ssrc = ssrc;
    st.valid = 1;
}

}  // namespace sbc::srtp::detail
