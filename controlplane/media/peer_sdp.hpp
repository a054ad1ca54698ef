#pragma once
// Reading a peer's SDP: parse (RFC 8866, hostile input refused with a precise status), find the
// audio stream the SBC anchors, check its address and transport, filter its codecs by the media
// profiles, and pick or check its a=crypto (RFC 4568). Pure functions: nothing is allocated or
// programmed here, so a refused SDP leaves no trace.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/appliance.hpp"
#include "controlplane/media/media_error.hpp"
#include "dataplane/shm/contract.hpp"
#include "sip/sdes.hpp"
#include "sip/sdp.hpp"

namespace sbc::cp::media {

// One of our own SDES contexts: the key we protect with, under the tag and suite of its line.
struct crypto_context {
    uint32_t tag = 0;
    srtp_suite suite = srtp_suite::none;
    shm::srtp_key key{};
};

// The audio stream of a peer's SDP, accepted by the leg's profile.
struct peer_audio {
    size_t index = 0;           // m-line the SBC anchors (the first usable audio stream)
    shm::endpoint rtp{};        // c= address and m= port
    bool hold_address = false;  // c=0.0.0.0 (RFC 3264 §8.4 legacy hold)
    sip::sdp::direction direction = sip::sdp::direction::sendrecv;  // as declared
    bool rtcp_mux = false;                                          // a=rtcp-mux (RFC 5761)
    std::optional<uint16_t> rtcp_port;                              // a=rtcp (RFC 3605)
    std::vector<std::string> formats;    // payload types kept, in the SDP's order
    std::vector<std::string> encodings;  // their encoding names (for sbcctl and records)
    uint32_t clock_rate = 8000;          // of the first kept format
    std::string proto;                   // as written: RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF
    std::optional<sip::sdp::crypto_attribute> crypto;  // the chosen line: the peer's send key
    std::optional<shm::srtp_key> rx_key;               // that line's key for the dataplane

    bool secure_proto() const { return proto.find("SAVP") != std::string::npos; }
    // The peer wants to receive media (not sendonly/inactive, not c=0.0.0.0).
    bool receives() const;
    // The peer will send media (sendrecv or sendonly).
    bool sends() const;
    // The direction as the other leg should see it: c=0.0.0.0 removes "receive".
    sip::sdp::direction effective_direction() const;
};

struct peer_sdp {
    sip::sdp::session session;  // as received
    peer_audio audio;
};

sip::sdp::limits sdp_limits();

// Parses `body` and finds the anchored audio stream; no profile rules yet. Errors: bad_sdp (400)
// for RFC 8866 faults, bad_crypto (488) for a=crypto faults (malformed, bad base64, key length,
// too many lines, only unknown suites), no_audio, unsupported_transport, unsupported_address.
status read_sdp(std::string_view body, peer_sdp& out);

// The payload types of `m` the profile allows (all when allow_unconfigured_codecs), in order.
std::vector<std::string> allowed_formats(const sip::sdp::media& m,
                                         const config::media_profile& profile);
// The encoding name of a payload type: its rtpmap, or the RFC 3551 static assignment.
std::string encoding_of(const sip::sdp::media& m, std::string_view payload_type);

// An offer from a peer on a leg with `own` profile, to be relayed to a leg with `other` profile:
// codecs filtered by both profiles; crypto chosen per `own` (first suite of the profile's list the
// offer carries, RFC 4568 §7.1.1). SRTP-only profile without acceptable crypto: 488; with
// a=crypto on RTP/AVP (opportunistic SRTP, RFC 8643): 488 crypto_on_plain_rtp; with only lines
// whose MKI is longer than the dataplane's 4 bytes: 488 mki_too_long, naming both lengths.
status accept_offer(peer_sdp& offer, const config::media_profile& own,
                    const config::media_profile& other);

// An answer from a peer to our offer on its leg: formats must be among those we offered; crypto
// must answer one of our lines (same tag and suite, RFC 4568 §7.1.2) when we offered any and the
// profile requires SRTP. On success `chosen` is our context the peer accepted (tag 0 = plain RTP).
status accept_answer(peer_sdp& answer, const config::media_profile& own,
                     std::span<const std::string> offered_formats,
                     std::span<const crypto_context> offered_crypto, crypto_context& chosen);

}  // namespace sbc::cp::media
