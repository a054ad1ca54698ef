#include "dataplane/srtp/master_key.hpp"

#include <openssl/rand.h>

#include <cstring>
#include <iterator>

#include "dataplane/srtp/suite.hpp"

namespace sbc::srtp {

const char* key_error_text(key_error e) noexcept {
    switch (e) {
#define SBC_X(name, nack, text) \
    case key_error::name:       \
        return text;
        SBC_SRTP_KEY_ERRORS(SBC_X)
#undef SBC_X
    }
    return "unknown key error";
}

shm::nack_reason to_nack_reason(key_error e) noexcept {
    static constexpr shm::nack_reason table[] = {
#define SBC_X(name, nack, text) shm::nack_reason::nack,
        SBC_SRTP_KEY_ERRORS(SBC_X)
#undef SBC_X
    };
    auto i = static_cast<size_t>(e);
    return i < std::size(table) ? table[i] : shm::nack_reason::bad_key;
}

key_error validate(const shm::srtp_key& k) noexcept {
    const suite_params* s = find_suite(k.suite);
    if (s == nullptr) {
        return key_error::unsupported_suite;
    }
    if (k.master_key_len != s->master_key_len) {
        return key_error::bad_key_length;
    }
    if (k.master_salt_len != s->master_salt_len) {
        return key_error::bad_salt_length;
    }
    if (k.mki_len > max_mki_len) {
        return key_error::bad_mki_length;
    }
    if (k.mki_len < 4 && (uint64_t{k.mki} >> (8 * k.mki_len)) != 0) {
        return key_error::mki_too_large;
    }
    return key_error::none;
}

key_error generate_master_key(shm::srtp_suite suite, shm::srtp_key& k) noexcept {
    const suite_params* s = find_suite(suite);
    if (s == nullptr) {
        return key_error::unsupported_suite;
    }
    std::memset(&k, 0, sizeof k);
    k.suite = suite;
    k.master_key_len = s->master_key_len;
    k.master_salt_len = s->master_salt_len;
    if (RAND_bytes(k.master_key, s->master_key_len) != 1 ||
        RAND_bytes(k.master_salt, s->master_salt_len) != 1) {
        std::memset(&k, 0, sizeof k);
        return key_error::rng_failed;
    }
    return key_error::none;
}

bool same_key(const shm::srtp_key& a, const shm::srtp_key& b) noexcept {
    return a.suite == b.suite && a.master_key_len == b.master_key_len &&
           a.master_salt_len == b.master_salt_len && a.mki_len == b.mki_len &&
           (a.mki_len == 0 || a.mki == b.mki) && a.master_key_len <= sizeof a.master_key &&
           a.master_salt_len <= sizeof a.master_salt &&
           std::memcmp(a.master_key, b.master_key, a.master_key_len) == 0 &&
           std::memcmp(a.master_salt, b.master_salt, a.master_salt_len) == 0;
}

}  // namespace sbc::srtp
