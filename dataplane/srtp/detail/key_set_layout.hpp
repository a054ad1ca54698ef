#pragma once
// The layout of sbc::srtp::key_set: private to the engines and to key_set.cpp.

#include <intel-ipsec-mb.h>

#include <cstddef>
#include <cstdint>

#include "dataplane/shm/contract.hpp"
#include "dataplane/srtp/common.hpp"

namespace sbc::srtp {

namespace detail {

// AES-CM + HMAC-SHA1 material for RTP or RTCP, in the form the ipsec-mb job API takes.
struct alignas(64) cm_material {
    uint8_t ipad[32];  // SHA-1 state after one block of (auth key XOR 0x36..), 20 bytes used
    uint8_t opad[32];  // same for 0x5c
    uint8_t enc[240];  // AES encryption round keys (176 bytes for AES-128)
};
static_assert(sizeof(cm_material) == 320);

struct alignas(64) gcm_material {
    gcm_key_data key;  // AES round keys and GHASH tables
};
static_assert(sizeof(gcm_material) == 1024);

inline constexpr size_t key_set_header = 128;

}  // namespace detail

// First line: what every packet under the key reads. Then the master key (control path).
// Then RTP material, then RTCP material (cm_material or gcm_material, by suite).
struct alignas(64) key_set {
    uint8_t aead;
    uint8_t key_len;  // session encryption key length: 16 or 32
    uint8_t rtp_tag_len;
    uint8_t rtcp_tag_len;
    uint8_t mki_len;
    direction dir;
    engine_kind kind;
    uint8_t salt_len;  // 14 or 12
    uint8_t mki[4];    // as on the wire (big-endian), mki_len bytes used
    uint32_t pad0;
    uint8_t rtp_salt[16];  // session salts, zero padded
    uint8_t rtcp_salt[16];
    void* lib;  // libsrtp2 srtp_t, engine_kind::libsrtp only
    void* pad1;
    shm::srtp_key master;
    uint8_t pad2[8];

    uint8_t* material() noexcept {
        return reinterpret_cast<uint8_t*>(this) + detail::key_set_header;
    }
    const uint8_t* material() const noexcept {
        return reinterpret_cast<const uint8_t*>(this) + detail::key_set_header;
    }
    const detail::cm_material& rtp_cm() const noexcept {
        return *reinterpret_cast<const detail::cm_material*>(material());
    }
    const detail::cm_material& rtcp_cm() const noexcept {
        return *reinterpret_cast<const detail::cm_material*>(material() +
                                                             sizeof(detail::cm_material));
    }
    const detail::gcm_material& rtp_gcm() const noexcept {
        return *reinterpret_cast<const detail::gcm_material*>(material());
    }
    const detail::gcm_material& rtcp_gcm() const noexcept {
        return *reinterpret_cast<const detail::gcm_material*>(material() +
                                                              sizeof(detail::gcm_material));
    }
};
static_assert(sizeof(key_set) == detail::key_set_header);

}  // namespace sbc::srtp
