#pragma once
// A parsed SIP message (RFC 3261 §7): it owns its receive buffer and everything else is a
// std::string_view into it. parse() finds the start line and the header boundaries, classifies
// header names into typed slots, and validates what every SIP element needs (start line, top Via,
// From, To, Call-ID, CSeq, Content-Length). Every other header is parsed the first time it is
// asked for and the result is cached. Model: Kamailio src/core/parser/msg_parser.c.
// A message belongs to one thread at a time: lazy accessors are const but fill a cache.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace sbc::sip {

struct parse_limits {
    std::size_t max_message_bytes = 65535;
    std::size_t max_headers = 128;
    std::size_t max_line_length = 8192;  // one header line including its folds
};

// How the message arrived. A datagram may carry more bytes than Content-Length (truncated per
// RFC 3261 §18.3) and may omit Content-Length; a stream message (already framed by the transport)
// must carry it.
enum class framing : uint8_t { datagram, stream };

struct parse_options {
    parse_limits limits{};
    framing how = framing::datagram;
};

struct header_field {
    std::string_view name;   // as written ("v", "VIA", "X-Foo")
    std::string_view value;  // LWS-trimmed; a folded value still holds its CRLF+WSP inside
    std::string_view raw;    // the whole header line(s), including the final CRLF
    header_id id = header_id::other;
};

enum class field_state : uint8_t { absent, ok, malformed };

// The outcome of a lazily parsed header: absent, ok (value set) or malformed.
template <class T>
struct parsed {
    field_state state = field_state::absent;
    T value{};

    bool ok() const { return state == field_state::ok; }
    bool absent() const { return state == field_state::absent; }
    bool malformed() const { return state == field_state::malformed; }
    explicit operator bool() const { return ok(); }
    const T& operator*() const { return value; }
    const T* operator->() const { return &value; }
};

class message {
  public:
    message();
    ~message();
    message(message&&) noexcept;
    message& operator=(message&&) noexcept;
    message(const message&) = delete;
    message& operator=(const message&) = delete;

    // ---- start line ----
    bool is_request() const { return request_; }
    bool is_response() const { return !request_; }
    std::string_view start_line() const { return start_line_; }
    std::string_view method() const { return method_; }  // request: as written (case-sensitive)
    sip_method method_kind() const { return method_kind_; }
    std::string_view request_uri_text() const { return ruri_text_; }
    const sip::uri& request_uri() const { return ruri_; }
    std::string_view version() const { return version_; }
    uint16_t status_code() const { return status_; }
    std::string_view reason_phrase() const { return reason_; }

    // ---- raw headers, in order ----
    std::span<const header_field> headers() const { return headers_; }
    // First header with this id (compact forms included), or nullptr.
    const header_field* find(header_id id) const;
    // First header with this name (case-insensitive; a compact or well-known name matches its id).
    const header_field* find(std::string_view name) const;
    std::size_t count(header_id id) const;

    // ---- the whole message ----
    std::string_view data() const { return {buf_.get(), size_}; }       // start line .. end of body
    std::string_view head() const { return {buf_.get(), head_size_}; }  // up to and incl. CRLFCRLF
    std::string_view body() const { return body_; }
    // Bytes after Content-Length in a datagram, dropped per RFC 3261 §18.3.
    std::size_t trailing_bytes() const { return trailing_; }

    // ---- validated by parse(): always present on a parsed message ----
    const via& top_via() const { return top_via_; }
    const name_addr& from() const { return from_; }
    const name_addr& to() const { return to_; }
    std::string_view call_id() const { return call_id_; }
    const sip::cseq& cseq() const { return cseq_; }
    std::optional<uint32_t> content_length() const { return content_length_; }

    // ---- lazy, cached ----
    const parsed<std::vector<via>>& vias() const;  // every Via element of every Via line
    const parsed<uint32_t>& max_forwards() const;
    const parsed<std::vector<contact>>& contacts() const;
    const parsed<std::vector<name_addr>>& routes() const;
    const parsed<std::vector<name_addr>>& record_routes() const;
    const parsed<std::vector<name_addr>>& paths() const;
    const parsed<uint32_t>& expires() const;
    const parsed<uint32_t>& min_expires() const;
    const parsed<media_type>& content_type() const;
    const parsed<std::vector<auth_value>>& authorizations() const;
    const parsed<std::vector<auth_value>>& proxy_authorizations() const;
    const parsed<std::vector<auth_value>>& www_authenticates() const;
    const parsed<std::vector<auth_value>>& proxy_authenticates() const;
    std::string_view user_agent() const;  // raw value, "" when absent
    std::string_view server() const;
    const parsed<std::vector<std::string_view>>& supported() const;
    const parsed<std::vector<std::string_view>>& require() const;
    const parsed<std::vector<std::string_view>>& proxy_require() const;
    const parsed<std::vector<std::string_view>>& unsupported() const;
    const parsed<std::vector<std::string_view>>& allow() const;
    bool supports(std::string_view option_tag) const;  // Supported contains it (case-insensitive)
    const parsed<sip::session_expires>& session_expires() const;
    const parsed<delta_seconds>& min_se() const;
    const parsed<name_addr>& refer_to() const;
    const parsed<name_addr>& referred_by() const;
    const parsed<std::vector<name_addr>>& p_asserted_identities() const;
    const parsed<std::vector<name_addr>>& p_preferred_identities() const;
    const parsed<std::vector<std::string_view>>& privacy() const;
    const parsed<std::vector<name_addr>>& geolocations() const;
    const parsed<std::vector<sip::reason>>& reasons() const;
    const parsed<uint32_t>& rseq() const;
    const parsed<sip::rack>& rack() const;
    const parsed<sip::event>& event() const;
    const parsed<sip::subscription_state>& subscription_state() const;
    const parsed<sip::retry_after>& retry_after() const;

    // The SDP offer/answer in the body: the whole body for application/sdp, or the
    // application/sdp part of a multipart/mixed body (RFC 5621). nullopt when there is none.
    std::optional<std::string_view> sdp_body() const;

    // Parses every typed header; returns the first malformed one's error (none if all parse).
    error_code parse_all() const;

  private:
    friend result<message, parse_error> parse(std::unique_ptr<char[]>, std::size_t,
                                              const parse_options&);
    struct lazy_cache;

    std::unique_ptr<char[]> buf_;
    std::size_t size_ = 0;
    std::size_t head_size_ = 0;
    std::size_t trailing_ = 0;
    bool request_ = false;
    sip_method method_kind_ = sip_method::other;
    uint16_t status_ = 0;
    std::string_view start_line_, method_, ruri_text_, version_, reason_, body_, call_id_;
    sip::uri ruri_;
    std::vector<header_field> headers_;
    // Index of the first header of each well-known id (UINT16_MAX when absent).
    std::array<uint16_t, header_id_count> first_{};
    via top_via_;
    name_addr from_, to_;
    sip::cseq cseq_;
    std::optional<uint32_t> content_length_;
    mutable std::unique_ptr<lazy_cache> lazy_;  // allocated on the first lazy access

    lazy_cache& cache() const;
};

// Parses a copy of `bytes`.
result<message, parse_error> parse(std::string_view bytes, const parse_options& options = {});
// Parses and takes ownership of a receive buffer (`len` bytes of it are the message).
result<message, parse_error> parse(std::unique_ptr<char[]> buffer, std::size_t len,
                                   const parse_options& options = {});

}  // namespace sbc::sip
