#pragma once
// RFC 3711 §4.3 key derivation with the AES-CM PRF (§4.3.3), key derivation rate 0, and
// RFC 6188 (AES-256) / RFC 7714 §11 (GCM: 96-bit salt) variants. Control path only (a flow's
// install or key change): OpenSSL's AES.

#include <cstddef>
#include <cstdint>

#include "dataplane/shm/contract.hpp"

namespace sbc::srtp {

// RFC 3711 §4.3.2 labels.
enum class kdf_label : uint8_t {
    rtp_encryption = 0,
    rtp_auth = 1,
    rtp_salt = 2,
    rtcp_encryption = 3,
    rtcp_auth = 4,
    rtcp_salt = 5,
};

// PRF output for `label`: AES-CM keystream under the master key with IV
// (master_salt XOR (label << 48)) << 16. `master_salt` is 14 bytes (a 12-byte GCM salt is
// zero-padded on the right, as libsrtp does). key_len 16 or 32. Returns false on a crypto
// library failure.
bool kdf(const uint8_t* master_key, size_t key_len, const uint8_t master_salt[14], kdf_label label,
         uint8_t* out, size_t out_len) noexcept;

struct session_keys {
    uint8_t enc[32];   // key_len bytes used
    uint8_t auth[20];  // HMAC-SHA1 key; unused for AEAD
    uint8_t salt[14];  // 14 (AES-CM) or 12 (GCM) bytes used
};

// All three session keys of one master key for RTP (rtcp = false) or RTCP. `k` must be valid.
bool derive_session_keys(const shm::srtp_key& k, bool rtcp, session_keys& out) noexcept;
// RTP and RTCP session keys with one key schedule of the master key.
bool derive_session_keys(const shm::srtp_key& k, session_keys& rtp, session_keys& rtcp) noexcept;

}  // namespace sbc::srtp
