#include "controlplane/core_limits.hpp"

#include "sip/text.hpp"

namespace sbc::cp {

namespace {

struct breach_row {
    std::string_view name;
    std::uint16_t status;
    std::string_view text;
};

constexpr breach_row breach_rows[] = {
#define SBC_CP_BREACH_ROW(name, status, text) {#name, status, text},
    SBC_CP_LIMIT_BREACHES(SBC_CP_BREACH_ROW)
#undef SBC_CP_BREACH_ROW
};

const breach_row& row(limit_breach b) {
    return breach_rows[static_cast<std::size_t>(b)];
}

limit_check breach(limit_breach b, std::string where, std::size_t size, std::size_t limit) {
    return {b, std::move(where), size, limit};
}

// A header name for a reason phrase: the parser took it as a token, but a reason phrase is
// built from our bytes only, so anything else becomes '?' and it is cut at 40.
std::string safe_name(std::string_view name) {
    std::string out;
    for (char ch : name.substr(0, 40)) {
        out.push_back(sip::is_alnum(ch) || ch == '-' || ch == '_' || ch == '.' ? ch : '?');
    }
    return out;
}

// RFC 3261 §25.1: a header value is TEXT-UTF8 and LWS; the only line break allowed is a fold
// (CRLF, or the bare LF the parser also takes, followed by SP or HTAB). A CR or LF anywhere
// else, NUL and the other C0 controls (HTAB excepted) and DEL are not SIP.
bool control_in_value(std::string_view v) {
    for (std::size_t i = 0; i < v.size(); ++i) {
        const auto c = static_cast<unsigned char>(v[i]);
        if (c == '\r') {
            if (i + 2 < v.size() && v[i + 1] == '\n' && (v[i + 2] == ' ' || v[i + 2] == '\t')) {
                i += 2;
                continue;
            }
            return true;
        }
        if (c == '\n') {
            if (i + 1 < v.size() && (v[i + 1] == ' ' || v[i + 1] == '\t')) {
                ++i;
                continue;
            }
            return true;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return true;
        }
    }
    return false;
}

// The common case in one branch-free pass the compiler vectorises: a head whose only control
// bytes are HTAB and the CR LF (or bare LF) that end lines. Only a head that fails it is looked
// at header by header (control_in_value) to name the one at fault.
bool head_is_clean(std::string_view head) {
    const auto* p = reinterpret_cast<const unsigned char*>(head.data());
    const std::size_t n = head.size();
    if (n == 0) {
        return true;
    }
    // Bitwise, not logical, operators: no branch in the loop body.
    unsigned bad = 0, bare_cr = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const unsigned c = p[i];
        const unsigned next = p[i + 1];
        bad |= static_cast<unsigned>(c < 0x20) & static_cast<unsigned>(c != '\t') &
               static_cast<unsigned>(c != '\r') & static_cast<unsigned>(c != '\n');
        bad |= static_cast<unsigned>(c == 0x7f);
        bare_cr |= static_cast<unsigned>(c == '\r') & static_cast<unsigned>(next != '\n');
    }
    const unsigned last = p[n - 1];
    bad |= static_cast<unsigned>(last == '\r' || last == 0x7f ||
                                 (last < 0x20 && last != '\t' && last != '\n'));
    return (bad | bare_cr) == 0;
}

std::size_t line_bytes(std::string_view raw) {
    while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) {
        raw.remove_suffix(1);
    }
    return raw.size();
}

// RFC 8866 §9: an SDP line is a type, '=' and a byte-string without NUL, CR or LF, ended by
// CRLF (or LF). Checks each line's length and bytes.
limit_check check_sdp(std::string_view sdp, const core_limits& l) {
    std::size_t number = 0;
    while (!sdp.empty()) {
        ++number;
        const auto lf = sdp.find('\n');
        std::string_view line = sdp.substr(0, lf);
        sdp = lf == std::string_view::npos ? std::string_view{} : sdp.substr(lf + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > l.max_sdp_line_bytes) {
            return breach(limit_breach::sdp_line, "SDP line " + std::to_string(number), line.size(),
                          l.max_sdp_line_bytes);
        }
        for (char ch : line) {
            if (ch == '\0' || ch == '\r') {
                return breach(limit_breach::sdp_control_character,
                              "SDP line " + std::to_string(number), line.size(), 0);
            }
        }
    }
    return {};
}

}  // namespace

core_limits core_limits::from(const config::sip_server_section& s) {
    core_limits l;
    l.max_message_bytes = s.max_message_bytes;
    l.max_headers = s.max_headers;
    l.max_header_bytes = s.max_header_bytes;
    l.max_sdp_line_bytes = s.max_sdp_line_bytes;
    return l;
}

std::string_view breach_name(limit_breach b) {
    return b == limit_breach::none ? "none" : row(b).name;
}

std::uint16_t limit_check::status() const {
    return breach == limit_breach::none ? 200 : row(breach).status;
}

std::string limit_check::reason() const {
    std::string detail;
    switch (breach) {
        case limit_breach::none:
            return "OK";
        case limit_breach::message_size:
            detail = "message of " + std::to_string(size) + " bytes";
            break;
        case limit_breach::header_count:
            detail = std::to_string(size) + " headers";
            break;
        case limit_breach::header_line:
            detail = where + " header line of " + std::to_string(size) + " bytes";
            break;
        case limit_breach::sdp_line:
            detail = where + " of " + std::to_string(size) + " bytes";
            break;
        case limit_breach::control_character:
            return "Bad Request (control character in the " + where + " header)";
        case limit_breach::sdp_control_character:
            return "Bad Request (control character in " + where + ")";
        case limit_breach::not_sip:
            return "Server Internal Error (not sent: " + where + ")";
    }
    const std::string_view phrase =
        status() == 488 ? "Not Acceptable Here" : "Request Entity Too Large";
    return std::string(phrase) + " (" + detail + ", the PBX takes " + std::to_string(limit) + ")";
}

limit_check check_message(const sip::message& m, const core_limits& l) {
    const std::string_view data = m.data();
    if (data.size() > l.max_message_bytes) {
        return breach(limit_breach::message_size, {}, data.size(), l.max_message_bytes);
    }
    const auto headers = m.headers();
    if (headers.size() > l.max_headers) {
        return breach(limit_breach::header_count, {}, headers.size(), l.max_headers);
    }
    auto name_of = [](const sip::header_field& h) {
        const auto canonical = sip::header_name(h.id);
        return canonical.empty() ? safe_name(h.name) : std::string(canonical);
    };
    for (const sip::header_field& h : headers) {
        if (const std::size_t n = line_bytes(h.raw); n > l.max_header_bytes) {
            return breach(limit_breach::header_line, name_of(h), n, l.max_header_bytes);
        }
    }
    if (!head_is_clean(m.head())) {
        const std::string_view start = data.substr(0, data.find_first_of("\r\n"));
        if (control_in_value(start)) {
            return breach(limit_breach::control_character, "start line", start.size(), 0);
        }
        for (const sip::header_field& h : headers) {
            if (control_in_value(h.value)) {
                return breach(limit_breach::control_character, name_of(h), h.value.size(), 0);
            }
        }
    }
    if (auto sdp = m.sdp_body()) {
        return check_sdp(*sdp, l);
    }
    return {};
}

limit_check check_wire(std::string_view bytes, const core_limits& l) {
    if (bytes.size() > l.max_message_bytes) {
        return breach(limit_breach::message_size, {}, bytes.size(), l.max_message_bytes);
    }
    sip::parse_options o;
    o.how = sip::framing::stream;
    // Loose enough that check_message names the rule a message breaks.
    o.limits.max_message_bytes = l.max_message_bytes;
    o.limits.max_headers = l.max_message_bytes / 4;
    o.limits.max_line_length = l.max_message_bytes;
    auto parsed = sip::parse(bytes, o);
    if (!parsed) {
        return breach(limit_breach::not_sip, std::string(parsed.error().reason()), bytes.size(), 0);
    }
    if (parsed.value().data().size() != bytes.size()) {
        return breach(limit_breach::not_sip, "bytes around the message", bytes.size(), 0);
    }
    return check_message(parsed.value(), l);
}

nlohmann::json limit_counters::json() const {
    nlohmann::json j = nlohmann::json::object();
    j["total"] = total;
    for (std::size_t i = 0; i < static_cast<std::size_t>(limit_breach::count_); ++i) {
        j[std::string(breach_rows[i].name)] = refused[i];
    }
    return j;
}

}  // namespace sbc::cp
