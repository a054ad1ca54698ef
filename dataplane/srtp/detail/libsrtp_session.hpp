#pragma once
// libsrtp2 sessions behind the libsrtp engine (kept out of the public headers).

#include "dataplane/shm/contract.hpp"
#include "dataplane/srtp/common.hpp"

namespace sbc::srtp::detail {

// srtp_init() once per process; false if libsrtp2 refuses.
bool libsrtp_init() noexcept;
// A session with one ssrc_any_inbound/outbound stream template for `k` (must be valid).
void* libsrtp_create(const shm::srtp_key& k, direction dir) noexcept;
void libsrtp_destroy(void* session) noexcept;
// Makes sure `session` has a stream for `ssrc` continuing at rollover counter `roc` (a key roll
// carries the ROC over). Allocates inside libsrtp the first time; best effort.
void libsrtp_carry_roc(void* session, const shm::srtp_key& k, direction dir, uint32_t ssrc,
                       uint32_t roc) noexcept;

}  // namespace sbc::srtp::detail
