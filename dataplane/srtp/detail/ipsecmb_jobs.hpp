#pragma once
// Filling ipsec-mb jobs for SRTP: AES-CM + HMAC-SHA1 (RFC 3711) and AES-GCM (RFC 7714).

#include <intel-ipsec-mb.h>

#include <cstdint>

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/header.hpp"
#include "dataplane/srtp/detail/key_set_layout.hpp"

namespace sbc::srtp::detail {

// HMAC-SHA1 output ipsec-mb is asked for; SRTP keeps the first 10 or 4 bytes.
inline constexpr uint64_t sha1_tag_len = 20;

struct job_span {
    const uint8_t* src;     // packet start
    uint8_t* cipher_dst;    // where the (de)ciphered bytes go (ipsec-mb does not offset dst)
    uint16_t cipher_start;  // offset of the first (de)ciphered byte in src
    uint16_t cipher_len;
    uint16_t hash_len;  // HMAC: bytes from src[0]; GCM: unused
};

// Encrypt: cipher then hash. Decrypt: hash (of the ciphertext) then cipher.
inline void fill_cm_job(IMB_JOB* job, const cm_material& m, uint8_t key_len, bool encrypt,
                        const job_span& s, const uint8_t* iv, uint8_t* tag_out,
                        void* user) noexcept {
    job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
    job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->cipher_mode = s.cipher_len != 0 ? IMB_CIPHER_CNTR : IMB_CIPHER_NULL;
    job->enc_keys = m.enc;
    job->dec_keys = m.enc;  // counter mode only ever encrypts the counter
    job->key_len_in_bytes = key_len;
    job->src = s.src;
    job->dst = s.cipher_dst;
    job->cipher_start_src_offset_in_bytes = s.cipher_start;
    job->msg_len_to_cipher_in_bytes = s.cipher_len;
    job->iv = iv;
    job->iv_len_in_bytes = 16;
    job->hash_alg = IMB_AUTH_HMAC_SHA_1;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = s.hash_len;
    job->auth_tag_output = tag_out;
    job->auth_tag_output_len_in_bytes = sha1_tag_len;
    job->u.HMAC._hashed_auth_key_xor_ipad = m.ipad;
    job->u.HMAC._hashed_auth_key_xor_opad = m.opad;
    job->user_data = user;
}

inline void fill_gcm_job(IMB_JOB* job, const gcm_material& m, uint8_t key_len, bool encrypt,
                         const job_span& s, const uint8_t* aad, uint16_t aad_len, const uint8_t* iv,
                         uint8_t* tag_out, void* user) noexcept {
    job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
    job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->cipher_mode = IMB_CIPHER_GCM;
    job->enc_keys = &m.key;
    job->dec_keys = &m.key;
    job->key_len_in_bytes = key_len;
    job->src = s.src;
    job->dst = s.cipher_dst;
    job->cipher_start_src_offset_in_bytes = s.cipher_start;
    job->msg_len_to_cipher_in_bytes = s.cipher_len;
    job->hash_start_src_offset_in_bytes = s.cipher_start;
    job->msg_len_to_hash_in_bytes = s.cipher_len;
    job->iv = iv;
    job->iv_len_in_bytes = 12;
    job->hash_alg = IMB_AUTH_AES_GMAC;
    job->u.GCM.aad = aad;
    job->u.GCM.aad_len_in_bytes = aad_len;
    job->auth_tag_output = tag_out;
    job->auth_tag_output_len_in_bytes = 16;
    job->user_data = user;
}

// Completion of an unprotect job: compare the computed tag with the received one.
inline void unprotect_done(IMB_JOB* job, bool rtcp) noexcept {
    auto& a = *static_cast<attempt*>(job->user_data);
    if (job->status != IMB_STATUS_COMPLETED) {
        a.state = st_error;
        return;
    }
    const key_set& k = *a.cand[a.tried];
    unsigned tag_len = rtcp ? k.rtcp_tag_len : k.rtp_tag_len;
    a.state = tags_equal(a.tag_calc, a.tag_rx, tag_len) ? st_auth_ok : st_auth_fail;
}

inline void protect_done(IMB_JOB* job) noexcept {
    auto& a = *static_cast<attempt*>(job->user_data);
    a.state = job->status == IMB_STATUS_COMPLETED ? st_auth_ok : st_error;
}

// Keeps the last bytes of a packet that a first try overwrites (ROC in the tag's place), to
// restore them before trying the second key.
inline void save_trailer(attempt& a, const uint8_t* data, uint16_t len) noexcept {
    a.trailer_len = static_cast<uint8_t>(len < sizeof a.trailer ? len : sizeof a.trailer);
    __builtin_memcpy(a.trailer, data + len - a.trailer_len, a.trailer_len);
}
inline void restore_trailer(const attempt& a, uint8_t* data, uint16_t len) noexcept {
    __builtin_memcpy(data + len - a.trailer_len, a.trailer, a.trailer_len);
}

}  // namespace sbc::srtp::detail
