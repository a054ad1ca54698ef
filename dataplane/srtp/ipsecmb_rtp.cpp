// SRTP (RFC 3711 §3.1-3.3, RFC 7714 §8) on intel-ipsec-mb. A chunk is framed first (header,
// index, replay pre-check, candidate keys), then its crypto runs grouped by algorithm (one
// HMAC-SHA1 burst, one AES-CTR burst per key size, GCM through the job manager), and only then
// are the results applied to the streams, in packet order.

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

inline uint16_t rtp_trailer(const key_set& k) noexcept {
    return static_cast<uint16_t>(k.mki_len + k.rtp_tag_len);
}

// Lays out a received packet for a try under a.key(): tag aside, ROC in its place (AES-CM: the
// authenticated message is header || payload || ROC, RFC 3711 §4.2), IV.
inline void prepare_unprotect(attempt& a, const packet& p) noexcept {
    const key_set& k = a.key();
    a.payload_end = static_cast<uint16_t>(p.len - rtp_trailer(k));
    if (k.aead) {
        // RFC 7714 §8: header || ciphertext || tag || MKI.
        copy_short(a.tag_rx, p.data + a.payload_end, 16);
        gcm_rtp_iv(a.iv, k.rtp_salt, a.ssrc, a.index);
    } else {
        // RFC 3711 §3.1: header || payload || MKI || tag.
        copy_short(a.tag_rx, p.data + a.payload_end + k.mki_len, k.rtp_tag_len);
        store_be32(p.data + a.payload_end, static_cast<uint32_t>(a.index >> 16));
        cm_iv(a.iv, k.rtp_salt, a.ssrc, a.index);
    }
}

// GCM authenticates and decrypts in one job: a first try under one of two keys writes its
// plaintext out of place, so the ciphertext is still there for the second.
inline void fill_gcm_unprotect(IMB_JOB* job, attempt& a, const packet& p, uint8_t* oop) noexcept {
    const key_set& k = a.key();
    uint8_t* dst = (a.out_of_place ? oop : p.data) + a.header_len;
    job_span s{p.data, dst, a.header_len, static_cast<uint16_t>(a.payload_end - a.header_len), 0};
    fill_gcm_job(job, k.rtp_gcm(), k.key_len, false, s, p.data, a.header_len, a.iv, a.tag_calc, &a);
}

// Authenticates every pending attempt: HMAC-SHA1 in one burst, GCM through the job manager.
inline void authenticate(engine_state& e, packet* pk, uint16_t n) noexcept {
    hmac_pass(e, pk, n, false, true);
    run_gcm_jobs(
        e, n,
        [&](IMB_JOB* job, uint16_t i) { fill_gcm_unprotect(job, e.att[i], pk[i], e.slot(i)); },
        gcm_unprotect_done);
}

}  // namespace

uint16_t ipsecmb_unprotect_rtp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, false);
    bool any_trial = false;
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, false);
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
        rtp_view v;
        p.result = parse_rtp(p.data, p.len, rtp_trailer(*A::key(*s)), v);
        if (p.result != status::ok) {
            continue;
        }
        index_guess g = guess_rtp_index(A::rtp(*s), A::rtp_prev(*s), v.ssrc, v.seq);
        if (!g.fresh_ok) {
            p.result = status::replay;
            continue;
        }
        if (g.index > max_index) {
            p.result = status::index_exhausted;
            continue;
        }
        candidates c = rtp_candidates(*s, g.index);
        a.ncand = 0;
        for (uint8_t j = 0; j < c.n; ++j) {
            const key_set& k = *c.key[j];
            uint16_t t = rtp_trailer(k);
            if (p.len >= v.header_len + t &&
                mki_matches(k, p.data + p.len - t + (k.aead ? k.rtp_tag_len : 0))) {
                a.cand[a.ncand++] = c.key[j];
            }
        }
        if (a.ncand == 0) {
            p.result = status::auth_fail;
            continue;
        }
        a.index = g.index;
        a.ssrc = v.ssrc;
        a.header_len = v.header_len;
        a.tried = 0;
        a.out_of_place = a.ncand > 1 && a.cand[0]->aead ? 1 : 0;
        if (a.ncand > 1) {
            save_trailer(a, p.data, p.len);
            any_trial = true;
        }
        prepare_unprotect(a, p);
        a.state = st_pending;
    }

    authenticate(e, pk, n);
    if (any_trial) {
        // The first key failed: put the packet back as received and try the second one.
        bool again = false;
        for (uint16_t i = 0; i < n; ++i) {
            attempt& a = e.att[i];
            if (a.state == st_auth_fail && a.tried == 0 && a.ncand == 2) {
                restore_trailer(a, pk[i].data, pk[i].len);
                a.tried = 1;
                a.out_of_place = 0;
                prepare_unprotect(a, pk[i]);
                a.state = st_pending;
                again = true;
            }
        }
        if (again) {
            authenticate(e, pk, n);
        }
    }

    // Decrypt what authenticated (AES-CM; GCM already did).
    for (uint16_t i = 0; i < n; ++i) {
        attempt& a = e.att[i];
        a.cipher = a.state == st_auth_ok && !a.key().aead && a.payload_end > a.header_len;
    }
    ctr_pass(e, pk, n, false);

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
        // State moves only now, after authentication, in packet order.
        if (!accept_key(s, a.cand[a.tried], false, a.index, events)) {
            p.result = status::auth_fail;
            continue;
        }
        if (!commit_rtp_index(A::rtp(s), A::rtp_prev(s), a.ssrc, a.index, events)) {
            p.result = status::replay;
            continue;
        }
        if (a.out_of_place) {
            std::memcpy(p.data + a.header_len, e.slot(i) + a.header_len,
                        a.payload_end - a.header_len);
        }
        p.len = a.payload_end;
        p.events = events;
        p.result = status::ok;
        ++ok;
    }
    return ok;
}

uint16_t ipsecmb_protect_rtp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, false);
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, false);
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
        rtp_view v;
        p.result = parse_rtp(p.data, p.len, 0, v);
        if (p.result != status::ok) {
            continue;
        }
        if (uint32_t{p.len} + rtp_trailer(k) > p.capacity) {
            p.result = status::no_room;
            continue;
        }
        index_guess g = guess_rtp_index(A::rtp(*s), A::rtp_prev(*s), v.ssrc, v.seq);
        if (!g.fresh_ok) {
            // Never two packets under one index: the keystream would repeat (RFC 3711 §9.1).
            p.result = status::replay;
            continue;
        }
        if (g.index > max_index) {
            p.result = status::index_exhausted;
            continue;
        }
        uint8_t events = 0;
        commit_rtp_index(A::rtp(*s), A::rtp_prev(*s), v.ssrc, g.index, events);
        p.events = events;
        a.cand[0] = A::key(*s);
        a.tried = 0;
        a.index = g.index;
        a.ssrc = v.ssrc;
        a.header_len = v.header_len;
        a.payload_end = p.len;
        if (k.aead) {
            gcm_rtp_iv(a.iv, k.rtp_salt, v.ssrc, g.index);
        } else {
            store_be32(p.data + p.len, static_cast<uint32_t>(g.index >> 16));
            cm_iv(a.iv, k.rtp_salt, v.ssrc, g.index);
            a.cipher = p.len > v.header_len;
        }
        a.state = st_pending;
    }

    ctr_pass(e, pk, n, false);          // encrypt, then
    hmac_pass(e, pk, n, false, false);  // authenticate the ciphertext
    run_gcm_jobs(
        e, n,
        [&](IMB_JOB* job, uint16_t i) {
            attempt& a = e.att[i];
            packet& p = pk[i];
            job_span sp{p.data, p.data + a.header_len, a.header_len,
                        static_cast<uint16_t>(a.payload_end - a.header_len), 0};
            fill_gcm_job(job, a.key().rtp_gcm(), a.key().key_len, true, sp, p.data, a.header_len,
                         a.iv, p.data + a.payload_end, &a);
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
            p.events = 0;
            continue;
        }
        const key_set& k = a.key();
        uint8_t* end = p.data + a.payload_end;
        if (k.aead) {
            copy_short(end + 16, k.mki, k.mki_len);  // the tag is already in place
        } else {
            copy_short(end, k.mki, k.mki_len);
            copy_short(end + k.mki_len, a.tag_calc, k.rtp_tag_len);
        }
        p.len = static_cast<uint16_t>(a.payload_end + rtp_trailer(k));
        p.result = status::ok;
        ++ok;
    }
    return ok;
}

}  // namespace sbc::srtp::detail
