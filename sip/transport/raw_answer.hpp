#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sbc::sip {

// True when the bytes start like a request (anything but "SIP/" in front), i.e. an answer is
// due rather than a silent drop.
bool looks_like_request(std::string_view bytes);

// An RFC 3261 §8.2.6 response to a request that could not be parsed or accepted, built from its
// raw header block alone: Via (all), From, To (a tag added), Call-ID and CSeq are copied, then
// `extra_headers` ("Retry-After: 30\r\n"), then Content-Length: 0. Returns "" when the head is
// not a request, is an ACK (never answered), or lacks one of those headers.
std::string answer_from_raw(std::string_view head, std::uint16_t code, std::string_view reason,
                            std::string_view extra_headers = {});

}  // namespace sbc::sip
