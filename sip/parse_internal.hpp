#pragma once
// Internal to sip/: the parse_* functions of uri.hpp and headers.hpp writing into an existing
// (default-constructed) value instead of returning a copy, for the message's own slots. On
// failure the value is left partly written and must not be used.

#include <string_view>

#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace sbc::sip::detail {

// Views into a parsed message's text are `padded`: the text is followed by at least text_padding
// readable bytes, so the scans of sip/scan.hpp may load 16 bytes at any offset below a view's
// end. Other views are `exact`.
enum class bounds : bool { exact, padded };
inline constexpr std::size_t text_padding = 16;

// `b`: whether the text is followed by readable padding (sip/scan.hpp).
bool parse_uri_into(uri& u, std::string_view text, bounds b);
bool parse_via_into(via& v, std::string_view element, bounds b);
bool parse_name_addr_into(name_addr& na, std::string_view element, bounds b);
bool parse_contact_into(contact& c, std::string_view element, bounds b);
// Kind of a host made of host characters only (alphanum "-" "." "_"): IPv4, name, or none.
host_kind classify_host_chars(std::string_view host, bounds b);

}  // namespace sbc::sip::detail
