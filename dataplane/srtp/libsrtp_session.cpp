#include <srtp2/srtp.h>

#include <cstring>
#include <mutex>

#include "dataplane/srtp/detail/libsrtp_session.hpp"
#include "dataplane/srtp/suite.hpp"

namespace sbc::srtp::detail {
namespace {

using policy_setter = void (*)(srtp_crypto_policy_t*);

// Sets the SRTP and the SRTCP crypto policy of a suite.
struct policy_setters {
    policy_setter rtp;
    policy_setter rtcp;
};

policy_setters setters_for(srtp_suite suite) noexcept {
    // srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 is a macro for libsrtp's default.
    constexpr policy_setter cm_128_80 = srtp_crypto_policy_set_rtp_default;
    constexpr policy_setter cm_256_80 = srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80;
    // RFC 4568 §6.2.1: the _32 suites keep an 80-bit tag on SRTCP.
    switch (suite) {
        case srtp_suite::aes_cm_128_hmac_sha1_80:
            return {cm_128_80, cm_128_80};
        case srtp_suite::aes_cm_128_hmac_sha1_32:
            return {srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, cm_128_80};
        case srtp_suite::aes_256_cm_hmac_sha1_80:
            return {cm_256_80, cm_256_80};
        case srtp_suite::aes_256_cm_hmac_sha1_32:
            return {srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32, cm_256_80};
        case srtp_suite::aead_aes_128_gcm:
            return {srtp_crypto_policy_set_aes_gcm_128_16_auth,
                    srtp_crypto_policy_set_aes_gcm_128_16_auth};
        case srtp_suite::aead_aes_256_gcm:
            return {srtp_crypto_policy_set_aes_gcm_256_16_auth,
                    srtp_crypto_policy_set_aes_gcm_256_16_auth};
        default:  // none, and the suites SDES knows that the dataplane does not run
            break;
    }
    return {nullptr, nullptr};
}

}  // namespace

bool libsrtp_init() noexcept {
    static const bool ok = [] {
        if (srtp_init() == srtp_err_status_ok) {
            return true;
        }
        // srtp_init() refuses a second call (bad_param) when something else in the process
        // initialised libsrtp already: usable if a session can be made.
        srtp_policy_t p;
        std::memset(&p, 0, sizeof p);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        uint8_t key[30] = {};
        p.key = key;
        p.ssrc.type = ssrc_any_inbound;
        srtp_t probe = nullptr;
        if (srtp_create(&probe, &p) != srtp_err_status_ok) {
            return false;
        }
        srtp_dealloc(probe);
        return true;
    }();
    return ok;
}

namespace {

// A libsrtp policy for one key, with the key material it points to (wiped when it goes).
// Not copyable: the policy points into it.
struct key_policy {
    srtp_policy_t p;
    uint8_t key[46];
    uint8_t mki[4] = {};
    srtp_master_key_t mk;
    srtp_master_key_t* mks[1];

    key_policy() = default;
    key_policy(const key_policy&) = delete;
    key_policy& operator=(const key_policy&) = delete;
    ~key_policy() { std::memset(key, 0, sizeof key); }

    // Fills the policy for `k`; false for a suite libsrtp is not set up for here.
    bool make(const shm::srtp_key& k) noexcept {
        const suite_params* s = find_suite(k.suite);
        if (s == nullptr) {
            return false;
        }
        const policy_setters set = setters_for(k.suite);
        if (set.rtp == nullptr) {
            return false;
        }
        std::memset(&p, 0, sizeof p);
        set.rtp(&p.rtp);
        set.rtcp(&p.rtcp);
        std::memset(key, 0, sizeof key);
        std::memcpy(key, k.master_key, s->master_key_len);
        std::memcpy(key + s->master_key_len, k.master_salt, s->master_salt_len);
        for (uint8_t i = 0; i < k.mki_len; ++i) {
            mki[i] = static_cast<uint8_t>(k.mki >> (8 * (k.mki_len - 1 - i)));
        }
        mks[0] = &mk;
        if (k.mki_len > 0) {
            mk.key = key;
            mk.mki_id = mki;
            mk.mki_size = k.mki_len;
            p.keys = mks;
            p.num_master_keys = 1;
        } else {
            p.key = key;
        }
        p.window_size = 128;
        p.allow_repeat_tx = 0;
        return true;
    }
};

}  // namespace

void* libsrtp_create(const shm::srtp_key& k, direction dir) noexcept {
    if (!libsrtp_init()) {
        return nullptr;
    }
    key_policy kp;
    if (!kp.make(k)) {
        return nullptr;
    }
    kp.p.ssrc.type = dir == direction::inbound ? ssrc_any_inbound : ssrc_any_outbound;
    srtp_t session = nullptr;
    return srtp_create(&session, &kp.p) == srtp_err_status_ok ? session : nullptr;
}

void libsrtp_carry_roc(void* session, const shm::srtp_key& k, direction, uint32_t ssrc,
                       uint32_t roc) noexcept {
    auto* sess = static_cast<srtp_t>(session);
    uint32_t have = 0;
    if (srtp_get_stream_roc(sess, ssrc, &have) != srtp_err_status_ok) {
        key_policy kp;
        if (!kp.make(k)) {
            return;
        }
        kp.p.ssrc.type = ssrc_specific;
        kp.p.ssrc.value = ssrc;
        if (srtp_add_stream(sess, &kp.p) != srtp_err_status_ok) {
            return;
        }
    } else if (have >= roc) {
        return;
    }
    srtp_set_stream_roc(sess, ssrc, roc);
}

void libsrtp_destroy(void* session) noexcept {
    if (session != nullptr) {
        srtp_dealloc(static_cast<srtp_t>(session));
    }
}

}  // namespace sbc::srtp::detail
