#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sbc::sip {

// Bounds for one stream connection's receive side (a subset of transport_limits).
struct stream_limits {
    std::size_t max_message_size = 65535;  // header block + body
    std::size_t max_headers = 128;
    std::size_t max_line_length = 8192;      // one header including its folds, or the start line
    std::size_t max_pending_bytes = 131072;  // bytes received but not yet framed
};

// X(name, description): why a stream stopped being framed. Terminal: the connection closes.
#define SBC_SIP_FRAME_ERRORS(X)                                      \
    X(none, "no error")                                              \
    X(line_too_long, "header line longer than max_line_length")      \
    X(too_many_headers, "more headers than max_headers")             \
    X(header_too_large, "header block larger than max_message_size") \
    X(body_too_large, "Content-Length makes the message too large")  \
    X(missing_content_length, "no Content-Length on a stream")       \
    X(bad_content_length, "malformed or conflicting Content-Length") \
    X(pending_overflow, "more unframed bytes than max_pending_bytes")

enum class frame_error : std::uint8_t {
#define SBC_SIP_FRAME_ERROR_ENUM(name, text) name,
    SBC_SIP_FRAME_ERRORS(SBC_SIP_FRAME_ERROR_ENUM)
#undef SBC_SIP_FRAME_ERROR_ENUM
};
std::string_view frame_error_name(frame_error e);

enum class frame_kind : std::uint8_t {
    need_more,  // feed more bytes
    message,    // `bytes` is one whole SIP message (head + Content-Length body)
    ping,       // RFC 5626 §4.4.1 keep-alive ping (CRLFCRLF): answer with a pong
    pong,       // a lone CRLF: the peer's answer to our ping
    error,      // `error` says why; `head`: the complete header block when one was seen, or
                // for a head over a limit the whole lines before the one that broke it (an
                // answer copies its Via, From, To, Call-ID, CSeq from them); "" when none
};

struct stream_frame {
    frame_kind kind = frame_kind::need_more;
    frame_error error = frame_error::none;
    std::string_view bytes;
    std::string_view head;
};

// Splits a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3) with a
// minimal header scan of its own: lines, header count, Content-Length. It scans each byte once
// however the data is split (no rescans under a slow drip) and keeps every bound in
// stream_limits. Full parsing happens afterwards on the framed message.
class stream_framer {
  public:
    explicit stream_framer(const stream_limits& limits) : limits_(limits) {}

    // Writable space at the tail for at least `n` bytes (recv/SSL_read straight into it), then
    // commit() what was written. Views returned by next() die here.
    std::span<char> prepare(std::size_t n);
    void commit(std::size_t n) { end_ += n; }
    void append(std::string_view bytes);

    // The next event. Views in the result stay valid until the next call of any method.
    stream_frame next();

    // Bytes held that are not yet framed.
    std::size_t pending() const { return end_ - begin_ - consumed_; }
    bool failed() const { return error_ != frame_error::none; }

  private:
    stream_frame fail(frame_error e, bool with_head);
    // Fails with the first `lines` bytes of the message as `head`.
    stream_frame fail_after(frame_error e, std::size_t lines);
    std::optional<frame_error> scan_header_line(std::size_t line_start, std::size_t line_end);

    stream_limits limits_;
    std::vector<char> buf_;
    std::size_t begin_ = 0;     // start of the current (unframed) message
    std::size_t end_ = 0;       // end of received data
    std::size_t consumed_ = 0;  // length of the last returned frame, dropped on the next call
    // Scan state of the current message.
    std::size_t search_ = 0;       // offset from begin_ where the LF search continues
    std::size_t line_start_ = 0;   // offset of the current line
    std::size_t field_start_ = 0;  // offset of the current header (folds continue it)
    std::size_t headers_ = 0;
    std::size_t head_size_ = 0;  // 0 until the empty line is seen
    std::optional<std::size_t> content_length_;
    bool start_line_seen_ = false;
    bool bad_length_ = false;
    bool after_crlf_ = false;  // a lone CRLF was just taken as a pong
    frame_error error_ = frame_error::none;
};

}  // namespace sbc::sip
