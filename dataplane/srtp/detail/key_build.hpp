#pragma once
// Building a key set from session keys directly: what make_key_set() does after the KDF, and
// what the RFC 7714 known-answer tests need (their vectors give session keys, not master keys).

#include <intel-ipsec-mb.h>

#include "dataplane/srtp/kdf.hpp"
#include "dataplane/srtp/key_set.hpp"

namespace sbc::srtp::detail {

// ipsec-mb's stateless helpers (key expansion, one-block AES, HMAC pads) need a manager but no
// per-thread state: one, initialised on first use, serves every thread that makes keys. Null
// when ipsec-mb cannot be initialised.
IMB_MGR* key_helpers() noexcept;

// `k` gives suite, MKI and the master key recorded in the set (for same_key); the packet path
// uses `rtp` / `rtcp` as they are. With engine_kind::libsrtp the libsrtp session is still made
// from `k` (libsrtp always derives).
key_set_ptr make_key_set_from_session_keys(const shm::srtp_key& k, const session_keys& rtp,
                                           const session_keys& rtcp, direction dir, engine_kind e,
                                           key_error& err);

}  // namespace sbc::srtp::detail
