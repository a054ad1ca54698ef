#pragma once
// The packet-path form of one master key: everything precomputed, immutable once built.

#include <memory>

#include "dataplane/shm/contract.hpp"
#include "dataplane/srtp/common.hpp"
#include "dataplane/srtp/master_key.hpp"

namespace sbc::srtp {

struct key_set;  // layout private to the engines (dataplane/srtp/detail/key_set_layout.hpp)

struct key_set_deleter {
    void operator()(key_set* k) const noexcept;
};
using key_set_ptr = std::unique_ptr<key_set, key_set_deleter>;

// Derives the RTP and RTCP session keys of `k` and precomputes what the engine needs per packet
// (AES key schedules, HMAC-SHA1 inner/outer states, GCM hash tables; with engine_kind::libsrtp a
// libsrtp2 session for `dir`). Control path, any thread; allocates. On failure returns nullptr
// and sets `err`; an unsupported suite or a bad length is refused here, never at packet time.
key_set_ptr make_key_set(const shm::srtp_key& k, direction dir, engine_kind e, key_error& err);

// The master key a key set was made from (for "is this the same key" on a re-INVITE).
const shm::srtp_key& master_of(const key_set& ks) noexcept;

}  // namespace sbc::srtp
