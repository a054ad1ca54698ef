#pragma once
// Initialisation vectors of the SRTP/SRTCP transforms.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sbc::srtp::detail {

static_assert(std::endian::native == std::endian::little, "cm_iv byte-swaps native words");

// The salt: 14 bytes (AES-CM, the two low bytes of the IV are the block counter) or 12 (GCM).
inline void salt_iv(uint8_t iv[16], const uint8_t* salt, size_t n) noexcept {
    std::memset(iv, 0, 16);
    std::memcpy(iv, salt, n);
}

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), as two big-endian
// 64-bit halves: bytes 4-7 take the SSRC, bytes 8-13 the 48-bit index.
inline void cm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, int64_t index) noexcept {
    salt_iv(iv, salt, 14);
    uint64_t hi, lo;
    std::memcpy(&hi, iv, 8);
    std::memcpy(&lo, iv + 8, 8);
    hi ^= __builtin_bswap64(uint64_t{ssrc});
    lo ^= __builtin_bswap64(static_cast<uint64_t>(index) << 16);
    std::memcpy(iv, &hi, 8);
    std::memcpy(iv + 8, &lo, 8);
}

// RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt (12 bytes).
inline void gcm_rtp_iv(uint8_t iv[16], const uint8_t salt[12], uint32_t ssrc,
                       int64_t index) noexcept {
    salt_iv(iv, salt, 12);
    iv[2] ^= static_cast<uint8_t>(ssrc >> 24);
    iv[3] ^= static_cast<uint8_t>(ssrc >> 16);
    iv[4] ^= static_cast<uint8_t>(ssrc >> 8);
    iv[5] ^= static_cast<uint8_t>(ssrc);
    auto i = static_cast<uint64_t>(index);
    for (int b = 0; b < 6; ++b) {
        iv[11 - b] ^= static_cast<uint8_t>(i >> (8 * b));
    }
}

// SRTCP AES-CM: as RTP with the 31-bit SRTCP index as i (RFC 3711 §4.1.1, §3.4).
inline void cm_rtcp_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc,
                       uint32_t index) noexcept {
    salt_iv(iv, salt, 14);
    iv[4] ^= static_cast<uint8_t>(ssrc >> 24);
    iv[5] ^= static_cast<uint8_t>(ssrc >> 16);
    iv[6] ^= static_cast<uint8_t>(ssrc >> 8);
    iv[7] ^= static_cast<uint8_t>(ssrc);
    iv[10] ^= static_cast<uint8_t>(index >> 24);
    iv[11] ^= static_cast<uint8_t>(index >> 16);
    iv[12] ^= static_cast<uint8_t>(index >> 8);
    iv[13] ^= static_cast<uint8_t>(index);
}

// RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt.
inline void gcm_rtcp_iv(uint8_t iv[16], const uint8_t salt[12], uint32_t ssrc,
                        uint32_t index) noexcept {
    salt_iv(iv, salt, 12);
    iv[2] ^= static_cast<uint8_t>(ssrc >> 24);
    iv[3] ^= static_cast<uint8_t>(ssrc >> 16);
    iv[4] ^= static_cast<uint8_t>(ssrc >> 8);
    iv[5] ^= static_cast<uint8_t>(ssrc);
    iv[8] ^= static_cast<uint8_t>(index >> 24);
    iv[9] ^= static_cast<uint8_t>(index >> 16);
    iv[10] ^= static_cast<uint8_t>(index >> 8);
    iv[11] ^= static_cast<uint8_t>(index);
}

}  // namespace sbc::srtp::detail
