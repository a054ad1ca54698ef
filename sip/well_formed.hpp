#pragma once
// Whether a message is fit to send: what parse() demands of what arrives, asked of what is about
// to leave (issue 10: the SBC is the PBX's shield, what it relays is well-formed by
// construction). For an egress guard before a send and for a fuzz oracle: a message that passes
// holds no control character in its start line or header values (RFC 3261 §25.1), keeps the
// limits, and frames on a stream exactly (Content-Length is the body; nothing after it).

#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/message.hpp"

namespace sbc::sip {

struct wire_verdict {
    error_code code = error_code::none;
    // The header the fault is in ("From", "X-Foo"), or "" when it is not about one header.
    std::string header;
    // For a log line or a Warning: "control character in From", "header line of 9000 bytes over
    // the limit of 8192: Accept". "" when ok().
    std::string reason;

    bool ok() const { return code == error_code::none; }
    explicit operator bool() const { return ok(); }
};

// A parsed message as serialised (message::data()): start line and header values free of
// control characters, header names tokens, at most limits.max_headers headers, no header line
// longer than limits.max_line_length, at most limits.max_message_bytes, and a Content-Length
// that is the body's size.
wire_verdict well_formed(const message& m, const parse_limits& limits = {});

// Bytes about to go on a stream (or in a datagram): they parse as one stream message within
// `limits` and well_formed(message) holds, and nothing follows the body.
wire_verdict well_formed(std::string_view bytes, const parse_limits& limits = {});

// What message_editor and outgoing_message take from their callers (RFC 3261 §25.1): a header
// value or reason phrase without control characters; a Request-URI without them or whitespace
// (either would break the start line). Header names must be tokens (is_token, sip/text.hpp).
bool fit_header_value(std::string_view value);
bool fit_reason_phrase(std::string_view reason);
bool fit_request_uri(std::string_view uri);

// Why an editor or builder refused a value: the header (or "Request-URI", "reason phrase") and
// what was wrong, for the caller's log.
struct build_refusal {
    std::string header;
    std::string reason;
};

}  // namespace sbc::sip
