#pragma once
// Small vocabulary shared by every sbc::srtp header.

#include <cstdint>
#include <string_view>

namespace sbc::srtp {

// Which way a stream's packets go. A stream is used for one direction only.
enum class direction : uint8_t {
    inbound = 0,   // rx: SRTP from the peer, unprotect_*()
    outbound = 1,  // tx: RTP towards the peer, protect_*()
};

// The crypto engine, chosen once at start-up (config `dataplane.srtp_engine`).
enum class engine_kind : uint8_t {
    ipsecmb = 0,  // intel-ipsec-mb job API, batched per burst (the fast path)
    libsrtp = 1,  // libsrtp2, one packet at a time (reference and fallback)
};

// "ipsecmb" | "libsrtp"; false on anything else.
bool parse_engine_kind(std::string_view text, engine_kind& out) noexcept;
const char* engine_kind_name(engine_kind k) noexcept;

}  // namespace sbc::srtp
