#pragma once
// multipart/* bodies (RFC 2046 §5.1, RFC 5621 for SIP): split at the boundary, zero-copy.

#include <optional>
#include <string_view>
#include <vector>

#include "sip/error.hpp"

namespace sbc::sip {

struct mime_part {
    std::string_view headers;       // the part's header block (may be empty)
    std::string_view content_type;  // value of its Content-Type, "" = text/plain by default
    std::string_view body;
};

// Parts of a multipart body delimited by `boundary` (from the Content-Type parameter, without
// quotes). Preamble and epilogue are ignored. Fails with malformed_multipart when the first
// delimiter or the close delimiter is missing, or a part has no header/body separator.
result<std::vector<mime_part>> parse_multipart(std::string_view body, std::string_view boundary,
                                               std::size_t max_parts = 16);

// The first part whose type/subtype matches (case-insensitive), searching nested multiparts.
std::optional<std::string_view> find_part(std::string_view body, std::string_view boundary,
                                          std::string_view type, std::string_view subtype);

}  // namespace sbc::sip
