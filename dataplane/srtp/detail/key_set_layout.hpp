#pragma once
// The layout of sbc::srtp::key_set: private to the engines and to key_set.cpp.
//
// One allocation, in the order the packet path reads it. AES-128-CM: an RTP packet reads
// four cache lines (the first line: lengths, MKI, salt and the HMAC-SHA1 pads; then the 176
// bytes of AES round keys), an RTCP packet four others, and the last line is the control path's.
//
//   [0, 64)                      key_set: RTP header, salt and HMAC pads
//   [64, 64 + c)                 RTP cipher keys (c: 192 for AES-128, 256 for AES-256 round
//                                keys; sizeof(gcm_key_data) for GCM)
//   [64 + c, 128 + c)            key_rtcp: RTCP salt, HMAC pads, tag length, direction
//   [128 + c, 128 + 2c)          RTCP cipher keys
//   [128 + 2c, 192 + 2c)         key_cold: libsrtp2 session, master key

#include <intel-ipsec-mb.h>

#include <cstddef>
#include <cstdint>

#include "dataplane/shm/contract.hpp"
#include "dataplane/srtp/common.hpp"

namespace sbc::srtp {

namespace detail {

// What HMAC-SHA1 + AES-CTR jobs take for RTP or RTCP.
struct cm_view {
    const uint8_t* ipad;  // SHA-1 state after one block of (auth key XOR 0x36..), 20 bytes
    const uint8_t* opad;  // same for 0x5c
    const uint8_t* enc;   // AES encryption round keys, 16-byte aligned
};

struct key_rtcp {
    uint8_t salt[14];  // SRTCP session salt (12 bytes used with GCM)
    uint8_t ipad[20];
    uint8_t opad[20];
    uint8_t tag_len;   // SRTCP tag: 10 (AES-CM, RFC 4568 §6.2.1) or 16 (GCM)
    uint8_t salt_len;  // 14 or 12
    direction dir;
    uint8_t pad[7];
};
static_assert(sizeof(key_rtcp) == 64);

struct alignas(64) key_cold {
    void* lib;  // libsrtp2 srtp_t, engine_kind::libsrtp only
    shm::srtp_key master;
};
static_assert(sizeof(key_cold) == 64);

}  // namespace detail

struct alignas(64) key_set {
    uint8_t aead;
    uint8_t key_len;  // session encryption key length: 16 or 32
    uint8_t rtp_tag_len;
    uint8_t mki_len;
    engine_kind kind;
    uint8_t mki[4];        // as on the wire (big-endian), mki_len bytes used
    uint8_t rtp_salt[14];  // SRTP session salt (12 bytes used with GCM)
    uint8_t rtp_ipad[20];  // AES-CM: HMAC-SHA1 pads of the RTP auth key (see cm_view)
    uint8_t rtp_opad[20];
    uint8_t alloc_offset;  // from the allocation's start (key_set.cpp aligns a malloc block)

    // Bytes of cipher keys per traffic kind, a whole number of cache lines.
    static constexpr size_t cipher_bytes(bool aead, uint8_t key_len) noexcept {
        return aead ? (sizeof(gcm_key_data) + 63) / 64 * 64 : (key_len == 16 ? 192 : 256);
    }
    static constexpr size_t allocation_size(bool aead, uint8_t key_len) noexcept {
        return 64 + 2 * (64 + cipher_bytes(aead, key_len));
    }
    size_t cipher_bytes() const noexcept { return cipher_bytes(aead != 0, key_len); }
    size_t allocation_size() const noexcept { return allocation_size(aead != 0, key_len); }

    const uint8_t* base() const noexcept { return reinterpret_cast<const uint8_t*>(this); }
    uint8_t* base() noexcept { return reinterpret_cast<uint8_t*>(this); }
    size_t rtcp_offset() const noexcept { return 64 + cipher_bytes(); }

    const detail::key_rtcp& rtcp() const noexcept {
        return *reinterpret_cast<const detail::key_rtcp*>(base() + rtcp_offset());
    }
    detail::key_rtcp& rtcp() noexcept {
        return *reinterpret_cast<detail::key_rtcp*>(base() + rtcp_offset());
    }
    const detail::key_cold& cold() const noexcept {
        return *reinterpret_cast<const detail::key_cold*>(base() + 128 + 2 * cipher_bytes());
    }
    detail::key_cold& cold() noexcept {
        return *reinterpret_cast<detail::key_cold*>(base() + 128 + 2 * cipher_bytes());
    }
    uint8_t* cipher(bool for_rtcp) noexcept {
        return base() + (for_rtcp ? rtcp_offset() + 64 : 64);
    }
    const uint8_t* cipher(bool for_rtcp) const noexcept {
        return base() + (for_rtcp ? rtcp_offset() + 64 : 64);
    }

    uint8_t rtcp_tag_len() const noexcept { return rtcp().tag_len; }
    const uint8_t* rtcp_salt() const noexcept { return rtcp().salt; }
    direction dir() const noexcept { return rtcp().dir; }
    void* lib() const noexcept { return cold().lib; }
    const shm::srtp_key& master() const noexcept { return cold().master; }

    detail::cm_view rtp_cm() const noexcept { return {rtp_ipad, rtp_opad, cipher(false)}; }
    detail::cm_view rtcp_cm() const noexcept { return {rtcp().ipad, rtcp().opad, cipher(true)}; }
    const gcm_key_data& rtp_gcm() const noexcept {
        return *reinterpret_cast<const gcm_key_data*>(cipher(false));
    }
    const gcm_key_data& rtcp_gcm() const noexcept {
        return *reinterpret_cast<const gcm_key_data*>(cipher(true));
    }
};
static_assert(sizeof(key_set) == 64, "the RTP header line");
static_assert(key_set::allocation_size(false, 16) == 576);

}  // namespace sbc::srtp
