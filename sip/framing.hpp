#pragma once
// Stream framing (RFC 3261 §18.3): where one SIP message ends in a TCP/TLS byte stream. The
// transport calls this on its receive buffer, hands the framed bytes to parse(), and keeps the
// rest.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sip/error.hpp"
#include "sip/message.hpp"

namespace sbc::sip {

enum class frame_status : uint8_t {
    need_more,  // no complete message yet (and nothing wrong so far)
    keepalive,  // `size` bytes of CRLFs before a message: RFC 5626 §4.4.1 ping ("\r\n\r\n") or pong
    message,    // a complete message of `size` bytes (head + Content-Length body)
    error,      // unrecoverable framing fault: close the connection
};

struct frame {
    frame_status status = frame_status::need_more;
    std::size_t size = 0;
    error_code error = error_code::none;  // for frame_status::error
};

// Looks at the start of `buffered`. A stream message must carry Content-Length; a head longer than
// limits.max_message_bytes without its empty line, or a body that would exceed it, is an error.
frame next_frame(std::string_view buffered, const parse_limits& limits = {});

}  // namespace sbc::sip
