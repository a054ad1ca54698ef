// The libsrtp2 engine: one packet at a time through srtp_protect/srtp_unprotect (the reference
// implementation and a fallback), with the same stream semantics as the fast path: key roles
// (current, pending, retiring) and SSRC events come from the stream, replay and ROC are
// libsrtp's own per session. Like libsrtp itself, it allocates inside libsrtp for a new SSRC.

#include <srtp2/srtp.h>

#include <cstring>

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/libsrtp_session.hpp"
#include "dataplane/srtp/detail/packet_checks.hpp"

namespace sbc::srtp::detail {
namespace {

using A = stream_access;

status map_error(srtp_err_status_t err) noexcept {
    switch (err) {
        case srtp_err_status_ok:
            return status::ok;
        case srtp_err_status_auth_fail:
        case srtp_err_status_bad_mki:
        case srtp_err_status_no_ctx:
            return status::auth_fail;
        case srtp_err_status_replay_fail:
        case srtp_err_status_replay_old:
            return status::replay;
        case srtp_err_status_parse_err:
        case srtp_err_status_bad_param:
            return status::bad_header;
        case srtp_err_status_key_expired:
            return status::index_exhausted;
        default:
            return status::crypto_error;
    }
}

// A key set made for the other engine has no libsrtp session: crypto_error.
bool has_session(packet& p, const key_set& k) noexcept {
    if (k.lib() == nullptr) {
        p.result = status::crypto_error;
        return false;
    }
    return true;
}

// Tries the candidates in order; the packet is restored from `copy` before a second try.
template <class Call>
srtp_err_status_t try_keys(const candidates& c, packet& p, uint8_t* copy, int& out_len,
                           key_set*& used, Call&& call) noexcept {
    srtp_err_status_t err = srtp_err_status_no_ctx;
    if (c.n > 1) {
        std::memcpy(copy, p.data, p.len);
    }
    for (uint8_t j = 0; j < c.n; ++j) {
        if (c.key[j]->lib() == nullptr) {
            return srtp_err_status_fail;  // key set not made for this engine
        }
        if (j > 0) {
            std::memcpy(p.data, copy, p.len);
        }
        out_len = p.len;
        err = call(*c.key[j], out_len);
        if (err == srtp_err_status_ok) {
            used = c.key[j];
            return err;
        }
        if (err != srtp_err_status_auth_fail && err != srtp_err_status_bad_mki) {
            return err;
        }
    }
    return err;
}

// The outcome of try_keys: the packet's status and, if it authenticated, the stream's state
// (`commit(events)`, as commit_unprotect_*) and the packet's new length. true if ok.
template <class Commit>
bool finish_unprotect(packet& p, srtp_err_status_t err, int out_len, Commit&& commit) noexcept {
    p.result = map_error(err);
    uint8_t events = 0;
    if (p.result != status::ok || !commit(events)) {
        return false;
    }
    p.len = static_cast<uint16_t>(out_len);
    p.events = events;
    return true;
}

}  // namespace

uint16_t libsrtp_unprotect_rtp(engine_state& e, packet* pk, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        stream* s = keyed_stream(p);
        rtp_view v;
        index_guess g;
        if (s == nullptr || !frame_unprotect_rtp(p, *s, v, g)) {
            continue;
        }
        candidates c = rtp_candidates(*s, g.index);
        const rtp_index_state& cur = A::rtp(*s);
        key_set* used = nullptr;
        int out_len = 0;
        srtp_err_status_t err = try_keys(c, p, e.slot(i), out_len, used, [&](key_set& k, int& l) {
            if (k.key_len != 0 && cur.valid && cur.ssrc == v.ssrc && cur.roc > 0) {
                libsrtp_carry_roc(k.lib(), k.master(), direction::inbound, v.ssrc, cur.roc);
            }
            return srtp_unprotect_mki(static_cast<srtp_t>(k.lib()), p.data, &l, k.mki_len > 0);
        });
        ok += finish_unprotect(p, err, out_len, [&](uint8_t& events) {
            return commit_unprotect_rtp(p, *s, used, g.index, v.ssrc, events);
        });
    }
    return ok;
}

uint16_t libsrtp_protect_rtp(engine_state&, packet* pk, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        stream* s = keyed_stream(p);
        rtp_view v;
        index_guess g;
        if (s == nullptr || !frame_protect_rtp(p, *A::key(*s), v) || !has_session(p, *A::key(*s)) ||
            !fresh_rtp_index(p, *s, v, g)) {
            continue;
        }
        key_set& k = *A::key(*s);
        const rtp_index_state& cur = A::rtp(*s);
        if (cur.valid && cur.ssrc == v.ssrc && cur.roc > 0) {
            libsrtp_carry_roc(k.lib(), k.master(), direction::outbound, v.ssrc, cur.roc);
        }
        int l = p.len;
        p.result =
            map_error(srtp_protect_mki(static_cast<srtp_t>(k.lib()), p.data, &l, k.mki_len > 0, 0));
        if (p.result != status::ok) {
            continue;
        }
        uint8_t events = 0;
        commit_rtp_index(A::rtp(*s), A::rtp_prev(*s), v.ssrc, g.index, events);
        p.len = static_cast<uint16_t>(l);
        p.events = events;
        ++ok;
    }
    return ok;
}

uint16_t libsrtp_unprotect_rtcp(engine_state& e, packet* pk, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        stream* s = keyed_stream(p);
        uint32_t ssrc = 0;
        uint32_t index = 0;
        if (s == nullptr || !frame_unprotect_rtcp(p, *s, ssrc, index)) {
            continue;
        }
        candidates c = rtcp_candidates(*s, index);
        key_set* used = nullptr;
        int out_len = 0;
        srtp_err_status_t err = try_keys(c, p, e.slot(i), out_len, used, [&](key_set& k, int& l) {
            return srtp_unprotect_rtcp_mki(static_cast<srtp_t>(k.lib()), p.data, &l, k.mki_len > 0);
        });
        ok += finish_unprotect(p, err, out_len, [&](uint8_t& events) {
            return commit_unprotect_rtcp(p, *s, used, index, ssrc, events);
        });
    }
    return ok;
}

uint16_t libsrtp_protect_rtcp(engine_state&, packet* pk, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        stream* s = keyed_stream(p);
        uint32_t ssrc = 0;
        if (s == nullptr || !frame_protect_rtcp(p, *A::key(*s), ssrc) ||
            !has_session(p, *A::key(*s))) {
            continue;
        }
        key_set& k = *A::key(*s);
        int l = p.len;
        p.result = map_error(
            srtp_protect_rtcp_mki(static_cast<srtp_t>(k.lib()), p.data, &l, k.mki_len > 0, 0));
        if (p.result != status::ok) {
            continue;
        }
        rtcp_index_state& st = A::rtcp(*s);
        commit_rtcp_send(st, ssrc, next_rtcp_index(st));
        p.len = static_cast<uint16_t>(l);
        ++ok;
    }
    return ok;
}

}  // namespace sbc::srtp::detail
