#pragma once
// SRTP crypto suites: the parameters the framing and the engines need, in one table.
// No crypto library here, so the control plane can validate keys with the same rules.

#include <cstdint>
#include <string_view>

#include "dataplane/shm/contract.hpp"

namespace sbc::srtp {

using shm::srtp_suite;

struct suite_params {
    srtp_suite id;
    const char* name;         // SDES name (RFC 4568 §6.2, RFC 6188, RFC 7714 §12)
    uint8_t master_key_len;   // 16 or 32; also the session encryption key length
    uint8_t master_salt_len;  // 14 (AES-CM) or 12 (GCM); also the session salt length
    uint8_t auth_key_len;     // 20 (HMAC-SHA1) or 0 (AEAD)
    uint8_t rtp_tag_len;      // 10, 4 (_32 suites) or 16 (GCM)
    uint8_t rtcp_tag_len;     // 10 (SRTCP is always 80 bits with HMAC, RFC 4568 §6.2.1) or 16
    bool aead;                // RFC 7714 AES-GCM
};

// nullptr for srtp_suite::none and unknown values.
const suite_params* find_suite(srtp_suite id) noexcept;
// By SDES name, case-sensitive as on the wire; nullptr if unknown.
const suite_params* find_suite(std::string_view sdes_name) noexcept;

// Longest MKI carried on the wire: shm::srtp_key holds it in a uint32_t, sent big-endian.
inline constexpr uint8_t max_mki_len = 4;
// Largest per-packet overhead protect adds: SRTCP E+index (4) + MKI (4) + GCM tag (16).
inline constexpr uint16_t max_overhead = 24;

}  // namespace sbc::srtp
