#pragma once
// The SHA-1 state after one 64-byte block from the initial state: the precomputed inner and
// outer HMAC-SHA1 pads of a key set (RFC 2104). Control path only (a flow's install or key
// change).

#include <cstdint>

namespace sbc::srtp::detail {

// state_out: the five state words H0..H4 in host byte order (the layout ipsec-mb's HMAC jobs
// take as their ipad/opad digests).
void sha1_one_block(const uint8_t block[64], uint8_t state_out[20]) noexcept;

}  // namespace sbc::srtp::detail
