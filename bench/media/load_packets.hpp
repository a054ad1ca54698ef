#pragma once
// The packets of the media load tool: RTP (G.711, 20 ms: 160 bytes of payload) whose payload
// is a function of (call, direction, sequence number), so the receiver checks every byte of
// what it gets back without keeping what it sent.

#include <cstdint>
#include <cstring>

namespace sbc::bench {

inline constexpr uint16_t rtp_payload_len = 160;
inline constexpr uint16_t rtp_packet_len = 12 + rtp_payload_len;
inline constexpr uint16_t srtp_tag_len = 10;  // AES_CM_128_HMAC_SHA1_80

inline uint8_t payload_byte(uint32_t call, uint8_t dir, uint16_t seq, uint32_t k) {
    return static_cast<uint8_t>(call * 131u + dir * 71u + seq * 29u + k * 7u + (k >> 3));
}

// An RTP packet of stream (call, dir) with sequence `seq` into `out` (rtp_packet_len bytes).
inline void build_rtp(uint8_t* out, uint32_t call, uint8_t dir, uint32_t ssrc, uint16_t seq) {
    out[0] = 0x80;
    out[1] = 0;  // PCMU
    out[2] = static_cast<uint8_t>(seq >> 8);
    out[3] = static_cast<uint8_t>(seq);
    const uint32_t ts = uint32_t{seq} * rtp_payload_len;
    for (int b = 0; b < 4; ++b) {
        out[4 + b] = static_cast<uint8_t>(ts >> (24 - 8 * b));
        out[8 + b] = static_cast<uint8_t>(ssrc >> (24 - 8 * b));
    }
    for (uint32_t k = 0; k < rtp_payload_len; ++k) {
        out[12 + k] = payload_byte(call, dir, seq, k);
    }
}

inline uint32_t rtp_ssrc(const uint8_t* p) {
    return uint32_t{p[8]} << 24 | uint32_t{p[9]} << 16 | uint32_t{p[10]} << 8 | p[11];
}

inline uint16_t rtp_seq(const uint8_t* p) {
    return static_cast<uint16_t>(p[2] << 8 | p[3]);
}

// True when `p` (len bytes of plain RTP) is exactly what build_rtp made for (call, dir).
inline bool check_rtp(const uint8_t* p, size_t len, uint32_t call, uint8_t dir, uint32_t ssrc) {
    if (len != rtp_packet_len || p[0] != 0x80 || (p[1] & 0x7f) != 0 || rtp_ssrc(p) != ssrc) {
        return false;
    }
    const uint16_t seq = rtp_seq(p);
    for (uint32_t k = 0; k < rtp_payload_len; ++k) {
        if (p[12 + k] != payload_byte(call, dir, seq, k)) {
            return false;
        }
    }
    return true;
}

}  // namespace sbc::bench
