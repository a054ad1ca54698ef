#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sip/error.hpp"

namespace sbc::sip {

// True when the bytes start like a request (anything but "SIP/" in front), i.e. an answer is
// due rather than a silent drop.
bool looks_like_request(std::string_view bytes);

// An RFC 3261 §8.2.6 response to a request that could not be parsed or accepted, from the
// request's header values as the parser read them (parse_error::fields of a failed parse, or
// read_request_fields()): Via (all, in order), From, To (a tag added), Call-ID and CSeq where
// present, then `extra_headers` ("Retry-After: 30\r\n"), then Content-Length: 0. Folded values
// are unfolded; a value holding another control character (a bare CR, a NUL...) is never copied:
// such a From, To, Call-ID or CSeq is left out, such a Via leaves nothing to answer with.
// Returns "" for an ACK (never answered) or without a clean Via to send the answer by.
// For bytes that looks_like_request(): `fields` cannot tell a response from a request whose
// start line is unusable.
std::string answer_from_fields(const request_fields& fields, std::uint16_t code,
                               std::string_view reason, std::string_view extra_headers = {});

// answer_from_fields() for a request that was not parsed: its head (or as much of it as there
// is) read by read_request_fields(). "" when the bytes are not a request.
std::string answer_from_raw(std::string_view head, std::uint16_t code, std::string_view reason,
                            std::string_view extra_headers = {});

}  // namespace sbc::sip
