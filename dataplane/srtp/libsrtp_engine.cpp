// The libsrtp2 engine: one packet at a time through srtp_protect/srtp_unprotect (the reference
// implementation and a fallback), with the same stream semantics as the fast path: key roles
// (current, pending, retiring) and SSRC events come from the stream, replay and ROC are
// libsrtp's own per session. Like libsrtp itself, it allocates inside libsrtp for a new SSRC.

#include <srtp2/srtp.h>

#include <cstring>

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/header.hpp"
#include "dataplane/srtp/detail/index.hpp"
#include "dataplane/srtp/detail/key_roles.hpp"
#include "dataplane/srtp/detail/libsrtp_session.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"

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

uint16_t rtp_trailer(const key_set& k) noexcept {
    return static_cast<uint16_t>(k.mki_len + k.rtp_tag_len);
}
uint16_t rtcp_trailer(const key_set& k) noexcept {
    return static_cast<uint16_t>(4 + k.mki_len + k.rtcp_tag_len());
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

}  // namespace

uint16_t libsrtp_unprotect_rtp(engine_state& e, packet* pk, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
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
        p.result = map_error(err);
        if (p.result != status::ok) {
            continue;
        }
        uint8_t events = 0;
        if (!accept_key(*s, used, false, g.index, events)) {
            p.result = status::auth_fail;
            continue;
        }
        if (!commit_rtp_index(A::rtp(*s), A::rtp_prev(*s), v.ssrc, g.index, events)) {
            p.result = status::replay;
            continue;
        }
        p.len = static_cast<uint16_t>(out_len);
        p.events = events;
        ++ok;
    }
    return ok;
}

uint16_t libsrtp_protect_rtp(engine_state&, packet* pk, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        p.events = 0;
        stream* s = p.strm;
        if (s == nullptr || A::key(*s) == nullptr) {
            p.result = status::no_key;
            continue;
        }
        key_set& k = *A::key(*s);
        rtp_view v;
        p.result = parse_rtp(p.data, p.len, 0, v);
        if (p.result != status::ok) {
            continue;
        }
        if (uint32_t{p.len} + rtp_trailer(k) > p.capacity) {
            p.result = status::no_room;
            continue;
        }
        if (k.lib() == nullptr) {
            p.result = status::crypto_error;
            continue;
        }
        index_guess g = guess_rtp_index(A::rtp(*s), A::rtp_prev(*s), v.ssrc, v.seq);
        if (!g.fresh_ok) {
            p.result = status::replay;
            continue;
        }
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
        uint16_t io =
            static_cast<uint16_t>(p.len - k0.mki_len - 4 - (k0.aead ? 0 : k0.rtcp_tag_len()));
        uint32_t index = load_be32(p.data + io) & 0x7fffffffu;
        if (!rtcp_index_fresh(A::rtcp(*s), ssrc, index)) {
            p.result = status::replay;
            continue;
        }
        candidates c = rtcp_candidates(*s, index);
        key_set* used = nullptr;
        int out_len = 0;
        srtp_err_status_t err = try_keys(c, p, e.slot(i), out_len, used, [&](key_set& k, int& l) {
            return srtp_unprotect_rtcp_mki(static_cast<srtp_t>(k.lib()), p.data, &l, k.mki_len > 0);
        });
        p.result = map_error(err);
        if (p.result != status::ok) {
            continue;
        }
        uint8_t events = 0;
        if (!accept_key(*s, used, true, index, events)) {
            p.result = status::auth_fail;
            continue;
        }
        if (!commit_rtcp_index(A::rtcp(*s), ssrc, index)) {
            p.result = status::replay;
            continue;
        }
        p.len = static_cast<uint16_t>(out_len);
        p.events = events;
        ++ok;
    }
    return ok;
}

uint16_t libsrtp_protect_rtcp(engine_state&, packet* pk, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t i = 0; i < n; ++i) {
        packet& p = pk[i];
        p.events = 0;
        stream* s = p.strm;
        if (s == nullptr || A::key(*s) == nullptr) {
            p.result = status::no_key;
            continue;
        }
        key_set& k = *A::key(*s);
        uint32_t ssrc = 0;
        p.result = parse_rtcp(p.data, p.len, 0, ssrc);
        if (p.result != status::ok) {
            continue;
        }
        if (uint32_t{p.len} + rtcp_trailer(k) > p.capacity) {
            p.result = status::no_room;
            continue;
        }
        if (k.lib() == nullptr) {
            p.result = status::crypto_error;
            continue;
        }
        int l = p.len;
        p.result = map_error(
            srtp_protect_rtcp_mki(static_cast<srtp_t>(k.lib()), p.data, &l, k.mki_len > 0, 0));
        if (p.result != status::ok) {
            continue;
        }
        rtcp_index_state& st = A::rtcp(*s);
        st.index = st.valid ? st.index + 1 : 1;
        st.ssrc = ssrc;
        st.valid = 1;
        p.len = static_cast<uint16_t>(l);
        ++ok;
    }
    return ok;
}

}  // namespace sbc::srtp::detail
