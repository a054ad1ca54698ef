#pragma once
// Internal to sip/: the parse_* functions of uri.hpp and headers.hpp writing into an existing
// (default-constructed) value instead of returning a copy, for the message's own slots. On
// failure the value is left partly written and must not be used.

#include <string_view>

#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace sbc::sip::detail {

bool parse_uri_into(uri& u, std::string_view text);
bool parse_via_into(via& v, std::string_view element);
bool parse_name_addr_into(name_addr& na, std::string_view element);

}  // namespace sbc::sip::detail
