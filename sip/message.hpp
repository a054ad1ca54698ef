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

// In a parsed message no name, value or raw line holds a control character (RFC 3261 §25.1 CTL,
// HTAB excepted) but the line end of `raw`: parse() refuses them and unfolds folded lines (each
// CR and LF of a fold is SP in the message's text). From header_line_reader (raw bytes, not
// parsed) a folded value still holds its CRLF+WSP.
struct header_field {
    std::string_view name;   // as written ("v", "VIA", "X-Foo")
    std::string_view value;  // LWS-trimmed
    std::string_view raw;    // the whole header line, including the final CRLF
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

class message;

namespace detail {
struct message_lazy_cache;
struct message_lazy_rest;

// Everything parse() found, at the front of the message's single allocation (with the lazy cache,
// the header index and the text; see message_lazy.cpp). Not part of the API.
struct message_state {
    std::string_view data, head, body;
    std::string_view start_line, method, ruri_text, version, reason, call_id;
    const header_field* headers = nullptr;
    std::size_t header_count = 0;
    std::size_t trailing = 0;
    uint16_t status = 0;
    bool request = false;
    sip_method method_kind = sip_method::other;
    std::optional<uint32_t> content_length;
    // 1 + index of the first header of each well-known id; 0 when absent.
    std::array<uint16_t, header_id_count> first{};
    // Headers of each well-known id (255: that many or more).
    std::array<uint8_t, header_id_count> counts{};
    via top_via;
    name_addr from, to;
    sip::cseq cseq;
    sip::uri ruri;
    // Built in place in the allocation on first use (sip/message_cache.hpp).
    message_lazy_cache* lazy = nullptr;
    message_lazy_rest* lazy_rest = nullptr;
    std::size_t allocation = 0;  // bytes, for reuse (message_storage.cpp)
};

// One allocation for a message: its state, room for the lazy cache, `headers` header fields and
// `text_size` bytes of text plus padding (sip/scan.hpp). Returns the state; header_slots() and
// text_slot() locate the rest.
message_state* allocate_message(std::size_t headers, std::size_t text_size);
header_field* header_slots(message_state* s);
char* text_slot(message_state* s);
void free_message(message_state* s);
}  // namespace detail

class message {
  public:
    message();
    ~message();
    message(message&&) noexcept;
    message& operator=(message&&) noexcept;
    message(const message&) = delete;
    message& operator=(const message&) = delete;

    // ---- start line ----
    bool is_request() const { return s_->request; }
    bool is_response() const { return !s_->request; }
    std::string_view start_line() const { return s_->start_line; }
    std::string_view method() const { return s_->method; }  // request: as written (case-sensitive)
    sip_method method_kind() const { return s_->method_kind; }
    std::string_view request_uri_text() const { return s_->ruri_text; }
    const sip::uri& request_uri() const { return s_->ruri; }
    std::string_view version() const { return s_->version; }
    uint16_t status_code() const { return s_->status; }
    std::string_view reason_phrase() const { return s_->reason; }

    // ---- raw headers, in order ----
    std::span<const header_field> headers() const { return {s_->headers, s_->header_count}; }
    // First header with this id (compact forms included), or nullptr.
    const header_field* find(header_id id) const {
        if (id == header_id::other) {
            return nullptr;
        }
        uint16_t i = s_->first[std::size_t(id)];
        return i == 0 ? nullptr : s_->headers + (i - 1);
    }
    // First header with this name (case-insensitive; a compact or well-known name matches its id).
    const header_field* find(std::string_view name) const;
    std::size_t count(header_id id) const;

    // ---- the whole message ----
    std::string_view data() const { return s_->data; }  // start line .. end of body
    std::string_view head() const { return s_->head; }  // up to and incl. CRLFCRLF
    std::string_view body() const { return s_->body; }
    // Bytes after Content-Length in a datagram, dropped per RFC 3261 §18.3.
    std::size_t trailing_bytes() const { return s_->trailing; }

    // ---- validated by parse(): always present on a parsed message ----
    const via& top_via() const { return s_->top_via; }
    const name_addr& from() const { return s_->from; }
    const name_addr& to() const { return s_->to; }
    std::string_view call_id() const { return s_->call_id; }
    const sip::cseq& cseq() const { return s_->cseq; }
    std::optional<uint32_t> content_length() const { return s_->content_length; }

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
    friend struct message_access;
    explicit message(detail::message_state* s) : s_(s) {}

    // Never null: a message that was not parsed points at a shared empty state.
    detail::message_state* s_;

    // The two parts of the lazy cache; nullptr for a message that was not parsed.
    detail::message_lazy_cache* cache() const;
    detail::message_lazy_rest* cache_rest() const;

    // A slot of the lazy cache; nullptr for a message that was not parsed.
    template <class Slot>
    Slot* slot(Slot detail::message_lazy_cache::*member) const {
        detail::message_lazy_cache* c = cache();
        return c == nullptr ? nullptr : &(c->*member);
    }
    template <class Slot>
    Slot* slot(Slot detail::message_lazy_rest::*member) const {
        detail::message_lazy_rest* c = cache_rest();
        return c == nullptr ? nullptr : &(c->*member);
    }
};

// Parses a copy of `bytes`. On failure, parse_error::fields are views into `bytes`.
result<message, parse_error> parse(std::string_view bytes, const parse_options& options = {});
// Parses and takes ownership of a receive buffer (`len` bytes of it are the message; they are
// copied like the other overload's, and the buffer is released). parse_error::fields are empty.
result<message, parse_error> parse(std::unique_ptr<char[]> buffer, std::size_t len,
                                   const parse_options& options = {});

// What a failed parse() hands over in parse_error::fields, read from `bytes` by the same scan
// but without validating anything and without limits on line length or count: for answering a
// request that is refused or cut short before it can be parsed (a connection over its limit, a
// datagram or stream head too large). Views into `bytes`.
request_fields read_request_fields(std::string_view bytes);

// Reads raw header lines (CRLF or LF ends, folded continuation lines) one header at a time: the
// field's name, LWS-trimmed value, whole raw line(s) and id, as parse() splits them. Lines without
// a colon are skipped. For building an answer from parse_error::fields::via_lines.
class header_line_reader {
  public:
    explicit header_line_reader(std::string_view lines) : rest_(lines) {}
    bool next(header_field& out);

  private:
    std::string_view rest_;
};

}  // namespace sbc::sip
