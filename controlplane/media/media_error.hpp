#pragma once
// Why the media manager refused an SDP or a call, and the SIP answer that says so. One table:
// the enum, the status code and the text cannot drift. `detail` carries the precise fault (the
// SDP parser's reason, the offending suite) for the Warning header and the logs.

#include <cstdint>
#include <string>
#include <string_view>

namespace sbc::cp::media {

// X(name, sip status, text)
#define SBC_MEDIA_ERRORS(X)                                               \
    X(none, 200, "ok")                                                    \
    X(bad_sdp, 400, "malformed SDP")                                      \
    X(bad_crypto, 488, "unacceptable a=crypto")                           \
    X(no_audio, 488, "no usable audio stream")                            \
    X(unsupported_transport, 488, "media transport not supported")        \
    X(unsupported_address, 488, "media address not supported")            \
    X(crypto_required, 488, "SRTP required: no a=crypto offered")         \
    X(no_acceptable_crypto, 488, "no acceptable a=crypto suite")          \
    X(srtp_not_allowed, 488, "SRTP offered on an RTP-only media profile") \
    X(crypto_on_plain_rtp, 488, "a=crypto on RTP/AVP (SRTP is RTP/SAVP)") \
    X(mki_too_long, 488, "a=crypto MKI longer than supported")            \
    X(no_common_codec, 488, "no acceptable codec")                        \
    X(answer_mismatch, 488, "answer does not match the offer")            \
    X(offer_pending, 491, "an offer is already pending")                  \
    X(no_offer, 500, "answer without an offer")                           \
    X(no_session, 481, "no such media session")                           \
    X(no_ports, 503, "no free media port")                                \
    X(at_capacity, 503, "session limit reached")                          \
    X(dataplane_unavailable, 503, "media dataplane unavailable")          \
    X(programming_failed, 500, "media dataplane refused the flow")        \
    X(programming_timeout, 500, "media dataplane did not answer")

enum class errc : uint8_t {
#define SBC_X(name, status, text) name,
    SBC_MEDIA_ERRORS(SBC_X)
#undef SBC_X
};

int sip_status(errc e);
std::string_view text(errc e);
std::string_view name(errc e);

struct status {
    errc code = errc::none;
    std::string detail;  // precise cause; empty when `text(code)` says it all

    static status ok() { return {}; }
    explicit operator bool() const { return code == errc::none; }
    int sip_status() const { return media::sip_status(code); }
    // "no acceptable a=crypto suite: offered AES_CM_192_..." — for Warning and logs.
    std::string message() const;
    // The value of a Warning header (RFC 3261 §20.43) carrying message(): `399 sbc "..."`. The
    // detail may quote a peer's SDP, so the text is cut to warning_text_max bytes and every
    // byte that is not printable ASCII becomes '?' (quotes and backslashes '\''): the header is
    // well-formed whatever the peer sent.
    std::string warning() const;
    static constexpr size_t warning_text_max = 160;
};

inline status fail(errc e, std::string detail = {}) {
    return {e, std::move(detail)};
}

}  // namespace sbc::cp::media
