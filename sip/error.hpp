#pragma once
// Parse errors are values (STYLE.md: "errors from the network are values"). Each code carries the
// status a UAS/proxy should answer with and a reason phrase that names the fault, generated from
// one table so the enum, the text and the counter label cannot drift.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace sbc::sip {

// X(name, status, reason phrase)
#define SBC_SIP_ERRORS(X)                                                                      \
    X(none, 200, "OK")                                                                         \
    X(empty_message, 400, "Bad Request (empty message)")                                       \
    X(message_too_large, 513, "Message Too Large")                                             \
    X(too_many_headers, 400, "Bad Request (too many headers)")                                 \
    X(line_too_long, 400, "Bad Request (line too long)")                                       \
    X(malformed_start_line, 400, "Bad Request (malformed start line)")                         \
    X(malformed_method, 400, "Bad Request (malformed method)")                                 \
    X(malformed_request_uri, 400, "Bad Request (malformed Request-URI)")                       \
    X(unsupported_uri_scheme, 416, "Unsupported URI Scheme")                                   \
    X(unsupported_version, 505, "Version Not Supported")                                       \
    X(malformed_status_line, 400, "Bad Request (malformed status line)")                       \
    X(malformed_header_line, 400, "Bad Request (malformed header line)")                       \
    X(missing_header_end, 400, "Bad Request (no empty line after headers)")                    \
    X(missing_via, 400, "Bad Request (missing Via)")                                           \
    X(malformed_via, 400, "Bad Request (malformed Via)")                                       \
    X(missing_from, 400, "Bad Request (missing From)")                                         \
    X(malformed_from, 400, "Bad Request (malformed From)")                                     \
    X(missing_to, 400, "Bad Request (missing To)")                                             \
    X(malformed_to, 400, "Bad Request (malformed To)")                                         \
    X(missing_call_id, 400, "Bad Request (missing Call-ID)")                                   \
    X(malformed_call_id, 400, "Bad Request (malformed Call-ID)")                               \
    X(duplicate_header, 400, "Bad Request (duplicate single-value header)")                    \
    X(missing_cseq, 400, "Bad Request (missing CSeq)")                                         \
    X(malformed_cseq, 400, "Bad Request (malformed CSeq)")                                     \
    X(cseq_method_mismatch, 400, "Bad Request (CSeq method does not match)")                   \
    X(malformed_max_forwards, 400, "Bad Request (malformed Max-Forwards)")                     \
    X(missing_content_length, 400, "Bad Request (missing Content-Length)")                     \
    X(malformed_content_length, 400, "Bad Request (malformed Content-Length)")                 \
    X(body_shorter_than_content_length, 400, "Bad Request (body shorter than Content-Length)") \
    X(malformed_content_type, 400, "Bad Request (malformed Content-Type)")                     \
    X(malformed_contact, 400, "Bad Request (malformed Contact)")                               \
    X(malformed_route, 400, "Bad Request (malformed Route)")                                   \
    X(malformed_expires, 400, "Bad Request (malformed Expires)")                               \
    X(malformed_authorization, 400, "Bad Request (malformed Authorization)")                   \
    X(malformed_header, 400, "Bad Request (malformed header)")                                 \
    X(malformed_uri, 400, "Bad Request (malformed URI)")                                       \
    X(malformed_multipart, 400, "Bad Request (malformed multipart body)")                      \
    X(control_character, 400, "Bad Request (control character in header)")                     \
    X(bytes_after_body, 400, "Bad Request (bytes after the body)")

enum class error_code : uint8_t {
#define SBC_SIP_ERROR_ENUM(name, status, reason) name,
    SBC_SIP_ERRORS(SBC_SIP_ERROR_ENUM)
#undef SBC_SIP_ERROR_ENUM
};

inline constexpr std::size_t error_code_count = 0
#define SBC_SIP_ERROR_COUNT(name, status, reason) +1
    SBC_SIP_ERRORS(SBC_SIP_ERROR_COUNT)
#undef SBC_SIP_ERROR_COUNT
    ;

// Stable label for counters and logs ("malformed_via").
std::string_view error_name(error_code code);
// Reason phrase for the response ("Bad Request (malformed Via)").
std::string_view error_reason(error_code code);
// Status code to answer with (400, 416, 505, 513).
uint16_t error_status(error_code code);
// error_reason() naming the header the fault is in, when the reason is about one header and
// `header` is not empty: "Bad Request (control character in From)". `header` must be a token
// (a header name as the parser accepted it); longer than 64 bytes it is cut.
std::string error_reason(error_code code, std::string_view header);

// The raw header values an RFC 3261 §8.2.6 answer copies from a request, as a failed parse found
// them: views into the bytes given to parse(std::string_view), which the caller keeps, so that a
// 400/413/503 can be built without scanning the bytes again. Values are LWS-trimmed as written
// (a folded value keeps its CRLF+WSP); "" when absent or when the scan did not reach them.
struct request_fields {
    std::string_view method;  // request method token; "" for a response or an unusable start line
    // The header lines from the start of the first Via line to the end (CRLF included) of the
    // last one, other headers between them included; read them with header_line_reader
    // (message.hpp) and keep the Via ones, in order.
    std::string_view via_lines;
    std::string_view from, to, call_id, cseq;  // the first of each

    // Everything an answer needs is there.
    bool complete() const {
        return !via_lines.empty() && !from.empty() && !to.empty() && !call_id.empty() &&
               !cseq.empty();
    }
};

// Why a message could not be parsed, and whether we know enough to answer it: a response needs
// the request's Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6), all of which parsed.
struct parse_error {
    error_code code = error_code::none;
    bool response_possible = false;
    // Raw values found before the fault, whether or not they parsed (see request_fields).
    request_fields fields{};
    // The header the fault is in, for control_character: its name as RFC 3261 spells it for a
    // well-known header ("From" for "f"), else as written (a view into the bytes given to
    // parse(std::string_view); "" after the other overload).
    std::string_view header{};

    uint16_t status() const { return error_status(code); }
    std::string_view reason() const { return error_reason(code); }
    // The reason phrase to answer with: reason(), naming `header` when there is one.
    std::string reason_phrase() const { return error_reason(code, header); }
};

// A value or an error, for results that are not worth an exception. T must be
// default-constructible.
template <class T, class E = error_code>
class result {
  public:
    result(T value) : value_(std::move(value)), ok_(true) {}  // NOLINT(implicit)
    result(E error) : error_(error), ok_(false) {}            // NOLINT(implicit)

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const T& value() const& { return value_; }
    T& value() & { return value_; }
    T&& value() && { return std::move(value_); }
    const T& operator*() const& { return value_; }
    T& operator*() & { return value_; }
    const T* operator->() const { return &value_; }
    T* operator->() { return &value_; }
    const E& error() const { return error_; }

  private:
    T value_{};
    E error_{};
    bool ok_;
};

}  // namespace sbc::sip
