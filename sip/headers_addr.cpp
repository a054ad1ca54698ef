// Via, name-addr (From/To/Route/...), Contact, comma lists and methods.
#include <cstring>

#include "sip/headers.hpp"
#include "sip/param_scan.hpp"
#include "sip/parse_internal.hpp"
#include "sip/text.hpp"

namespace sbc::sip {
namespace {

constexpr std::string_view method_names[] = {
    "INVITE",    "ACK",    "BYE",     "CANCEL", "REGISTER", "OPTIONS", "PRACK",
    "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO",   "REFER",    "MESSAGE", "UPDATE",
};

std::size_t skip_lws(std::string_view s, std::size_t i) {
    while (i < s.size() && is_lws(s[i])) {
        ++i;
    }
    return i;
}

std::size_t read_token(std::string_view s, std::size_t i) {
    while (i < s.size() && is_token_char(s[i])) {
        ++i;
    }
    return i;
}

}  // namespace

sip_method classify_method(std::string_view token) {
    for (std::size_t i = 0; i < std::size(method_names); ++i) {
        if (token == method_names[i]) {
            return sip_method(i);
        }
    }
    return sip_method::other;
}

std::string_view method_name(sip_method m) {
    return m == sip_method::other ? std::string_view{} : method_names[std::size_t(m)];
}

void comma_list::iterator::load() {
    std::string_view s = rest_;
    std::size_t i = 0;
    while (i < s.size() && (is_lws(s[i]) || s[i] == ',')) {
        ++i;
    }
    if (i == s.size()) {
        done_ = true;
        rest_ = {};
        return;
    }
    std::size_t start = i;
    // Most values hold one element: no comma at all means no split to do.
    if (std::memchr(s.data() + i, ',', s.size() - i) == nullptr) {
        current_ = trim_lws(s.substr(start));
        rest_ = s.substr(s.size());
        return;
    }
    bool in_angle = false;
    while (i < s.size()) {
        char c = s[i];
        if (c == '"') {
            std::size_t q = quoted_string_length(s.substr(i));
            i = q == 0 ? s.size() : i + q;
            continue;
        }
        if (c == '<') {
            in_angle = true;
        } else if (c == '>') {
            in_angle = false;
        } else if (c == ',' && !in_angle) {
            break;
        }
        ++i;
    }
    current_ = trim_lws(s.substr(start, i - start));
    rest_ = s.substr(i);
}

bool comma_list_balanced(std::string_view value) {
    bool in_angle = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '"') {
            std::size_t q = quoted_string_length(value.substr(i));
            if (q == 0) {
                return false;
            }
            i += q - 1;
        } else if (c == '<') {
            if (in_angle) {
                return false;
            }
            in_angle = true;
        } else if (c == '>') {
            if (!in_angle) {
                return false;
            }
            in_angle = false;
        }
    }
    return !in_angle;
}

namespace {

// Typed checks of the Via parameters whose values we interpret (RFC 3261 §20.42, RFC 3581).
bool valid_via_param(std::string_view name, std::string_view value, bool has_value,
                     detail::bounds b) {
    switch (name[0] | 0x20) {
        case 'b':
            return !iequals(name, "branch") ||
                   (has_value && !value.empty() &&
                    detail::span_end(value, 0, detail::k_token, b) == value.size());
        case 't':
            return !iequals(name, "ttl") || (has_value && parse_uint(value, 255));
        case 'r':
            if (iequals(name, "rport")) {
                return !has_value || parse_uint(value, 65535);
            }
            if (iequals(name, "received")) {
                return is_ipv4(value) || is_ipv6(value) ||
                       (value.size() > 2 && value.front() == '[' && value.back() == ']' &&
                        is_ipv6(value.substr(1, value.size() - 2)));
            }
            return true;
        default:
            return true;
    }
}

// sent-protocol = protocol-name SLASH protocol-version SLASH transport (LWS allowed around the
// slashes); `i` ends past the LWS after it.
bool parse_sent_protocol(via& v, std::string_view s, std::size_t& i) {
    std::string_view* parts[3] = {&v.protocol, &v.version, &v.transport};
    for (int k = 0; k < 3; ++k) {
        i = skip_lws(s, i);
        std::size_t end = read_token(s, i);
        if (end == i) {
            return false;
        }
        *parts[k] = s.substr(i, end - i);
        i = skip_lws(s, end);
        if (k < 2) {
            if (i >= s.size() || s[i] != '/') {
                return false;
            }
            ++i;
        }
    }
    return true;
}

}  // namespace

bool detail::parse_via_into(via& v, std::string_view element, bounds b) {
    std::string_view s = trim_lws(element);
    v.text = s;
    std::size_t i = 0;
    if (s.size() > 8 && s.substr(0, 8) == "SIP/2.0/" && is_token_char(s[8])) {
        // The usual sent-protocol, without LWS around its slashes.
        v.protocol = s.substr(0, 3);
        v.version = s.substr(4, 3);
        const std::size_t end = read_token(s, 8);
        v.transport = s.substr(8, end - 8);
        i = skip_lws(s, end);
    } else if (!parse_sent_protocol(v, s, i)) {
        return false;
    }
    if (i == 0 || i >= s.size() || !is_lws(s[i - 1])) {
        return false;  // LWS between sent-protocol and sent-by
    }
    std::size_t host_start = i;
    if (s[i] == '[') {
        std::size_t close = s.find(']', i);
        if (close == std::string_view::npos) {
            return false;
        }
        i = close + 1;
    } else {
        i = detail::span_end(s, i, detail::k_host, b);
    }
    std::string_view host = s.substr(host_start, i - host_start);
    std::size_t j = skip_lws(s, i);
    long port = -1;
    if (j < s.size() && s[j] == ':') {
        j = skip_lws(s, j + 1);
        port = detail::read_port(s, j);  // -1: no digits, or more than a port holds
        if (port < 0) {
            return false;
        }
        i = j;
    }
    if (host.empty() || host[0] != '[') {
        // Host characters only: classify them without parse_host_port's second scan.
        v.sent_by.host = host;
        v.sent_by.kind = detail::classify_host_chars(host, b);
        if (v.sent_by.kind == host_kind::none) {
            return false;
        }
    } else {
        auto hp = parse_host_port(host);
        if (!hp) {
            return false;
        }
        v.sent_by = *hp;
    }
    if (port >= 0) {
        v.sent_by.port = uint16_t(port);
        v.sent_by.has_port = true;
    }
    const std::string_view rest = trim_lws(s.substr(i));
    param first{};
    auto check = [b, &first](std::string_view name, std::string_view value, bool has_value) {
        if (first.name.empty()) {
            first = param{name, value, has_value};
        }
        return valid_via_param(name, value, has_value, b);
    };
    if (!detail::scan_header_params(rest, check, b)) {
        return false;
    }
    v.params = param_list(rest, ';', b == detail::bounds::padded, first);
    return true;
}

result<via> parse_via(std::string_view element) {
    via v;
    if (!detail::parse_via_into(v, element, detail::bounds::exact)) {
        return error_code::malformed_via;
    }
    return v;
}

std::string_view via::branch() const {
    return params.value("branch").value_or("");
}
std::string_view via::received() const {
    return params.value("received").value_or("");
}
bool via::has_rport() const {
    return params.has("rport");
}
std::optional<uint16_t> via::rport() const {
    auto p = params.find("rport");
    if (!p || !p->has_value) {
        return std::nullopt;
    }
    auto v = parse_uint(p->value, 65535);
    return v ? std::optional<uint16_t>(uint16_t(*v)) : std::nullopt;
}
std::string_view via::maddr() const {
    return params.value("maddr").value_or("");
}
std::optional<uint8_t> via::ttl() const {
    auto v = params.value("ttl");
    if (!v) {
        return std::nullopt;
    }
    auto n = parse_uint(*v, 255);
    return n ? std::optional<uint8_t>(uint8_t(*n)) : std::nullopt;
}
bool via::rfc3261_branch() const {
    std::string_view b = branch();
    return b.size() > 7 && b.substr(0, 7) == "z9hG4bK";
}

namespace {

// name-addr / addr-spec with its header params; `on_param` checks each header param (see
// detail::scan_params) so that Contact's typed checks need no second pass.
template <class F>
bool parse_name_addr_checked(name_addr& na, std::string_view element, F&& on_param,
                             detail::bounds b) {
    std::string_view s = trim_lws(element);
    na.text = s;
    if (s.empty()) {
        return false;
    }
    std::size_t lt = std::string_view::npos;
    if (s[0] == '"') {
        std::size_t q = detail::quoted_length(s, b);
        if (q == 0) {
            return false;
        }
        na.display_name = s.substr(0, q);
        std::size_t i = skip_lws(s, q);
        if (i >= s.size() || s[i] != '<') {
            return false;
        }
        lt = i;
    } else if (s[0] == '<') {
        lt = 0;
    } else {
        lt = detail::find_in(s, 0, '<', b);
        if (lt < s.size()) {
            // display-name = *(token LWS): tokens separated by whitespace.
            std::string_view dn = trim_lws(s.substr(0, lt));
            if (detail::span_end(dn, 0, detail::k_token_lws, b) != dn.size()) {
                return false;
            }
            na.display_name = dn;
        } else {
            lt = std::string_view::npos;
        }
    }
    std::string_view rest;
    if (lt != std::string_view::npos) {
        std::size_t gt = detail::find_in(s, lt, '>', b);
        if (gt == s.size()) {
            return false;
        }
        na.angle_brackets = true;
        na.uri_text = s.substr(lt + 1, gt - lt - 1);
        rest = s.substr(gt + 1);
    } else {
        // addr-spec: the URI ends at the first ';' (its params belong to the header) or LWS.
        std::size_t end = 0;
        while (end < s.size() && s[end] != ';' && !is_lws(s[end])) {
            // §20: an addr-spec containing ',', '?' or ';' must be enclosed in <>.
            if (s[end] == ',' || s[end] == '?') {
                return false;
            }
            ++end;
        }
        na.uri_text = s.substr(0, end);
        rest = s.substr(end);
    }
    if (!detail::parse_uri_into(na.uri, na.uri_text, b)) {
        return false;
    }
    rest = trim_lws(rest);
    param first{};
    auto check = [&first, &on_param](std::string_view name, std::string_view value,
                                     bool has_value) {
        if (first.name.empty()) {
            first = param{name, value, has_value};
        }
        return on_param(name, value, has_value);
    };
    if (!detail::scan_header_params(rest, check, b)) {
        return false;
    }
    na.params = param_list(rest, ';', b == detail::bounds::padded, first);
    return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
std::optional<float> parse_qvalue(std::string_view s) {
    if (s.empty() || s.size() > 5) {
        return std::nullopt;
    }
    if (s[0] != '0' && s[0] != '1') {
        return std::nullopt;
    }
    float value = float(s[0] - '0');
    if (s.size() > 1) {
        if (s[1] != '.') {
            return std::nullopt;
        }
        float scale = 0.1f;
        for (std::size_t i = 2; i < s.size(); ++i) {
            if (!is_digit(s[i]) || (s[0] == '1' && s[i] != '0')) {
                return std::nullopt;
            }
            value += scale * float(s[i] - '0');
            scale /= 10;
        }
    }
    return value;
}

}  // namespace

bool detail::parse_name_addr_into(name_addr& na, std::string_view element, bounds b) {
    return parse_name_addr_checked(na, element, detail::any_param, b);
}

result<name_addr> parse_name_addr(std::string_view element) {
    name_addr na;
    if (!parse_name_addr_checked(na, element, detail::any_param, detail::bounds::exact)) {
        return error_code::malformed_header;
    }
    return na;
}

std::string_view name_addr::tag() const {
    return params.value("tag").value_or("");
}

std::string name_addr::display_name_text() const {
    if (!display_name.empty() && display_name[0] == '"') {
        return unquote(display_name);
    }
    return std::string(display_name);
}

bool detail::parse_contact_into(contact& c, std::string_view element, bounds b) {
    std::string_view s = trim_lws(element);
    if (s == "*") {
        c.star = true;
        c.addr.text = s;
        return true;
    }
    // RFC 3261 §20.10: expires is delta-seconds, q a qvalue (the first q decides, as q() reads).
    bool seen_q = false;
    auto check = [&seen_q](std::string_view name, std::string_view value, bool has_value) {
        if (iequals(name, "expires")) {
            return has_value && parse_uint(value, UINT32_MAX).has_value();
        }
        if (name.size() == 1 && (name[0] | 0x20) == 'q') {
            if (!has_value) {
                return false;
            }
            if (!seen_q) {
                seen_q = true;
                return parse_qvalue(value).has_value();
            }
        }
        return true;
    };
    return parse_name_addr_checked(c.addr, s, check, b);
}

result<contact> parse_contact(std::string_view element) {
    contact c;
    if (!detail::parse_contact_into(c, element, detail::bounds::exact)) {
        return error_code::malformed_contact;
    }
    return c;
}

std::optional<uint32_t> contact::expires() const {
    auto v = addr.params.value("expires");
    if (!v) {
        return std::nullopt;
    }
    auto n = parse_uint(*v, UINT32_MAX);
    return n ? std::optional<uint32_t>(uint32_t(*n)) : std::nullopt;
}

std::optional<float> contact::q() const {
    auto v = addr.params.value("q");
    if (!v) {
        return std::nullopt;
    }
    return parse_qvalue(*v);
}

std::string_view contact::instance() const {
    return addr.params.bare_value("+sip.instance").value_or("");
}

std::optional<uint32_t> contact::reg_id() const {
    auto v = addr.params.value("reg-id");
    if (!v) {
        return std::nullopt;
    }
    auto n = parse_uint(*v, UINT32_MAX);
    return n ? std::optional<uint32_t>(uint32_t(*n)) : std::nullopt;
}

// RFC 8599 §4.1.1, §8.7: the pn-* parameters are SIP URI parameters of the Contact URI; some
// clients put them on the header instead, so the header params are the fallback.
namespace {
std::string_view pn_value(const contact& c, std::string_view name) {
    if (auto v = c.addr.uri.params.value(name)) {
        return *v;
    }
    return c.addr.params.bare_value(name).value_or("");
}
}  // namespace
std::string_view contact::pn_provider() const {
    return pn_value(*this, "pn-provider");
}
std::string_view contact::pn_prid() const {
    return pn_value(*this, "pn-prid");
}
std::string_view contact::pn_param() const {
    return pn_value(*this, "pn-param");
}

}  // namespace sbc::sip
