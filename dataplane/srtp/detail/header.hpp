#pragma once
// RTP (RFC 3550 §5.1) and RTCP header parsing, bounds-checked against the packet length.

#include <cstdint>
#include <cstring>

#include "dataplane/srtp/status.hpp"

namespace sbc::srtp::detail {

inline uint16_t load_be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) noexcept {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
inline void store_be32(uint8_t* p, uint32_t v) noexcept {
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}

inline constexpr uint16_t rtp_fixed_header = 12;
inline constexpr uint16_t rtcp_fixed_header = 8;

struct rtp_view {
    uint16_t header_len;  // fixed header + CSRCs + extension
    uint16_t seq;
    uint32_t ssrc;
};

// Parses the header of an RTP packet of `len` bytes of which the last `trailer` are not RTP
// (MKI, tag). ok, too_short or bad_header.
inline status parse_rtp(const uint8_t* p, uint16_t len, uint16_t trailer, rtp_view& v) noexcept {
    if (len < rtp_fixed_header + trailer) {
        return status::too_short;
    }
    if ((p[0] >> 6) != 2) {
        return status::bad_header;
    }
    uint32_t end = static_cast<uint32_t>(len) - trailer;
    uint32_t h = rtp_fixed_header + 4u * (p[0] & 0x0fu);
    if ((p[0] & 0x10u) != 0) {
        if (h + 4 > end) {
            return status::bad_header;
        }
        h += 4 + 4u * load_be16(p + h + 2);
    }
    if (h > end) {
        return status::bad_header;
    }
    v.header_len = static_cast<uint16_t>(h);
    v.seq = load_be16(p + 2);
    v.ssrc = load_be32(p + 8);
    return status::ok;
}

// RTCP: version 2 and room for the fixed header (the SSRC of the sender) before `trailer`.
inline status parse_rtcp(const uint8_t* p, uint16_t len, uint16_t trailer,
                         uint32_t& ssrc) noexcept {
    if (len < rtcp_fixed_header + trailer) {
        return status::too_short;
    }
    if ((p[0] >> 6) != 2) {
        return status::bad_header;
    }
    ssrc = load_be32(p + 4);
    return status::ok;
}

// Copies a tag or an MKI (0-4, 10 or 16 bytes) without a libc call for a variable length.
inline void copy_short(uint8_t* d, const uint8_t* s, unsigned n) noexcept {
    switch (n) {
        case 16:
            std::memcpy(d, s, 16);
            return;
        case 10:
            std::memcpy(d, s, 8);
            std::memcpy(d + 8, s + 8, 2);
            return;
        case 4:
            std::memcpy(d, s, 4);
            return;
        default:
            for (unsigned i = 0; i < n; ++i) {
                d[i] = s[i];
            }
    }
}

// Constant-time comparison of authentication tags (no early exit: the time does not depend on
// where they differ). The suites' lengths (4, 10, 16) as word compares.
inline bool tags_equal(const uint8_t* a, const uint8_t* b, unsigned n) noexcept {
    uint64_t d = 0;
    unsigned i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        d |= x ^ y;
    }
    for (; i + 2 <= n; i += 2) {
        uint16_t x, y;
        std::memcpy(&x, a + i, 2);
        std::memcpy(&y, b + i, 2);
        d |= static_cast<uint16_t>(x ^ y);
    }
    for (; i < n; ++i) {
        d |= static_cast<uint8_t>(a[i] ^ b[i]);
    }
    return d == 0;
}

}  // namespace sbc::srtp::detail
