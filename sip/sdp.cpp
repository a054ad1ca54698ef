#include "sip/sdp.hpp"

#include <array>
#include <charconv>

#include "sip/sdes.hpp"
#include "sip/text.hpp"

namespace sbc::sip::sdp {
namespace {

constexpr std::string_view error_names[] = {
#define SBC_SDP_ERROR_NAME(name, reason) #name,
    SBC_SDP_ERRORS(SBC_SDP_ERROR_NAME)
#undef SBC_SDP_ERROR_NAME
};
constexpr std::string_view error_reasons[] = {
#define SBC_SDP_ERROR_REASON(name, reason) reason,
    SBC_SDP_ERRORS(SBC_SDP_ERROR_REASON)
#undef SBC_SDP_ERROR_REASON
};

std::vector<std::string_view> split_spaces(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') {
            ++i;
        }
        std::size_t start = i;
        while (i < s.size() && s[i] != ' ') {
            ++i;
        }
        if (i > start) {
            out.push_back(s.substr(start, i - start));
        }
    }
    return out;
}

bool valid_address(std::string_view addrtype, std::string_view address) {
    std::string_view a = address.substr(0, address.find('/'));
    if (addrtype == "IP4") {
        return is_ipv4(a) || is_hostname(a);
    }
    if (addrtype == "IP6") {
        return is_ipv6(a) || is_hostname(a);
    }
    return !a.empty();  // other address types (RFC 8866 §5.7) kept as written
}

std::optional<connection> parse_connection(std::string_view v) {
    auto f = split_spaces(v);
    if (f.size() != 3 || !valid_address(f[1], f[2])) {
        return std::nullopt;
    }
    return connection{std::string(f[0]), std::string(f[1]), std::string(f[2])};
}

std::optional<bandwidth> parse_bandwidth(std::string_view v) {
    std::size_t colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return std::nullopt;
    }
    auto n = parse_uint(v.substr(colon + 1));
    if (!n || !is_token(v.substr(0, colon))) {
        return std::nullopt;
    }
    return bandwidth{std::string(v.substr(0, colon)), *n};
}

std::optional<rtpmap> parse_rtpmap(std::string_view v) {
    std::size_t sp = v.find(' ');
    if (sp == std::string_view::npos) {
        return std::nullopt;
    }
    auto pt = parse_uint(v.substr(0, sp), 127);
    std::string_view rest = v.substr(sp + 1);
    std::size_t s1 = rest.find('/');
    if (!pt || s1 == std::string_view::npos || s1 == 0) {
        return std::nullopt;
    }
    rtpmap r;
    r.payload_type = uint8_t(*pt);
    r.encoding = std::string(rest.substr(0, s1));
    std::string_view clock = rest.substr(s1 + 1);
    std::size_t s2 = clock.find('/');
    if (s2 != std::string_view::npos) {
        r.encoding_params = std::string(clock.substr(s2 + 1));
        clock = clock.substr(0, s2);
        if (r.encoding_params.empty()) {
            return std::nullopt;
        }
    }
    auto c = parse_uint(clock, UINT32_MAX);
    if (!c || *c == 0) {
        return std::nullopt;
    }
    r.clock_rate = uint32_t(*c);
    return r;
}

std::optional<rtcp_attribute> parse_rtcp(std::string_view v) {
    auto f = split_spaces(v);
    if (f.empty() || (f.size() != 1 && f.size() != 4)) {
        return std::nullopt;
    }
    auto port = parse_uint(f[0], 65535);
    if (!port) {
        return std::nullopt;
    }
    rtcp_attribute r;
    r.port = uint16_t(*port);
    if (f.size() == 4) {
        if (!valid_address(f[2], f[3])) {
            return std::nullopt;
        }
        r.nettype = f[1];
        r.addrtype = f[2];
        r.address = f[3];
    }
    return r;
}

std::optional<direction> direction_of(std::string_view name) {
    if (name == "sendrecv") {
        return direction::sendrecv;
    }
    if (name == "sendonly") {
        return direction::sendonly;
    }
    if (name == "recvonly") {
        return direction::recvonly;
    }
    if (name == "inactive") {
        return direction::inactive;
    }
    return std::nullopt;
}

bool valid_attribute_name(std::string_view n) {
    return is_token(n);
}

std::optional<direction> direction_in(const std::vector<attribute>& attrs) {
    for (const attribute& a : attrs) {
        if (!a.has_value) {
            if (auto d = direction_of(a.name)) {
                return d;
            }
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view error_name(error e) {
    return error_names[std::size_t(e)];
}
std::string_view error_reason(error e) {
    return error_reasons[std::size_t(e)];
}

std::string_view direction_name(direction d) {
    switch (d) {
        case direction::sendrecv:
            return "sendrecv";
        case direction::sendonly:
            return "sendonly";
        case direction::recvonly:
            return "recvonly";
        case direction::inactive:
            return "inactive";
    }
    return "sendrecv";
}

direction media::get_direction(direction session_default) const {
    return direction_in(attributes).value_or(session_default);
}

void media::set_direction(direction d) {
    // The first direction attribute takes the new value in place; any others are dropped.
    bool placed = false;
    std::vector<attribute> kept;
    kept.reserve(attributes.size() + 1);
    for (attribute& a : attributes) {
        if (!a.has_value && direction_of(a.name)) {
            if (placed) {
                continue;
            }
            a.name = direction_name(d);
            placed = true;
        }
        kept.push_back(std::move(a));
    }
    attributes = std::move(kept);
    if (!placed) {
        add_flag(direction_name(d));
    }
}

std::vector<rtpmap> media::rtpmaps() const {
    std::vector<rtpmap> out;
    for (const attribute& a : attributes) {
        if (a.name == "rtpmap") {
            if (auto r = parse_rtpmap(a.value)) {
                out.push_back(*r);
            }
        }
    }
    return out;
}

std::optional<rtpmap> media::rtpmap_for(std::string_view payload_type) const {
    auto pt = parse_uint(payload_type, 127);
    if (!pt) {
        return std::nullopt;
    }
    for (const rtpmap& r : rtpmaps()) {
        if (r.payload_type == *pt) {
            return r;
        }
    }
    return std::nullopt;
}

std::optional<std::string> media::fmtp_for(std::string_view payload_type) const {
    for (const attribute& a : attributes) {
        if (a.name == "fmtp") {
            std::string_view v = a.value;
            std::size_t sp = v.find(' ');
            if (v.substr(0, sp) == payload_type) {
                return sp == std::string_view::npos ? std::string() : std::string(v.substr(sp + 1));
            }
        }
    }
    return std::nullopt;
}

std::optional<uint32_t> media::ptime() const {
    const attribute* a = find("ptime");
    if (!a) {
        return std::nullopt;
    }
    auto n = parse_uint(a->value, UINT32_MAX);
    return n ? std::optional<uint32_t>(uint32_t(*n)) : std::nullopt;
}

std::optional<rtcp_attribute> media::rtcp() const {
    const attribute* a = find("rtcp");
    return a ? parse_rtcp(a->value) : std::nullopt;
}

bool media::rtcp_mux() const {
    return find("rtcp-mux") != nullptr;
}

std::vector<std::string> media::crypto_lines() const {
    std::vector<std::string> out;
    for (const attribute& a : attributes) {
        if (a.name == "crypto") {
            out.push_back(a.value);
        }
    }
    return out;
}

const attribute* media::find(std::string_view name) const {
    for (const attribute& a : attributes) {
        if (a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

std::size_t media::remove_attributes(std::string_view name) {
    return std::erase_if(attributes, [&](const attribute& a) { return a.name == name; });
}

void media::add_attribute(std::string_view name, std::string_view value) {
    attributes.push_back(attribute{std::string(name), std::string(value), true});
}

void media::add_flag(std::string_view name) {
    attributes.push_back(attribute{std::string(name), {}, false});
}

direction session::get_direction() const {
    return direction_in(attributes).value_or(direction::sendrecv);
}

const connection* session::connection_for(const media& m) const {
    if (m.conn) {
        return &*m.conn;
    }
    return conn ? &*conn : nullptr;
}

parse_result parse(std::string_view text, const limits& lim) {
    parse_result r;
    auto fail = [&](error e, std::size_t line) {
        r.err = e;
        r.line = line;
        r.value = {};
        return std::move(r);
    };
    if (text.size() > lim.max_bytes) {
        return fail(error::too_large, 0);
    }
    session& s = r.value;
    s.timing.clear();
    bool have_v = false, have_o = false, have_s = false;
    media* m = nullptr;
    std::size_t line_no = 0;
    std::size_t crypto_count = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        ++line_no;
        if (line_no > lim.max_lines) {
            return fail(error::too_many_lines, line_no);
        }
        if (line.empty()) {
            continue;  // tolerated: trailing or stray empty lines
        }
        if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
            return fail(error::malformed_line, line_no);
        }
        char type = line[0];
        std::string_view v = line.substr(2);
        if (!have_v) {
            if (type != 'v') {
                return fail(error::missing_version, line_no);
            }
            if (v != "0") {
                return fail(error::bad_version, line_no);
            }
            have_v = true;
            continue;
        }
        switch (type) {
            case 'v':
                return fail(error::malformed_line, line_no);
            case 'o': {
                auto f = split_spaces(v);
                if (m || have_o || f.size() != 6 || !parse_uint(f[1]) || !parse_uint(f[2])) {
                    return fail(error::malformed_origin, line_no);
                }
                s.orig = origin{std::string(f[0]), std::string(f[1]), std::string(f[2]),
                                std::string(f[3]), std::string(f[4]), std::string(f[5])};
                have_o = true;
                break;
            }
            case 's':
                if (m || have_s) {
                    return fail(error::malformed_line, line_no);
                }
                s.name = v;
                have_s = true;
                break;
            case 'c': {
                auto c = parse_connection(v);
                if (!c) {
                    return fail(error::malformed_connection, line_no);
                }
                (m ? m->conn : s.conn) = std::move(*c);
                break;
            }
            case 'b': {
                auto b = parse_bandwidth(v);
                if (!b) {
                    return fail(error::malformed_bandwidth, line_no);
                }
                (m ? m->bandwidths : s.bandwidths).push_back(std::move(*b));
                break;
            }
            case 't': {
                auto f = split_spaces(v);
                if (m || f.size() != 2 || !parse_uint(f[0]) || !parse_uint(f[1])) {
                    return fail(error::malformed_timing, line_no);
                }
                s.timing.emplace_back(v);
                break;
            }
            case 'r':
            case 'z':
                if (m) {
                    return fail(error::malformed_line, line_no);
                }
                s.time_lines.emplace_back(type, std::string(v));
                break;
            case 'i':
            case 'u':
            case 'e':
            case 'p':
            case 'k':
                if (m) {
                    if (type != 'i' && type != 'k') {
                        return fail(error::malformed_line, line_no);
                    }
                    m->other_lines.emplace_back(type, std::string(v));
                } else if (type == 'k') {
                    s.time_lines.emplace_back(type, std::string(v));
                } else {
                    s.other_lines.emplace_back(type, std::string(v));
                }
                break;
            case 'm': {
                if (s.media_sections.size() >= lim.max_media) {
                    return fail(error::too_many_media, line_no);
                }
                auto f = split_spaces(v);
                if (f.size() < 4 || !is_token(f[0]) || f[2].empty()) {
                    return fail(error::malformed_media, line_no);
                }
                media md;
                md.type = f[0];
                std::string_view port = f[1];
                std::size_t slash = port.find('/');
                if (slash != std::string_view::npos) {
                    auto count = parse_uint(port.substr(slash + 1), 65535);
                    if (!count || *count == 0) {
                        return fail(error::malformed_media, line_no);
                    }
                    md.port_count = uint16_t(*count);
                    port = port.substr(0, slash);
                }
                bool digits = !port.empty();
                for (char c : port) {
                    digits = digits && is_digit(c);
                }
                if (!digits) {
                    return fail(error::malformed_media, line_no);
                }
                auto p = parse_uint(port, 65535);
                if (!p) {
                    return fail(error::port_out_of_range, line_no);
                }
                md.port = uint16_t(*p);
                md.proto = f[2];
                for (std::size_t i = 3; i < f.size(); ++i) {
                    md.formats.emplace_back(f[i]);
                }
                s.media_sections.push_back(std::move(md));
                m = &s.media_sections.back();
                crypto_count = 0;
                break;
            }
            case 'a': {
                auto& attrs = m ? m->attributes : s.attributes;
                if (attrs.size() >= lim.max_attributes) {
                    return fail(error::too_many_attributes, line_no);
                }
                attribute a;
                std::size_t colon = v.find(':');
                a.name = v.substr(0, colon);
                if (!valid_attribute_name(a.name)) {
                    return fail(error::malformed_attribute, line_no);
                }
                if (colon != std::string_view::npos) {
                    a.value = v.substr(colon + 1);
                    a.has_value = true;
                }
                if (a.name == "rtpmap" && !parse_rtpmap(a.value)) {
                    return fail(error::malformed_rtpmap, line_no);
                }
                if (a.name == "rtcp" && !parse_rtcp(a.value)) {
                    return fail(error::malformed_rtcp, line_no);
                }
                if (a.name == "crypto" && ++crypto_count > lim.max_crypto) {
                    return fail(error::too_many_crypto, line_no);
                }
                attrs.push_back(std::move(a));
                break;
            }
            default:
                // Unknown line types are ignored per RFC 8866 §5 ("parsers MUST ignore");
                // kept verbatim so the SDP serializes as received.
                (m ? m->other_lines : s.other_lines).emplace_back(type, std::string(v));
                break;
        }
    }
    if (!have_v) {
        return fail(error::missing_version, 0);
    }
    if (!have_o) {
        return fail(error::missing_origin, 0);
    }
    if (!have_s) {
        return fail(error::missing_session_name, 0);
    }
    if (s.timing.empty()) {
        return fail(error::missing_timing, 0);
    }
    for (const media& md : s.media_sections) {
        if (!md.rejected() && !md.conn && !s.conn) {
            return fail(error::missing_connection, 0);
        }
    }
    return r;
}

namespace {
void write_line(std::string& out, char type, std::string_view value) {
    out.push_back(type);
    out.push_back('=');
    out.append(value);
    out.append("\r\n");
}
void write_connection(std::string& out, const connection& c) {
    write_line(out, 'c', c.nettype + " " + c.addrtype + " " + c.address);
}
void write_bandwidths(std::string& out, const std::vector<bandwidth>& bws) {
    for (const bandwidth& b : bws) {
        write_line(out, 'b', b.type + ":" + std::to_string(b.value));
    }
}
void write_attributes(std::string& out, const std::vector<attribute>& attrs) {
    for (const attribute& a : attrs) {
        write_line(out, 'a', a.has_value ? a.name + ":" + a.value : a.name);
    }
}
}  // namespace

std::string serialize(const session& s) {
    std::string out;
    out.reserve(512);
    write_line(out, 'v', std::to_string(s.version));
    const origin& o = s.orig;
    write_line(out, 'o',
               o.username + " " + o.session_id + " " + o.session_version + " " + o.nettype + " " +
                   o.addrtype + " " + o.address);
    write_line(out, 's', s.name.empty() ? std::string_view("-") : std::string_view(s.name));
    // RFC 8866 §5: i, u, e, p come before c.
    for (const auto& [type, value] : s.other_lines) {
        write_line(out, type, value);
    }
    if (s.conn) {
        write_connection(out, *s.conn);
    }
    write_bandwidths(out, s.bandwidths);
    for (const std::string& t : s.timing) {
        write_line(out, 't', t);
    }
    if (s.timing.empty()) {
        write_line(out, 't', "0 0");
    }
    for (const auto& [type, value] : s.time_lines) {
        write_line(out, type, value);
    }
    write_attributes(out, s.attributes);
    for (const media& m : s.media_sections) {
        std::string ml = m.type + " " + std::to_string(m.port);
        if (m.port_count) {
            ml += "/" + std::to_string(*m.port_count);
        }
        ml += " " + m.proto;
        for (const std::string& f : m.formats) {
            ml += " " + f;
        }
        write_line(out, 'm', ml);
        for (const auto& [type, value] : m.other_lines) {
            if (type == 'i') {
                write_line(out, type, value);
            }
        }
        if (m.conn) {
            write_connection(out, *m.conn);
        }
        write_bandwidths(out, m.bandwidths);
        for (const auto& [type, value] : m.other_lines) {
            if (type != 'i') {
                write_line(out, type, value);
            }
        }
        write_attributes(out, m.attributes);
    }
    return out;
}

}  // namespace sbc::sip::sdp
