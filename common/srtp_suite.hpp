#pragma once
// SRTP crypto suites: one table for every layer. sip/ parses and names them in a=crypto
// (RFC 4568 §6.2, RFC 6188 §7, RFC 7714 §14.2), config/ spells them in media profiles, the
// control plane chooses and keys them, the dataplane runs them. The enumerator values are the
// wire values of the shared-memory contract (dataplane/shm/contract.hpp pins them), so a value
// is never reused. Standard headers only: every layer includes this.

#include <cstdint>
#include <string_view>

namespace sbc {

// The suites the dataplane runs.
// X(id, contract value, SDES name, master key bytes, master salt bytes, auth key bytes,
//   SRTP tag bytes, SRTCP tag bytes, AEAD)
// SRTCP tags are 80 bits with HMAC-SHA1 even for the _32 suites (RFC 4568 §6.2.1).
#define SBC_SRTP_SUITES(X)                                                              \
    X(aes_cm_128_hmac_sha1_80, 1, "AES_CM_128_HMAC_SHA1_80", 16, 14, 20, 10, 10, false) \
    X(aes_cm_128_hmac_sha1_32, 2, "AES_CM_128_HMAC_SHA1_32", 16, 14, 20, 4, 10, false)  \
    X(aes_256_cm_hmac_sha1_80, 3, "AES_256_CM_HMAC_SHA1_80", 32, 14, 20, 10, 10, false) \
    X(aes_256_cm_hmac_sha1_32, 4, "AES_256_CM_HMAC_SHA1_32", 32, 14, 20, 4, 10, false)  \
    X(aead_aes_128_gcm, 5, "AEAD_AES_128_GCM", 16, 12, 0, 16, 16, true)                 \
    X(aead_aes_256_gcm, 6, "AEAD_AES_256_GCM", 32, 12, 0, 16, 16, true)

// Suites SDES names that nothing here runs: a=crypto lines with them are parsed and checked
// (key length), never chosen.
#define SBC_SRTP_SDES_ONLY_SUITES(X)                                                    \
    X(f8_128_hmac_sha1_80, 7, "F8_128_HMAC_SHA1_80", 16, 14, 20, 10, 10, false)         \
    X(aes_192_cm_hmac_sha1_80, 8, "AES_192_CM_HMAC_SHA1_80", 24, 14, 20, 10, 10, false) \
    X(aes_192_cm_hmac_sha1_32, 9, "AES_192_CM_HMAC_SHA1_32", 24, 14, 20, 4, 10, false)

enum class srtp_suite : uint8_t {
    none = 0,  // no suite, or one SDES does not know
#define SBC_X(id, value, name, key, salt, auth, rtp_tag, rtcp_tag, aead) id = value,
    SBC_SRTP_SUITES(SBC_X) SBC_SRTP_SDES_ONLY_SUITES(SBC_X)
#undef SBC_X
};

struct srtp_suite_info {
    srtp_suite id;
    std::string_view name;    // as written in a=crypto and in the config, case-sensitive
    uint8_t master_key_len;   // also the session encryption key length
    uint8_t master_salt_len;  // also the session salt length
    uint8_t auth_key_len;     // 20 (HMAC-SHA1) or 0 (AEAD)
    uint8_t rtp_tag_len;
    uint8_t rtcp_tag_len;
    bool aead;      // RFC 7714 AES-GCM
    bool runnable;  // the dataplane runs it (SBC_SRTP_SUITES)
};

inline constexpr srtp_suite_info srtp_suites[] = {
#define SBC_X(id, value, name, key, salt, auth, rtp_tag, rtcp_tag, aead) \
    {srtp_suite::id, name, key, salt, auth, rtp_tag, rtcp_tag, aead, true},
    SBC_SRTP_SUITES(SBC_X)
#undef SBC_X
#define SBC_X(id, value, name, key, salt, auth, rtp_tag, rtcp_tag, aead) \
    {srtp_suite::id, name, key, salt, auth, rtp_tag, rtcp_tag, aead, false},
        SBC_SRTP_SDES_ONLY_SUITES(SBC_X)
#undef SBC_X
};

// The row of a suite; nullptr for none and values outside the table.
constexpr const srtp_suite_info* find_srtp_suite(srtp_suite id) noexcept {
    for (const auto& s : srtp_suites) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

// By name as written on the wire (RFC 4568 grammar: case-sensitive); nullptr if unknown.
constexpr const srtp_suite_info* find_srtp_suite(std::string_view name) noexcept {
    for (const auto& s : srtp_suites) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

constexpr std::string_view srtp_suite_name(srtp_suite id) noexcept {
    const srtp_suite_info* s = find_srtp_suite(id);
    return s != nullptr ? s->name : std::string_view{};
}

constexpr bool dataplane_runs(srtp_suite id) noexcept {
    const srtp_suite_info* s = find_srtp_suite(id);
    return s != nullptr && s->runnable;
}

}  // namespace sbc
