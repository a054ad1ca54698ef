#pragma once
// For callers that pipeline a burst: the cache lines protect_rtp()/unprotect_rtp() will read for
// a stream, to be prefetched a stage ahead. Prefetches never fault; nothing here reads the lines.

#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/stream.hpp"

namespace sbc::srtp {

// GCC 12 at -O3 may drop loops of __builtin_prefetch (see detail/ipsecmb_jobs.hpp); a volatile
// asm prefetch stays.
inline void prefetch_line(const void* p) noexcept {
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
}

// The stream record's first line: keys, packet index and replay window of the current SSRC.
inline void prefetch_stream(const stream& s) noexcept {
    prefetch_line(&s);
}

// What an RTP packet under `k` reads with AES_CM_128: the first line (lengths, MKI, salt,
// HMAC-SHA1 pads) and the AES round keys, four lines (detail/key_set_layout.hpp). `k` may be
// null.
inline void prefetch_rtp_key(const key_set* k) noexcept {
    if (k == nullptr) {
        return;
    }
    const auto* base = reinterpret_cast<const char*>(k);
    for (size_t l = 0; l < 4; ++l) {
        prefetch_line(base + 64 * l);
    }
}

}  // namespace sbc::srtp
