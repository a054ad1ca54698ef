#pragma once
// Relay edits on a parsed message: push/pop Via, rewrite the Request-URI, replace or strip
// headers, replace the body, then serialize. Untouched headers keep their order and bytes;
// Content-Length is recomputed.
//
// Well-formed by construction (issue 10): a value that could not go on the wire as one header
// value (a CR, LF, NUL or other control character, RFC 3261 §25.1), a Request-URI that would
// break the start line, is refused as a value: the call returns false and changes nothing, and
// from then on serialize() returns "" and refusal() says which value and why. The parsed message
// itself holds no such bytes (parse() refuses them). Header names are the caller's constants: a
// name that is not a token is a programming error (asserted; refused the same way in a release
// build).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/well_formed.hpp"

namespace sbc::sip {

class message_editor {
  public:
    // `m` must outlive the editor.
    explicit message_editor(const message& m);

    // False (nothing changes) for a response or a refused URI.
    bool set_request_uri(std::string_view uri);
    bool set_status(uint16_t code, std::string_view reason);

    // A new top Via ("SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK...").
    bool push_via(std::string_view value);
    // Removes the top via-parm: only the first element of a comma-joined Via line. False if none.
    bool pop_via() { return pop_first(header_id::via); }
    // Removes the first element of the first header with this id (e.g. the top Route).
    bool pop_first(header_id id);

    // Removes every header with this id / name (case-insensitive, compact forms included).
    void remove(header_id id);
    void remove(std::string_view name);
    // Replaces every header with this id by one header carrying `value`, at the position of the
    // first (or appended when there was none).
    bool replace(header_id id, std::string_view value);
    bool replace(std::string_view name, std::string_view value);
    // Adds a header after the existing ones / before the first existing header.
    bool append(std::string_view name, std::string_view value);
    bool prepend(std::string_view name, std::string_view value);
    // Removes or rewrites the header at this index of message::headers().
    void remove_at(std::size_t index);
    bool replace_at(std::size_t index, std::string_view value);

    // Replaces the body and its Content-Type ("" body with "" type removes both).
    bool set_body(std::string_view content_type, std::string_view body);

    // The edited message; Content-Length always present and equal to the body size. "" after a
    // refused value: nothing that is fit to send.
    std::string serialize() const;
    // The first value refused, if any.
    const std::optional<build_refusal>& refusal() const { return refusal_; }

  private:
    // Records the first refusal; false.
    bool refuse(std::string_view header, std::string reason);
    bool check_value(std::string_view header, std::string_view value);
    bool check_name(std::string_view name);

    struct slot {
        bool removed = false;
        bool replaced = false;
        std::string value;  // replacement value (header name stays)
    };
    const message& msg_;
    std::string start_line_;  // empty = unchanged
    std::vector<slot> slots_;
    std::vector<std::string> front_;  // complete "Name: value" lines before the first header
    std::vector<std::string> back_;   // after the last header
    std::vector<std::pair<std::size_t, std::string>> before_;  // line inserted before index
    bool body_set_ = false;
    std::string content_type_;
    std::string body_;
    std::optional<build_refusal> refusal_;
};

}  // namespace sbc::sip
