#include "sip/framing.hpp"

#include <cstring>

#include "sip/header_id.hpp"
#include "sip/text.hpp"

namespace sbc::sip {

frame next_frame(std::string_view buffered, const parse_limits& limits) {
    std::size_t crlf = 0;
    while (crlf < buffered.size() && (buffered[crlf] == '\r' || buffered[crlf] == '\n')) {
        ++crlf;
    }
    if (crlf > 0) {
        return {frame_status::keepalive, crlf, error_code::none};
    }
    // The head ends at the first empty line (CRLF CRLF, or LF LF from lenient peers).
    std::size_t head_end = std::string_view::npos;
    for (std::size_t i = buffered.find('\n'); i != std::string_view::npos;
         i = buffered.find('\n', i + 1)) {
        std::size_t next = i + 1;
        if (next < buffered.size() && buffered[next] == '\n') {
            head_end = next + 1;
            break;
        }
        if (next + 1 < buffered.size() && buffered[next] == '\r' && buffered[next + 1] == '\n') {
            head_end = next + 2;
            break;
        }
        if (next >= limits.max_message_bytes) {
            break;
        }
    }
    if (head_end == std::string_view::npos) {
        if (buffered.size() >= limits.max_message_bytes) {
            return {frame_status::error, 0, error_code::message_too_large};
        }
        return {};
    }
    // Content-Length (or "l"): the last line that names it; duplicates are the parser's business
    // once the message is framed, but differing values cannot be framed at all.
    std::string_view head = buffered.substr(0, head_end);
    std::optional<uint64_t> length;
    std::size_t pos = head.find('\n');
    while (pos != std::string_view::npos && pos + 1 < head.size()) {
        std::size_t start = pos + 1;
        std::size_t end = head.find('\n', start);
        std::string_view line =
            head.substr(start, end == std::string_view::npos ? end : end - start);
        pos = end;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || line.empty() || is_lws(line[0])) {
            continue;
        }
        if (classify_header(trim_lws(line.substr(0, colon))) != header_id::content_length) {
            continue;
        }
        auto n = parse_uint(trim_lws(line.substr(colon + 1)), limits.max_message_bytes);
        if (!n || (length && *length != *n)) {
            return {frame_status::error, 0, error_code::malformed_content_length};
        }
        length = n;
    }
    if (!length) {
        return {frame_status::error, 0, error_code::missing_content_length};
    }
    if (head_end + *length > limits.max_message_bytes) {
        return {frame_status::error, 0, error_code::message_too_large};
    }
    if (buffered.size() < head_end + *length) {
        return {};
    }
    return {frame_status::message, head_end + std::size_t(*length), error_code::none};
}

}  // namespace sbc::sip
