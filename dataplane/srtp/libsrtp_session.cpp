#include <srtp2/srtp.h>

#include <cstring>
#include <mutex>

#include "dataplane/srtp/detail/libsrtp_session.hpp"
#include "dataplane/srtp/suite.hpp"

namespace sbc::srtp::detail {
namespace {

bool set_policies(srtp_suite suite, srtp_policy_t& p) noexcept {
    switch (suite) {
        case srtp_suite::aes_cm_128_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
            return true;
        case srtp_suite::aes_cm_128_hmac_sha1_32:
            // RFC 4568 §6.2.1: the _32 suites keep an 80-bit tag on SRTCP.
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
            return true;
        case srtp_suite::aes_256_cm_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
            return true;
        case srtp_suite::aes_256_cm_hmac_sha1_32:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
            return true;
        case srtp_suite::aead_aes_128_gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
            return true;
        case srtp_suite::aead_aes_256_gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
            return true;
        case srtp_suite::none:
            break;
    }
    return false;
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

// Fills `p` for `k`; key material goes to `key`/`mk` which must outlive the policy's use.
bool make_policy(const shm::srtp_key& k, srtp_policy_t& p, uint8_t (&key)[46], uint8_t (&mki)[4],
                 srtp_master_key_t& mk, srtp_master_key_t* (&mks)[1]) noexcept {
    const suite_params* s = find_suite(k.suite);
    if (s == nullptr) {
        return false;
    }
    std::memset(&p, 0, sizeof p);
    if (!set_policies(k.suite, p)) {
        return false;
    }
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

}  // namespace

void* libsrtp_create(const shm::srtp_key& k, direction dir) noexcept {
    if (!libsrtp_init()) {
        return nullptr;
    }
    srtp_policy_t p;
    uint8_t key[46];
    uint8_t mki[4] = {};
    srtp_master_key_t mk;
    srtp_master_key_t* mks[1];
    if (!make_policy(k, p, key, mki, mk, mks)) {
        return nullptr;
    }
    p.ssrc.type = dir == direction::inbound ? ssrc_any_inbound : ssrc_any_outbound;
    srtp_t session = nullptr;
    srtp_err_status_t st = srtp_create(&session, &p);
    std::memset(key, 0, sizeof key);
    return st == srtp_err_status_ok ? session : nullptr;
}

void libsrtp_carry_roc(void* session, const shm::srtp_key& k, direction dir, uint32_t ssrc,
                       uint32_t roc) noexcept {
    auto* sess = static_cast<srtp_t>(session);
    uint32_t have = 0;
    if (srtp_get_stream_roc(sess, ssrc, &have) != srtp_err_status_ok) {
        srtp_policy_t p;
        uint8_t key[46];
        uint8_t mki[4] = {};
        srtp_master_key_t mk;
        srtp_master_key_t* mks[1];
        if (!make_policy(k, p, key, mki, mk, mks)) {
            return;
        }
        (void)dir;
        p.ssrc.type = ssrc_specific;
        p.ssrc.value = ssrc;
        srtp_err_status_t st = srtp_add_stream(sess, &p);
        std::memset(key, 0, sizeof key);
        if (st != srtp_err_status_ok) {
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
