#pragma once
// Filling ipsec-mb jobs for SRTP: AES-CM + HMAC-SHA1 (RFC 3711) and AES-GCM (RFC 7714).

#include <intel-ipsec-mb.h>

#include <cstdint>

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/header.hpp"
#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"

namespace sbc::srtp::detail {

// HMAC-SHA1 output ipsec-mb is asked for; SRTP keeps the first 10 or 4 bytes.
inline constexpr uint64_t sha1_tag_len = 20;

struct job_span {
    const uint8_t* src;     // packet start
    uint8_t* cipher_dst;    // where the (de)ciphered bytes go (ipsec-mb does not offset dst)
    uint16_t cipher_start;  // offset of the first (de)ciphered byte in src
    uint16_t cipher_len;
    uint16_t hash_len;  // unused by GCM
};

// AES-CM suites run as two synchronous bursts grouped by algorithm, not as chained jobs: one
// HMAC-SHA1 burst (any key, any length) and one AES-CTR burst per key size. That is about 20%
// faster than the job manager here, and lets unprotect authenticate before it decrypts.

// HMAC-SHA1 over [0, payload_end + 4) of every pending attempt under an AES-CM key: the RTP
// header, payload and ROC (RFC 3711 §4.2), or the SRTCP packet up to and with E||index. With
// `verify` the result is compared with the received tag.
inline void hmac_pass(engine_state& e, const packet* pk, uint16_t n, bool rtcp,
                      bool verify) noexcept {
    uint16_t m = 0;
    for (uint16_t i = 0; i < n; ++i) {
        attempt& a = e.att[i];
        if (a.state != st_pending || a.key().aead) {
            continue;
        }
        const cm_view cm = rtcp ? a.key().rtcp_cm() : a.key().rtp_cm();
        IMB_JOB& j = e.jobs[m++];
        j.src = pk[i].data;
        j.hash_start_src_offset_in_bytes = 0;
        j.msg_len_to_hash_in_bytes = a.payload_end + 4u;
        j.auth_tag_output = a.tag_calc;
        j.auth_tag_output_len_in_bytes = sha1_tag_len;
        j.u.HMAC._hashed_auth_key_xor_ipad = cm.ipad;
        j.u.HMAC._hashed_auth_key_xor_opad = cm.opad;
        j.hash_alg = IMB_AUTH_HMAC_SHA_1;
        j.cipher_mode = IMB_CIPHER_NULL;
        j.chain_order = IMB_ORDER_HASH_CIPHER;
        j.status = IMB_STATUS_BEING_PROCESSED;
        j.user_data = &a;
    }
    if (m == 0) {
        return;
    }
#ifdef NDEBUG
    uint32_t done = IMB_SUBMIT_HASH_BURST_NOCHECK(e.mgr, e.jobs, m, IMB_AUTH_HMAC_SHA_1);
#else
    uint32_t done = IMB_SUBMIT_HASH_BURST(e.mgr, e.jobs, m, IMB_AUTH_HMAC_SHA_1);
#endif
    for (uint16_t j = 0; j < m; ++j) {
        attempt& a = *static_cast<attempt*>(e.jobs[j].user_data);
        if (done != m) {
            a.state = st_error;
        } else if (!verify) {
            a.state = st_auth_ok;
        } else {
            unsigned tag_len = rtcp ? a.key().rtcp_tag_len() : a.key().rtp_tag_len;
            a.state = tags_equal(a.tag_calc, a.tag_rx, tag_len) ? st_auth_ok : st_auth_fail;
        }
    }
}

// AES-CTR over [header_len, payload_end) of every attempt marked `cipher`, one burst per key
// size (counter mode: encrypting and decrypting are the same operation). On an engine error the
// attempt becomes st_error.
inline void ctr_pass(engine_state& e, const packet* pk, uint16_t n, bool rtcp) noexcept {
    for (uint8_t key_len : {uint8_t{16}, uint8_t{32}}) {
        uint16_t m = 0;
        for (uint16_t i = 0; i < n; ++i) {
            attempt& a = e.att[i];
            if (!a.cipher || a.key().key_len != key_len) {
                continue;
            }
            const cm_view cm = rtcp ? a.key().rtcp_cm() : a.key().rtp_cm();
            IMB_JOB& j = e.jobs[m++];
            j.enc_keys = cm.enc;
            j.dec_keys = cm.enc;
            j.key_len_in_bytes = key_len;
            j.src = pk[i].data;
            j.dst = pk[i].data + a.header_len;
            j.cipher_start_src_offset_in_bytes = a.header_len;
            j.msg_len_to_cipher_in_bytes = a.payload_end - a.header_len;
            j.iv = a.iv;
            j.iv_len_in_bytes = 16;
            j.cipher_mode = IMB_CIPHER_CNTR;
            j.cipher_direction = IMB_DIR_ENCRYPT;
            j.hash_alg = IMB_AUTH_NULL;
            j.chain_order = IMB_ORDER_CIPHER_HASH;
            j.status = IMB_STATUS_BEING_PROCESSED;
            j.user_data = &a;
        }
        if (m == 0) {
            continue;
        }
        const auto size = key_len == 16 ? IMB_KEY_128_BYTES : IMB_KEY_256_BYTES;
#ifdef NDEBUG
        uint32_t done = IMB_SUBMIT_CIPHER_BURST_NOCHECK(e.mgr, e.jobs, m, IMB_CIPHER_CNTR,
                                                        IMB_DIR_ENCRYPT, size);
#else
        uint32_t done =
            IMB_SUBMIT_CIPHER_BURST(e.mgr, e.jobs, m, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT, size);
#endif
        if (done != m) {
            for (uint16_t j = 0; j < m; ++j) {
                static_cast<attempt*>(e.jobs[j].user_data)->state = st_error;
            }
        }
    }
}

inline void fill_gcm_job(IMB_JOB* job, const gcm_key_data& m, uint8_t key_len, bool encrypt,
                         const job_span& s, const uint8_t* aad, uint16_t aad_len, const uint8_t* iv,
                         uint8_t* tag_out, void* user) noexcept {
    job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
    job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->cipher_mode = IMB_CIPHER_GCM;
    job->enc_keys = &m;
    job->dec_keys = &m;
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

// Completion of a GCM unprotect job: compare the computed tag with the received one.
inline void gcm_unprotect_done(IMB_JOB* job) noexcept {
    auto& a = *static_cast<attempt*>(job->user_data);
    if (job->status != IMB_STATUS_COMPLETED) {
        a.state = st_error;
        return;
    }
    a.state = tags_equal(a.tag_calc, a.tag_rx, 16) ? st_auth_ok : st_auth_fail;
}

inline void protect_done(IMB_JOB* job) noexcept {
    auto& a = *static_cast<attempt*>(job->user_data);
    a.state = job->status == IMB_STATUS_COMPLETED ? st_auth_ok : st_error;
}

// Software pipelining over a chunk of packets of many streams, one step per packet framed:
// the stream record `stream_ahead` packets ahead, and the key lines the job will read for the
// packet `key_ahead` ahead (whose stream record was fetched a few packets earlier): the first
// line (salts, MKI) and the RTP or RTCP material (HMAC pads and AES round keys, or GCM round
// keys). Issuing everything at once for the chunk overflows the miss buffers and is slower.
inline constexpr uint16_t stream_ahead = 8;
inline constexpr uint16_t key_ahead = 4;

// GCC 12 at -O3 deleted whole loops of __builtin_prefetch here (prefetch_start compiled to a
// bare `ret`); a volatile asm prefetch cannot be dropped. Prefetches never fault.
inline void prefetch(const void* p) noexcept {
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
}

inline void prefetch_key(const packet& p, bool rtcp) noexcept {
    const key_set* k = p.strm != nullptr ? stream_access::key(*p.strm) : nullptr;
    if (k == nullptr) {
        return;
    }
    // The layout is only known once the first line is read: prefetch the AES-128-CM lines
    // (key_set_layout.hpp), the common suite. An RTP packet reads lines 0-3, RTCP 0 and 4-7.
    const auto* base = reinterpret_cast<const char*>(k);
    prefetch(base);
    const char* m = base + (rtcp ? key_set::allocation_size(false, 16) - 64 - 256 : 64);
    for (size_t l = 0; l < (rtcp ? 4u : 3u); ++l) {
        prefetch(m + 64 * l);
    }
}

inline void prefetch_start(const packet* pk, uint16_t n, bool rtcp) noexcept {
    for (uint16_t i = 0; i < n && i < stream_ahead; ++i) {
        if (pk[i].strm != nullptr) {
            prefetch(pk[i].strm);
        }
    }
    for (uint16_t i = 0; i < n && i < key_ahead; ++i) {
        prefetch_key(pk[i], rtcp);
    }
}

inline void prefetch_step(const packet* pk, uint16_t n, uint16_t i, bool rtcp) noexcept {
    if (i + stream_ahead < n && pk[i + stream_ahead].strm != nullptr) {
        prefetch(pk[i + stream_ahead].strm);
    }
    if (i + key_ahead < n) {
        prefetch_key(pk[i + key_ahead], rtcp);
    }
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
