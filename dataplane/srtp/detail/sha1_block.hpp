#pragma once
// One SHA-1 compression from the standard initial state (FIPS 180-4 §6.1.2), the precompute of
// HMAC-SHA1 (RFC 2104): the state after the key XOR ipad / opad block. Output: the five state
// words in native byte order, the form ipsec-mb's HMAC jobs take (as IMB_SHA1_ONE_BLOCK writes
// it). With SHA-NI directly (ipsec-mb 1.3's one-block helper is the AVX2 code, ~10x the work);
// without, through ipsec-mb. Control path only.

#include <intel-ipsec-mb.h>

#include <cstdint>

namespace sbc::srtp::detail {

void sha1_one_block(IMB_MGR* mgr, const uint8_t block[64], uint8_t state_out[20]) noexcept;

// For tests: whether sha1_one_block() uses SHA-NI on this CPU.
bool sha1_one_block_uses_sha_ni() noexcept;

}  // namespace sbc::srtp::detail
