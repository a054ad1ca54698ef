#pragma once
// Relay edits on a parsed message: push/pop Via, rewrite the Request-URI, replace or strip
// headers, replace the body, then serialize. Untouched headers keep their order and bytes;
// Content-Length is recomputed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace sbc::sip {

class message_editor {
  public:
    // `m` must outlive the editor.
    explicit message_editor(const message& m);

    void set_request_uri(std::string_view uri);
    void set_status(uint16_t code, std::string_view reason);

    // A new top Via ("SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK...").
    void push_via(std::string_view value);
    // Removes the top via-parm: only the first element of a comma-joined Via line. False if none.
    bool pop_via() { return pop_first(header_id::via); }
    // Removes the first element of the first header with this id (e.g. the top Route).
    bool pop_first(header_id id);

    // Removes every header with this id / name (case-insensitive, compact forms included).
    void remove(header_id id);
    void remove(std::string_view name);
    // Replaces every header with this id by one header carrying `value`, at the position of the
    // first (or appended when there was none).
    void replace(header_id id, std::string_view value);
    void replace(std::string_view name, std::string_view value);
    // Adds a header after the existing ones / before the first existing header.
    void append(std::string_view name, std::string_view value);
    void prepend(std::string_view name, std::string_view value);
    // Removes or rewrites the header at this index of message::headers().
    void remove_at(std::size_t index);
    void replace_at(std::size_t index, std::string_view value);

    // Replaces the body and its Content-Type ("" body with "" type removes both).
    void set_body(std::string_view content_type, std::string_view body);

    // The edited message; Content-Length always present and equal to the body size.
    std::string serialize() const;

  private:
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
};

}  // namespace sbc::sip
