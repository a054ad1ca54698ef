#pragma once
// RFC 3264 offer/answer helpers over sdp::session: answer directions, codec intersection, rejecting
// streams. Choices (which codecs, which direction we want) come from the caller.

#include <string>
#include <string_view>
#include <vector>

#include "sip/sdp.hpp"

namespace sbc::sip::sdp {

// RFC 3264 §6.1: sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive, sendrecv ->
// what we want (`local`), each restricted by what we are able to do.
direction answer_direction(direction offered, direction local = direction::sendrecv);

struct codec {
    std::string encoding;  // compared case-insensitively
    uint32_t clock_rate = 8000;
    std::string channels;  // "" = any
};

// Payload types of `offer` (in the offer's order, RFC 3264 §6.1) whose rtpmap, or static payload
// type (RFC 3551: 0 PCMU, 8 PCMA, 9 G722, 18 G729, 3 GSM, 4 G723), matches one of `supported`.
std::vector<std::string> intersect_codecs(const media& offer, const std::vector<codec>& supported);

// Keeps only `payload_types` in m= and drops rtpmap/fmtp lines of the others.
void keep_formats(media& m, const std::vector<std::string>& payload_types);

// RFC 3264 §6: port 0, at least one format kept, media attributes dropped.
void reject_stream(media& m);

}  // namespace sbc::sip::sdp
