#pragma once
// Building requests and responses from scratch, and a response from a request (RFC 3261 §8.2.6).
// Well-formed by construction, as message_editor (sip/editor.hpp): a Request-URI, reason phrase
// or header value that could not go on the wire is refused as a value (not added; serialize()
// returns "" from then on, refusal() says why), and so is a status code that is not three digits
// (RFC 3261 §25.1); a method or header name that is not a token is a programming error (asserted;
// refused in a release build).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/well_formed.hpp"

namespace sbc::sip {

// Default reason phrase for a status code ("Not Found"); "" for codes without one.
std::string_view default_reason(uint16_t code);

// Header fields in order: (name, value).
using header_list = std::vector<std::pair<std::string, std::string>>;

class outgoing_message {
  public:
    static outgoing_message request(std::string_view method, std::string_view request_uri);
    static outgoing_message response(uint16_t code, std::string_view reason = {});

    // Headers are written in the order added. Content-Length is written last by serialize().
    outgoing_message& add(std::string_view name, std::string_view value);
    outgoing_message& add(const header_list& headers);
    outgoing_message& body(std::string_view content_type, std::string_view body);
    // Removes every header with this name (case-insensitive; compact forms of known names).
    outgoing_message& remove(std::string_view name);

    // The message; "" after a refused value.
    std::string serialize() const;
    // The first value refused, if any.
    const std::optional<build_refusal>& refusal() const { return refusal_; }
    bool ok() const { return !refusal_; }

    std::string_view start_line() const { return start_line_; }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

  private:
    void refuse(std::string_view header, std::string reason);

    std::optional<build_refusal> refusal_;
    std::string start_line_;
    std::vector<std::pair<std::string, std::string>> headers_;
    std::string content_type_;
    std::string body_;
};

// RFC 3261 §8.2.6.2: a response copies every Via (in order), From, To, Call-ID and CSeq from the
// request, and adds `to_tag` to To unless the To already has one or the code is 100. With
// copy_record_route (dialog-creating responses, §12.1.1) Record-Route is copied too.
outgoing_message response_for(const message& request, uint16_t code, std::string_view reason = {},
                              std::string_view to_tag = {}, bool copy_record_route = false);

}  // namespace sbc::sip
