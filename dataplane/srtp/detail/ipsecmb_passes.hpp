#pragma once
// The parts of a chunk's passes on intel-ipsec-mb that SRTP (ipsecmb_rtp.cpp) and SRTCP
// (ipsecmb_rtcp.cpp) share: starting and ending each packet's attempt, and everything unprotect
// does after framing. Templates on the protocol, so each engine function inlines its own copy
// and the protocol's choices fold away.

#include <intel-ipsec-mb.h>

#include <cstdint>
#include <cstring>

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/header.hpp"
#include "dataplane/srtp/detail/ipsecmb_jobs.hpp"
#include "dataplane/srtp/detail/key_roles.hpp"
#include "dataplane/srtp/detail/packet_checks.hpp"

namespace sbc::srtp::detail {

// Starts framing packet p: no job for it unless framing completes (state st_pending). The
// packet's stream if it has a key, else nullptr with status::no_key.
inline stream* begin_attempt(attempt& a, packet& p) noexcept {
    a.state = st_skip;
    a.cipher = 0;
    return keyed_stream(p);
}

// Keeps the candidate keys that `fits(k)` (the trailer fits, the MKI matches), to be tried in
// order; false with auth_fail if none does.
template <class Fits>
inline bool choose_keys(attempt& a, packet& p, const candidates& c, Fits&& fits) noexcept {
    a.ncand = 0;
    for (uint8_t j = 0; j < c.n; ++j) {
        if (fits(*c.key[j])) {
            a.cand[a.ncand++] = c.key[j];
        }
    }
    if (a.ncand == 0) {
        p.result = status::auth_fail;
        return false;
    }
    a.tried = 0;
    // GCM decrypts as it authenticates: a first try of two writes its plaintext aside.
    a.out_of_place = a.ncand > 1 && a.cand[0]->aead ? 1 : 0;
    return true;
}

// Authenticates every pending attempt: HMAC-SHA1 in one burst, GCM (which also decrypts)
// through the job manager. P as for unprotect_passes.
template <class P>
inline void authenticate(engine_state& e, packet* pk, uint16_t n) noexcept {
    hmac_pass(e, pk, n, P::rtcp, true);
    run_gcm_jobs(
        e, n, [&](IMB_JOB* job, uint16_t i) { P::fill_gcm(job, e.att[i], pk[i], e.slot(i)); },
        gcm_unprotect_done);
}

// Unprotect after framing: authenticate, try the second key where the first failed, decrypt
// what authenticated, then apply to the streams in packet order. Returns the packets ok.
// P, the protocol:
//   static constexpr bool rtcp;
//   prepare(attempt&, const packet&, uint8_t* slot)   lays the packet out for a try under a.key()
//   fill_gcm(IMB_JOB*, attempt&, const packet&, uint8_t* slot)   the GCM job for that try
//   restore(const attempt&, packet&)   undoes what a failed first try changed in the packet
//   encrypted(const attempt&)          whether the payload is encrypted (SRTCP: E flag)
//   commit(packet&, stream&, const attempt&, uint8_t& events)   as commit_unprotect_*
template <class P>
inline uint16_t unprotect_passes(engine_state& e, packet* pk, uint16_t n, bool any_trial) noexcept {
    authenticate<P>(e, pk, n);
    if (any_trial) {
        // The first key failed: put the packet back as received and try the second one.
        bool again = false;
        for (uint16_t i = 0; i < n; ++i) {
            attempt& a = e.att[i];
            if (a.state == st_auth_fail && a.tried == 0 && a.ncand == 2) {
                P::restore(a, pk[i]);
                a.tried = 1;
                a.out_of_place = 0;
                P::prepare(a, pk[i], e.slot(i));
                a.state = st_pending;
                again = true;
            }
        }
        if (again) {
            authenticate<P>(e, pk, n);
        }
    }

    // Decrypt what authenticated (AES-CM; GCM already did).
    for (uint16_t i = 0; i < n; ++i) {
        attempt& a = e.att[i];
        a.cipher = a.state == st_auth_ok && !a.key().aead && P::encrypted(a) &&
                   a.payload_end > a.header_len;
    }
    ctr_pass(e, pk, n, P::rtcp);

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
        uint8_t events = 0;
        // State moves only now, after authentication, in packet order.
        if (!P::commit(p, *p.strm, a, events)) {
            continue;
        }
        if (a.out_of_place && P::encrypted(a)) {
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

// Protect after its passes: append MKI and tag where the key puts them (GCM's tag is in place
// already; SRTCP's E||index was written when framing). Returns the packets ok.
template <bool Rtcp>
inline uint16_t finish_protect(engine_state& e, packet* pk, uint16_t n) noexcept {
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
        uint8_t* mki = p.data + a.payload_end + (Rtcp ? 4 : 0) + (k.aead ? 16 : 0);
        copy_short(mki, k.mki, k.mki_len);
        if (!k.aead) {
            copy_short(mki + k.mki_len, a.tag_calc, Rtcp ? k.rtcp_tag_len() : k.rtp_tag_len);
        }
        p.len = static_cast<uint16_t>(a.payload_end + (Rtcp ? rtcp_trailer(k) : rtp_trailer(k)));
        p.result = status::ok;
        ++ok;
    }
    return ok;
}

}  // namespace sbc::srtp::detail
