// SRTP (RFC 3711 §3.1-3.3, RFC 7714 §8) on intel-ipsec-mb. A chunk is framed first (header,
// index, replay pre-check, candidate keys), then its crypto runs grouped by algorithm (one
// HMAC-SHA1 burst, one AES-CTR burst per key size, GCM through the job manager), and only then
// are the results applied to the streams, in packet order.

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/header.hpp"
#include "dataplane/srtp/detail/index.hpp"
#include "dataplane/srtp/detail/ipsecmb_jobs.hpp"
#include "dataplane/srtp/detail/ipsecmb_passes.hpp"
#include "dataplane/srtp/detail/iv.hpp"
#include "dataplane/srtp/detail/key_roles.hpp"
#include "dataplane/srtp/detail/packet_checks.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"

namespace sbc::srtp::detail {
namespace {

using A = stream_access;

// The protocol for unprotect_passes.
struct rtp_proto {
    static constexpr bool rtcp = false;

    // Lays out a received packet for a try under a.key(): tag aside, ROC in its place (AES-CM:
    // the authenticated message is header || payload || ROC, RFC 3711 §4.2), IV.
    static void prepare(attempt& a, const packet& p, uint8_t*) noexcept {
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
    static void fill_gcm(IMB_JOB* job, attempt& a, const packet& p, uint8_t* oop) noexcept {
        const key_set& k = a.key();
        uint8_t* dst = (a.out_of_place ? oop : p.data) + a.header_len;
        job_span s{p.data, dst, a.header_len, static_cast<uint16_t>(a.payload_end - a.header_len),
                   0};
        fill_gcm_job(job, k.rtp_gcm(), k.key_len, false, s, p.data, a.header_len, a.iv, a.tag_calc,
                     &a);
    }

    // The first try wrote the ROC over the tag.
    static void restore(const attempt& a, packet& p) noexcept { restore_trailer(a, p.data, p.len); }

    static bool encrypted(const attempt&) noexcept { return true; }

    static bool commit(packet& p, stream& s, const attempt& a, uint8_t& events) noexcept {
        return commit_unprotect_rtp(p, s, a.cand[a.tried], a.index, a.ssrc, events);
    }
};

}  // namespace

uint16_t ipsecmb_unprotect_rtp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, false);
    bool any_trial = false;
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, false);
        packet& p = pk[i];
        attempt& a = e.att[i];
        stream* s = begin_attempt(a, p);
        rtp_view v;
        index_guess g;
        if (s == nullptr || !frame_unprotect_rtp(p, *s, v, g)) {
            continue;
        }
        if (g.index > max_index) {
            p.result = status::index_exhausted;
            continue;
        }
        auto fits = [&](const key_set& k) {
            uint16_t t = rtp_trailer(k);
            return p.len >= v.header_len + t &&
                   mki_matches(k, p.data + p.len - t + (k.aead ? k.rtp_tag_len : 0));
        };
        if (!choose_keys(a, p, rtp_candidates(*s, g.index), fits)) {
            continue;
        }
        a.index = g.index;
        a.ssrc = v.ssrc;
        a.header_len = v.header_len;
        if (a.ncand > 1) {
            save_trailer(a, p.data, p.len);
            any_trial = true;
        }
        rtp_proto::prepare(a, p, nullptr);
        a.state = st_pending;
    }
    return unprotect_passes<rtp_proto>(e, pk, n, any_trial);
}

uint16_t ipsecmb_protect_rtp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, false);
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, false);
        packet& p = pk[i];
        attempt& a = e.att[i];
        stream* s = begin_attempt(a, p);
        rtp_view v;
        index_guess g;
        // Never two packets under one index: the keystream would repeat (RFC 3711 §9.1).
        if (s == nullptr || !frame_protect_rtp(p, *A::key(*s), v) ||
            !fresh_rtp_index(p, *s, v, g)) {
            continue;
        }
        if (g.index > max_index) {
            p.result = status::index_exhausted;
            continue;
        }
        const key_set& k = *A::key(*s);
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
    return finish_protect<false>(e, pk, n);
}

}  // namespace sbc::srtp::detail
