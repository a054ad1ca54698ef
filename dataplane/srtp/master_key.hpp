#pragma once
// Master keys as the control plane sends them (shm::srtp_key): validation against the suite,
// and generation of fresh ones. Part of the small `sbc_srtp_keys` library (OpenSSL only), so
// sbcd can use it without linking the dataplane's crypto engines.

#include <cstdint>

#include "dataplane/shm/contract.hpp"

namespace sbc::srtp {

// X(error, nack reason the dataplane answers with, text)
#define SBC_SRTP_KEY_ERRORS(X)                                                 \
    X(none, none, "ok")                                                        \
    X(unsupported_suite, unsupported_suite, "srtp suite not supported")        \
    X(bad_key_length, bad_key, "master key length does not match the suite")   \
    X(bad_salt_length, bad_key, "master salt length does not match the suite") \
    X(bad_mki_length, bad_key, "mki length is more than 4 bytes")              \
    X(mki_too_large, bad_key, "mki value does not fit in mki length bytes")    \
    X(engine_failed, unsupported_suite, "crypto engine refused the key")       \
    X(rng_failed, none, "random number generator failed")

enum class key_error : uint8_t {
#define SBC_X(name, nack, text) name,
    SBC_SRTP_KEY_ERRORS(SBC_X)
#undef SBC_X
};

const char* key_error_text(key_error e) noexcept;
shm::nack_reason to_nack_reason(key_error e) noexcept;

// Checks suite, key/salt lengths and MKI against the suite table. Never touches crypto.
key_error validate(const shm::srtp_key& k) noexcept;

// Fills k with a fresh master key and salt for `suite` from OpenSSL's CSPRNG (RAND_bytes),
// lengths from the suite table, no MKI. The control plane makes its own keys with this.
key_error generate_master_key(shm::srtp_suite suite, shm::srtp_key& k) noexcept;

// Same suite, lengths, MKI, key and salt bytes: a re-INVITE that repeats the key.
bool same_key(const shm::srtp_key& a, const shm::srtp_key& b) noexcept;

}  // namespace sbc::srtp
