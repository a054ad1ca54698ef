#include "dataplane/srtp/engine.hpp"

#include <stdexcept>

namespace sbc::srtp {

namespace detail {
struct engine_state {};
}  // namespace detail

engine::engine(engine_kind k) : kind_(k), st_(std::make_unique<detail::engine_state>()) {}
engine::~engine() = default;
const char* engine::arch() const noexcept {
    return "unimplemented";
}

namespace {
uint16_t fail_all(packet* pkts, uint16_t n) noexcept {
    for (uint16_t i = 0; i < n; ++i) {
        pkts[i].result = status::crypto_error;
        pkts[i].events = 0;
    }
    return 0;
}
}  // namespace

uint16_t protect_rtp(engine&, packet* pkts, uint16_t n) noexcept {
    return fail_all(pkts, n);
}
uint16_t unprotect_rtp(engine&, packet* pkts, uint16_t n) noexcept {
    return fail_all(pkts, n);
}
uint16_t protect_rtcp(engine&, packet* pkts, uint16_t n) noexcept {
    return fail_all(pkts, n);
}
uint16_t unprotect_rtcp(engine&, packet* pkts, uint16_t n) noexcept {
    return fail_all(pkts, n);
}

}  // namespace sbc::srtp
