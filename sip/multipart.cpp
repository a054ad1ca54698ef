#include "sip/multipart.hpp"

#include "sip/headers.hpp"
#include "sip/text.hpp"

namespace sbc::sip {
namespace {

// Position just after the line end at or after `from`, or npos.
std::size_t after_line(std::string_view s, std::size_t from) {
    std::size_t nl = s.find('\n', from);
    return nl == std::string_view::npos ? nl : nl + 1;
}

// Finds "--boundary" at the start of a line (or of the body), from `from`.
std::size_t find_delimiter(std::string_view body, std::string_view dash_boundary,
                           std::size_t from) {
    while (true) {
        std::size_t p = body.find(dash_boundary, from);
        if (p == std::string_view::npos) {
            return p;
        }
        if (p == 0 || body[p - 1] == '\n') {
            return p;
        }
        from = p + 1;
    }
}

std::string_view part_content_type(std::string_view headers) {
    while (!headers.empty()) {
        std::size_t nl = headers.find('\n');
        std::string_view line = headers.substr(0, nl);
        std::size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
            std::string_view name = trim_lws(line.substr(0, colon));
            if (iequals(name, "Content-Type") || iequals(name, "c")) {
                return trim_lws(line.substr(colon + 1));
            }
        }
        if (nl == std::string_view::npos) {
            break;
        }
        headers = headers.substr(nl + 1);
    }
    return {};
}

}  // namespace

result<std::vector<mime_part>> parse_multipart(std::string_view body, std::string_view boundary,
                                               std::size_t max_parts) {
    // RFC 2046 §5.1.1: boundary is 1..70 characters.
    if (boundary.empty() || boundary.size() > 70) {
        return error_code::malformed_multipart;
    }
    std::string dash = "--";
    dash.append(boundary);
    std::size_t p = find_delimiter(body, dash, 0);
    if (p == std::string_view::npos) {
        return error_code::malformed_multipart;
    }
    std::vector<mime_part> parts;
    while (true) {
        std::size_t after = p + dash.size();
        if (body.substr(after, 2) == "--") {
            return parts;  // close-delimiter
        }
        std::size_t start = after_line(body, after);
        if (start == std::string_view::npos) {
            return error_code::malformed_multipart;
        }
        std::size_t next = find_delimiter(body, dash, start);
        if (next == std::string_view::npos) {
            return error_code::malformed_multipart;
        }
        if (parts.size() >= max_parts) {
            return error_code::malformed_multipart;
        }
        // The CRLF before a delimiter belongs to the delimiter.
        std::size_t end = next;
        if (end > start && body[end - 1] == '\n') {
            --end;
            if (end > start && body[end - 1] == '\r') {
                --end;
            }
        }
        std::string_view part = body.substr(start, end - start);
        mime_part mp;
        std::size_t sep = std::string_view::npos;
        std::size_t sep_len = 0;
        if (part.substr(0, 2) == "\r\n") {
            sep = 0;
            sep_len = 2;
        } else if (part.substr(0, 1) == "\n") {
            sep = 0;
            sep_len = 1;
        } else if ((sep = part.find("\r\n\r\n")) != std::string_view::npos) {
            sep += 2;
            sep_len = 2;
        } else if ((sep = part.find("\n\n")) != std::string_view::npos) {
            sep += 1;
            sep_len = 1;
        } else {
            return error_code::malformed_multipart;
        }
        mp.headers = part.substr(0, sep);
        mp.body = part.substr(sep + sep_len);
        mp.content_type = part_content_type(mp.headers);
        parts.push_back(mp);
        p = next;
    }
}

namespace {
std::optional<std::string_view> find_part_at(std::string_view body, std::string_view boundary,
                                             std::string_view type, std::string_view subtype,
                                             int depth) {
    auto parts = parse_multipart(body, boundary);
    if (!parts) {
        return std::nullopt;
    }
    for (const mime_part& p : *parts) {
        auto ct = parse_media_type(p.content_type);
        if (!ct) {
            continue;
        }
        if (ct->is(type, subtype)) {
            return p.body;
        }
        // Nested multiparts (RFC 5621 §3.1), bounded so hostile nesting cannot recurse deeply.
        if (iequals(ct->type, "multipart") && depth < 4) {
            if (auto inner = find_part_at(p.body, ct->boundary(), type, subtype, depth + 1)) {
                return inner;
            }
        }
    }
    return std::nullopt;
}
}  // namespace

std::optional<std::string_view> find_part(std::string_view body, std::string_view boundary,
                                          std::string_view type, std::string_view subtype) {
    return find_part_at(body, boundary, type, subtype, 0);
}

}  // namespace sbc::sip
