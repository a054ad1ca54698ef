#include "dataplane/srtp/engine.hpp"

#include <stdexcept>
#include <string>

#include "dataplane/srtp/detail/engine_state.hpp"
#include "dataplane/srtp/detail/libsrtp_session.hpp"

namespace sbc::srtp {
namespace {

const char* arch_name(IMB_ARCH a) noexcept {
    switch (a) {
        case IMB_ARCH_AVX512:
            return "avx512";
        case IMB_ARCH_AVX2:
            return "avx2";
        case IMB_ARCH_AVX:
            return "avx";
        case IMB_ARCH_SSE:
            return "sse";
        case IMB_ARCH_NOAESNI:
            return "noaesni";
        default:
            return "unknown";
    }
}

using chunk_fn = uint16_t (*)(detail::engine_state&, packet*, uint16_t) noexcept;

uint16_t chunked(chunk_fn fn, detail::engine_state& st, packet* p, uint16_t n) noexcept {
    uint16_t ok = 0;
    for (uint16_t off = 0; off < n; off = static_cast<uint16_t>(off + burst_chunk)) {
        uint16_t m = static_cast<uint16_t>(n - off < burst_chunk ? n - off : burst_chunk);
        ok = static_cast<uint16_t>(ok + fn(st, p + off, m));
    }
    return ok;
}

}  // namespace

engine::engine(engine_kind k) : kind_(k), st_(std::make_unique<detail::engine_state>()) {
    st_->oop.reset(new uint8_t[size_t{burst_chunk} * detail::oop_slot]);
    if (k == engine_kind::libsrtp) {
        if (!detail::libsrtp_init()) {
            throw std::runtime_error("srtp engine libsrtp: srtp_init() failed");
        }
        st_->arch = "libsrtp2";
        return;
    }
    IMB_MGR* mgr = alloc_mb_mgr(0);
    if (mgr == nullptr) {
        throw std::runtime_error("srtp engine ipsecmb: alloc_mb_mgr() failed");
    }
    IMB_ARCH arch = IMB_ARCH_NONE;
    init_mb_mgr_auto(mgr, &arch);
    if (int err = imb_get_errno(mgr); err != 0) {
        free_mb_mgr(mgr);
        throw std::runtime_error(std::string("srtp engine ipsecmb: init_mb_mgr_auto() failed: ") +
                                 imb_get_strerror(err));
    }
    if (arch == IMB_ARCH_NOAESNI) {
        free_mb_mgr(mgr);
        throw std::runtime_error(
            "srtp engine ipsecmb: CPU has no AES-NI (use srtp_engine = libsrtp)");
    }
    st_->mgr = mgr;
    st_->arch = arch_name(arch);
}

engine::~engine() {
    if (st_ && st_->mgr != nullptr) {
        free_mb_mgr(st_->mgr);
    }
}

const char* engine::arch() const noexcept {
    return st_->arch;
}

uint16_t protect_rtp(engine& e, packet* p, uint16_t n) noexcept {
    return chunked(
        e.kind_ == engine_kind::ipsecmb ? detail::ipsecmb_protect_rtp : detail::libsrtp_protect_rtp,
        *e.st_, p, n);
}

uint16_t unprotect_rtp(engine& e, packet* p, uint16_t n) noexcept {
    return chunked(e.kind_ == engine_kind::ipsecmb ? detail::ipsecmb_unprotect_rtp
                                                   : detail::libsrtp_unprotect_rtp,
                   *e.st_, p, n);
}

uint16_t protect_rtcp(engine& e, packet* p, uint16_t n) noexcept {
    return chunked(e.kind_ == engine_kind::ipsecmb ? detail::ipsecmb_protect_rtcp
                                                   : detail::libsrtp_protect_rtcp,
                   *e.st_, p, n);
}

uint16_t unprotect_rtcp(engine& e, packet* p, uint16_t n) noexcept {
    return chunked(e.kind_ == engine_kind::ipsecmb ? detail::ipsecmb_unprotect_rtcp
                                                   : detail::libsrtp_unprotect_rtcp,
                   *e.st_, p, n);
}

}  // namespace sbc::srtp
