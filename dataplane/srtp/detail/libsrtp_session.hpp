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

}  // namespace sbc::srtp::detail
