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
    static const bool ok = srtp_init() == srtp_err_status_ok;
    return ok;
}

void* libsrtp_create(const shm::srtp_key& k, direction dir) noexcept {
    const suite_params* s = find_suite(k.suite);
    if (s == nullptr || !libsrtp_init()) {
        return nullptr;
    }
    srtp_policy_t p;
    std::memset(&p, 0, sizeof p);
    if (!set_policies(k.suite, p)) {
        return nullptr;
    }
    uint8_t key[46] = {};
    std::memcpy(key, k.master_key, s->master_key_len);
    std::memcpy(key + s->master_key_len, k.master_salt, s->master_salt_len);
    uint8_t mki[4] = {};
    for (uint8_t i = 0; i < k.mki_len; ++i) {
        mki[i] = static_cast<uint8_t>(k.mki >> (8 * (k.mki_len - 1 - i)));
    }
    srtp_master_key_t mk;
    srtp_master_key_t* mks[1] = {&mk};
    if (k.mki_len > 0) {
        mk.key = key;
        mk.mki_id = mki;
        mk.mki_size = k.mki_len;
        p.keys = mks;
        p.num_master_keys = 1;
    } else {
        p.key = key;
    }
    p.ssrc.type = dir == direction::inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.window_size = 128;
    p.allow_repeat_tx = 0;
    srtp_t session = nullptr;
    srtp_err_status_t st = srtp_create(&session, &p);
    std::memset(key, 0, sizeof key);
    return st == srtp_err_status_ok ? session : nullptr;
}

void libsrtp_destroy(void* session) noexcept {
    if (session != nullptr) {
        srtp_dealloc(static_cast<srtp_t>(session));
    }
}

}  // namespace sbc::srtp::detail
