// SRTCP (RFC 3711 §3.4, RFC 7714 §9) on intel-ipsec-mb, in the same passes as SRTP
// (ipsecmb_rtp.cpp): frame, authenticate (and decrypt), apply in packet order.
//   AES-CM:  header(8) | encrypted part | E||index(4) | MKI | tag      (auth: up to E||index)
//   AES-GCM: header(8) | ciphertext | tag(16) | E||index(4) | MKI      (AAD: header, E||index)

#include <cstring>

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/header.hpp"
#include "dataplane/srtp/detail/index.hpp"
#include "dataplane/srtp/detail/ipsecmb_jobs.hpp"
#include "dataplane/srtp/detail/iv.hpp"
#include "dataplane/srtp/detail/key_roles.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"

namespace sbc::srtp::detail {
namespace {

using A = stream_access;

inline constexpr uint32_t e_bit = 0x80000000u;
inline constexpr uint32_t max_srtcp_index = 0x7fffffffu;

inline uint16_t rtcp_trailer(const key_set& k) noexcept {
    return static_cast<uint16_t>(4 + k.mki_len + k.rtcp_tag_len());
}

// Offset of E||index in a received packet under key k.
inline uint16_t index_offset(const key_set& k, uint16_t len) noexcept {
    return static_cast<uint16_t>(len - k.mki_len - 4 - (k.aead ? 0 : k.rtcp_tag_len()));
}

inline const uint8_t* mki_at(const key_set& k, const uint8_t* data, uint16_t len) noexcept {
    return k.aead ? data + len - k.mki_len : data + len - k.rtcp_tag_len() - k.mki_len;
}

// Sets up a try under a.cand[a.tried]: index (its position depends on the key's MKI and tag
// lengths), tag aside, IV, AAD.
inline void prepare_unprotect(attempt& a, const packet& p, uint8_t* slot) noexcept {
    const key_set& k = a.key();
    uint16_t io = index_offset(k, p.len);
    uint32_t word = load_be32(p.data + io);
    a.e_flag = (word & e_bit) != 0 ? 1 : 0;
    a.index = word & max_srtcp_index;
    auto index = static_cast<uint32_t>(a.index);
    if (k.aead) {
        a.payload_end = static_cast<uint16_t>(io - 16);
        copy_short(a.tag_rx, p.data + a.payload_end, 16);
        gcm_rtcp_iv(a.iv, k.rtcp_salt(), a.ssrc, index);
        if (a.e_flag) {
            std::memcpy(a.aad, p.data, 8);
            std::memcpy(a.aad + 8, p.data + io, 4);
        } else {
            // Authentication only: the whole packet and E||index are the AAD (RFC 7714 §9.3).
            std::memcpy(slot, p.data, a.payload_end);
            std::memcpy(slot + a.payload_end, p.data + io, 4);
        }
    } else {
        a.payload_end = io;
        copy_short(a.tag_rx, p.data + p.len - k.rtcp_tag_len(), k.rtcp_tag_len());
        cm_rtcp_iv(a.iv, k.rtcp_salt(), a.ssrc, index);
    }
}

// GCM: one job authenticates and decrypts; a first try under one of two keys writes its
// plaintext out of place.
inline void fill_gcm_unprotect(IMB_JOB* job, attempt& a, const packet& p, uint8_t* slot) noexcept {
    const key_set& k = a.key();
    uint16_t enc_len = a.e_flag ? static_cast<uint16_t>(a.payload_end - rtcp_fixed_header) : 0;
    uint8_t* dst = (a.out_of_place ? slot : p.data) + rtcp_fixed_header;
    job_span s{p.data, dst, rtcp_fixed_header, enc_len, 0};
    if (a.e_flag) {
        fill_gcm_job(job, k.rtcp_gcm(), k.key_len, false, s, a.aad, 12, a.iv, a.tag_calc, &a);
    } else {
        fill_gcm_job(job, k.rtcp_gcm(), k.key_len, false, s, slot,
                     static_cast<uint16_t>(a.payload_end + 4), a.iv, a.tag_calc, &a);
    }
}

inline void authenticate(engine_state& e, packet* pk, uint16_t n) noexcept {
    hmac_pass(e, pk, n, true, true);
    run_gcm_jobs(
        e, n,
        [&](IMB_JOB* job, uint16_t i) { fill_gcm_unprotect(job, e.att[i], pk[i], e.slot(i)); },
        gcm_unprotect_done);
}

}  // namespace

uint16_t ipsecmb_unprotect_rtcp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, true);
    bool any_trial = false;
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, true);
        packet& p = pk[i];
        attempt& a = e.att[i];
        a.state = st_skip;
        a.cipher = 0;
        p.events = 0;
        stream* s = p.strm;
        if (s == nullptr || A::key(*s) == nullptr) {
            p.result = status::no_key;
            continue;
        }
        const key_set& k0 = *A::key(*s);
        uint32_t ssrc = 0;
        p.result = parse_rtcp(p.data, p.len, rtcp_trailer(k0), ssrc);
        if (p.result != status::ok) {
            continue;
        }
        uint32_t index = load_be32(p.data + index_offset(k0, p.len)) & max_srtcp_index;
        if (!rtcp_index_fresh(A::rtcp(*s), ssrc, index)) {
            p.result = status::replay;
            continue;
        }
        candidates c = rtcp_candidates(*s, index);
        a.ncand = 0;
        for (uint8_t j = 0; j < c.n; ++j) {
            const key_set& k = *c.key[j];
            if (p.len >= rtcp_fixed_header + rtcp_trailer(k) &&
                mki_matches(k, mki_at(k, p.data, p.len))) {
                a.cand[a.ncand++] = c.key[j];
            }
        }
        if (a.ncand == 0) {
            p.result = status::auth_fail;
            continue;
        }
        a.ssrc = ssrc;
        a.header_len = rtcp_fixed_header;
        a.tried = 0;
        a.out_of_place = a.ncand > 1 && a.cand[0]->aead ? 1 : 0;
        any_trial |= a.ncand > 1;
        prepare_unprotect(a, p, e.slot(i));
        a.state = st_pending;
    }

    authenticate(e, pk, n);

    if (any_trial) {
        bool again = false;
        for (uint16_t i = 0; i < n; ++i) {
            attempt& a = e.att[i];
            if (a.state == st_auth_fail && a.tried == 0 && a.ncand == 2) {
                a.tried = 1;
                a.out_of_place = 0;
                prepare_unprotect(a, pk[i], e.slot(i));
                a.state = st_pending;
                again = true;
            }
        }
        if (again) {
            authenticate(e, pk, n);
        }
    }

    // Decrypt what authenticated (AES-CM with E set; GCM already did).
    for (uint16_t i = 0; i < n; ++i) {
        attempt& a = e.att[i];
        a.cipher =
            a.state == st_auth_ok && !a.key().aead && a.e_flag && a.payload_end > rtcp_fixed_header;
    }
    ctr_pass(e, pk, n, true);

    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        attempt& a = e.att[i];
        if (a.state == st_skip) {
            continue;
        }
        if (a.state == st_error) {
            p.result = status::crypto_error;
            continue;
        }
        if (a.state != st_auth_ok) {
            p.result = status::auth_fail;
            continue;
        }
        stream& s = *p.strm;
        uint8_t events = 0;
        if (!accept_key(s, a.cand[a.tried], true, a.index, events)) {
            p.result = status::auth_fail;
            continue;
        }
        if (!commit_rtcp_index(A::rtcp(s), a.ssrc, static_cast<uint32_t>(a.index))) {
            p.result = status::replay;
            continue;
        }
        if (a.out_of_place && a.e_flag) {
            std::memcpy(p.data + rtcp_fixed_header, e.slot(i) + rtcp_fixed_header,
                        a.payload_end - rtcp_fixed_header);
        }
        p.len = a.payload_end;
        p.events = events;
        p.result = status::ok;
        ++ok;
    }
    return ok;
}

uint16_t ipsecmb_protect_rtcp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, true);
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, true);
        packet& p = pk[i];
        attempt& a = e.att[i];
        a.state = st_skip;
        a.cipher = 0;
        p.events = 0;
        stream* s = p.strm;
        if (s == nullptr || A::key(*s) == nullptr) {
            p.result = status::no_key;
            continue;
        }
        const key_set& k = *A::key(*s);
        uint32_t ssrc = 0;
        p.result = parse_rtcp(p.data, p.len, 0, ssrc);
        if (p.result != status::ok) {
            continue;
        }
        if (uint32_t{p.len} + rtcp_trailer(k) > p.capacity) {
            p.result = status::no_room;
            continue;
        }
        rtcp_index_state& st = A::rtcp(*s);
        uint32_t index = st.valid ? st.index + 1 : 1;
        if (index > max_srtcp_index) {
            p.result = status::index_exhausted;
            continue;
        }
        // One counter for every SSRC sent under the key: (SSRC, index) never repeats.
        st.index = index;
        st.ssrc = ssrc;
        st.valid = 1;
        a.cand[0] = A::key(*s);
        a.tried = 0;
        a.index = index;
        a.ssrc = ssrc;
        a.e_flag = 1;
        a.payload_end = p.len;
        uint8_t* trailer = p.data + p.len + (k.aead ? 16 : 0);
        store_be32(trailer, e_bit | index);
        if (k.aead) {
            gcm_rtcp_iv(a.iv, k.rtcp_salt(), ssrc, index);
            std::memcpy(a.aad, p.data, 8);
            std::memcpy(a.aad + 8, trailer, 4);
        } else {
            cm_rtcp_iv(a.iv, k.rtcp_salt(), ssrc, index);
            a.cipher = p.len > rtcp_fixed_header;
        }
        a.header_len = rtcp_fixed_header;
        a.state = st_pending;
    }

    ctr_pass(e, pk, n, true);          // encrypt, then
    hmac_pass(e, pk, n, true, false);  // authenticate the ciphertext and E||index
    run_gcm_jobs(
        e, n,
        [&](IMB_JOB* job, uint16_t i) {
            attempt& a = e.att[i];
            packet& p = pk[i];
            job_span sp{p.data, p.data + rtcp_fixed_header, rtcp_fixed_header,
                        static_cast<uint16_t>(a.payload_end - rtcp_fixed_header), 0};
            fill_gcm_job(job, a.key().rtcp_gcm(), a.key().key_len, true, sp, a.aad, 12, a.iv,
                         p.data + a.payload_end, &a);
        },
        protect_done);

    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        attempt& a = e.att[i];
        if (a.state == st_skip) {
            continue;
        }
        if (a.state != st_auth_ok) {
            p.result = status::crypto_error;
            continue;
        }
        const key_set& k = *a.cand[0];
        uint8_t* end = p.data + a.payload_end;
        if (k.aead) {
            copy_short(end + 16 + 4, k.mki, k.mki_len);
        } else {
            copy_short(end + 4, k.mki, k.mki_len);
            copy_short(end + 4 + k.mki_len, a.tag_calc, k.rtcp_tag_len());
        }
        p.len = static_cast<uint16_t>(a.payload_end + rtcp_trailer(k));
        p.result = status::ok;
        ++ok;
    }
    return ok;
}

}  // namespace sbc::srtp::detail
