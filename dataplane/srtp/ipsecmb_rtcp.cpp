// SRTCP (RFC 3711 §3.4, RFC 7714 §9) on intel-ipsec-mb, in the same passes as SRTP
// (ipsecmb_rtp.cpp): frame, authenticate (and decrypt), apply in packet order.
//   AES-CM:  header(8) | encrypted part | E||index(4) | MKI | tag      (auth: up to E||index)
//   AES-GCM: header(8) | ciphertext | tag(16) | E||index(4) | MKI      (AAD: header, E||index)

#include <cstring>

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

inline const uint8_t* mki_at(const key_set& k, const uint8_t* data, uint16_t len) noexcept {
    return k.aead ? data + len - k.mki_len : data + len - k.rtcp_tag_len() - k.mki_len;
}

// The protocol for unprotect_passes.
struct rtcp_proto {
    static constexpr bool rtcp = true;

    // Sets up a try under a.key(): index (its position depends on the key's MKI and tag
    // lengths), tag aside, IV, AAD.
    static void prepare(attempt& a, const packet& p, uint8_t* slot) noexcept {
        const key_set& k = a.key();
        uint16_t io = rtcp_index_offset(k, p.len);
        uint32_t word = load_be32(p.data + io);
        a.e_flag = (word & srtcp_e_bit) != 0 ? 1 : 0;
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
    static void fill_gcm(IMB_JOB* job, attempt& a, const packet& p, uint8_t* slot) noexcept {
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

    // A try changes nothing in the packet.
    static void restore(const attempt&, packet&) noexcept {}

    static bool encrypted(const attempt& a) noexcept { return a.e_flag != 0; }

    static bool commit(packet& p, stream& s, const attempt& a, uint8_t& events) noexcept {
        return commit_unprotect_rtcp(p, s, a.cand[a.tried], static_cast<uint32_t>(a.index), a.ssrc,
                                     events);
    }
};

}  // namespace

uint16_t ipsecmb_unprotect_rtcp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, true);
    bool any_trial = false;
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, true);
        packet& p = pk[i];
        attempt& a = e.att[i];
        stream* s = begin_attempt(a, p);
        uint32_t ssrc = 0;
        uint32_t index = 0;
        if (s == nullptr || !frame_unprotect_rtcp(p, *s, ssrc, index)) {
            continue;
        }
        auto fits = [&](const key_set& k) {
            return p.len >= rtcp_fixed_header + rtcp_trailer(k) &&
                   mki_matches(k, mki_at(k, p.data, p.len));
        };
        if (!choose_keys(a, p, rtcp_candidates(*s, index), fits)) {
            continue;
        }
        a.ssrc = ssrc;
        a.header_len = rtcp_fixed_header;
        any_trial |= a.ncand > 1;
        rtcp_proto::prepare(a, p, e.slot(i));
        a.state = st_pending;
    }
    return unprotect_passes<rtcp_proto>(e, pk, n, any_trial);
}

uint16_t ipsecmb_protect_rtcp(engine_state& e, packet* pk, uint16_t n) noexcept {
    prefetch_start(pk, n, true);
    for (uint16_t i = 0; i < n; ++i) {
        prefetch_step(pk, n, i, true);
        packet& p = pk[i];
        attempt& a = e.att[i];
        stream* s = begin_attempt(a, p);
        uint32_t ssrc = 0;
        if (s == nullptr || !frame_protect_rtcp(p, *A::key(*s), ssrc)) {
            continue;
        }
        const key_set& k = *A::key(*s);
        rtcp_index_state& st = A::rtcp(*s);
        uint32_t index = next_rtcp_index(st);
        if (index > max_srtcp_index) {
            p.result = status::index_exhausted;
            continue;
        }
        commit_rtcp_send(st, ssrc, index);
        a.cand[0] = A::key(*s);
        a.tried = 0;
        a.index = index;
        a.ssrc = ssrc;
        a.e_flag = 1;
        a.payload_end = p.len;
        uint8_t* trailer = p.data + p.len + (k.aead ? 16 : 0);
        store_be32(trailer, srtcp_e_bit | index);
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
    return finish_protect<true>(e, pk, n);
}

}  // namespace sbc::srtp::detail
