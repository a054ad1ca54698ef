#include "sip/uri.hpp"

#include "sip/text.hpp"

namespace sbc::sip {
namespace {

// Checks that every '%' starts a %HH escape and every other character is in `classes`.
bool valid_escaped(std::string_view s, uint16_t classes) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
                return false;
            }
            i += 2;
        } else if (!char_is(s[i], classes)) {
            return false;
        }
    }
    return true;
}

// RFC 3261 §25.1: user, password, paramchar and hnv character sets (text.hpp table).
constexpr uint16_t user_chars = detail::cc_user;
constexpr uint16_t password_chars = detail::cc_password;
constexpr uint16_t param_chars = detail::cc_param;
constexpr uint16_t header_chars = detail::cc_header;

bool valid_tel(std::string_view s) {
    for (char c : s) {
        bool ok = is_hex(c) || c == '*' || c == '#' || c == '+' || c == '-' || c == '.' ||
                  c == '(' || c == ')' || c == 'p' || c == 'w' || c == '%';
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool valid_uri_params(std::string_view text) {
    // ";name[=value]" repeated; names and values are paramchar strings.
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] != ';') {
            return false;
        }
        ++i;
        std::size_t end = text.find(';', i);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view p = text.substr(i, end - i);
        std::size_t eq = p.find('=');
        std::string_view name = p.substr(0, eq);
        if (name.empty() || !valid_escaped(name, param_chars)) {
            return false;
        }
        if (eq != std::string_view::npos) {
            std::string_view value = p.substr(eq + 1);
            if (value.empty() || !valid_escaped(value, param_chars)) {
                return false;
            }
        }
        i = end;
    }
    return true;
}

uri_scheme classify_scheme(std::string_view s) {
    if (iequals(s, "sip")) {
        return uri_scheme::sip;
    }
    if (iequals(s, "sips")) {
        return uri_scheme::sips;
    }
    if (iequals(s, "tel")) {
        return uri_scheme::tel;
    }
    return uri_scheme::other;
}

}  // namespace

std::string_view host_port::address() const {
    if (kind == host_kind::ipv6 && host.size() >= 2) {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

result<host_port> parse_host_port(std::string_view text) {
    host_port hp;
    std::size_t host_end;
    if (!text.empty() && text[0] == '[') {
        host_end = text.find(']');
        if (host_end == std::string_view::npos || !is_ipv6(text.substr(1, host_end - 1))) {
            return error_code::malformed_uri;
        }
        ++host_end;
        hp.kind = host_kind::ipv6;
    } else {
        host_end = text.find(':');
        if (host_end == std::string_view::npos) {
            host_end = text.size();
        }
        std::string_view h = text.substr(0, host_end);
        if (is_ipv4(h)) {
            hp.kind = host_kind::ipv4;
        } else if (is_hostname(h)) {
            hp.kind = host_kind::name;
        } else {
            return error_code::malformed_uri;
        }
    }
    hp.host = text.substr(0, host_end);
    if (host_end < text.size()) {
        if (text[host_end] != ':') {
            return error_code::malformed_uri;
        }
        auto port = parse_uint(text.substr(host_end + 1), 65535);
        if (!port) {
            return error_code::malformed_uri;
        }
        hp.port = uint16_t(*port);
        hp.has_port = true;
    }
    return hp;
}

result<uri> parse_uri(std::string_view text) {
    uri u;
    u.text = text;
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return error_code::malformed_uri;
    }
    u.scheme_name = text.substr(0, colon);
    if (!is_alpha(u.scheme_name[0])) {
        return error_code::malformed_uri;
    }
    for (char c : u.scheme_name) {
        if (!is_alnum(c) && c != '+' && c != '-' && c != '.') {
            return error_code::malformed_uri;
        }
    }
    u.scheme = classify_scheme(u.scheme_name);
    std::string_view rest = text.substr(colon + 1);

    if (u.scheme == uri_scheme::other) {
        // SIP, SIPS and TEL components are checked against their character sets below; an
        // opaque URI only needs to be free of whitespace, controls and the delimiters around it.
        for (char c : text) {
            if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"') {
                return error_code::malformed_uri;
            }
        }
        if (rest.empty()) {
            return error_code::malformed_uri;
        }
        u.opaque = rest;
        return u;
    }

    if (u.scheme == uri_scheme::tel) {
        std::size_t semi = rest.find(';');
        u.user = rest.substr(0, semi);
        u.has_user = true;
        if (u.user.empty() || !valid_tel(u.user)) {
            return error_code::malformed_uri;
        }
        if (semi != std::string_view::npos) {
            std::string_view p = rest.substr(semi);
            if (!valid_uri_params(p)) {
                return error_code::malformed_uri;
            }
            u.params = param_list(p);
        }
        return u;
    }

    std::size_t at = rest.find('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = rest.substr(0, at);
        std::size_t pc = userinfo.find(':');
        u.user = userinfo.substr(0, pc);
        if (pc != std::string_view::npos) {
            u.password = userinfo.substr(pc + 1);
            u.has_password = true;
            if (!valid_escaped(u.password, password_chars)) {
                return error_code::malformed_uri;
            }
        }
        if (u.user.empty() || !valid_escaped(u.user, user_chars)) {
            return error_code::malformed_uri;
        }
        u.has_user = true;
        rest = rest.substr(at + 1);
    }
    std::size_t hp_end = 0;
    if (!rest.empty() && rest[0] == '[') {
        hp_end = rest.find(']');
        if (hp_end == std::string_view::npos) {
            return error_code::malformed_uri;
        }
    }
    hp_end = rest.find_first_of(";?", hp_end);
    if (hp_end == std::string_view::npos) {
        hp_end = rest.size();
    }
    auto hp = parse_host_port(rest.substr(0, hp_end));
    if (!hp) {
        return hp.error();
    }
    u.hp = *hp;
    rest = rest.substr(hp_end);
    std::size_t q = rest.find('?');
    std::string_view params = rest.substr(0, q);
    if (!params.empty()) {
        if (!valid_uri_params(params)) {
            return error_code::malformed_uri;
        }
        u.params = param_list(params);
    }
    if (q != std::string_view::npos) {
        u.headers = rest.substr(q + 1);
        if (u.headers.empty() || !valid_escaped(u.headers, header_chars)) {
            return error_code::malformed_uri;
        }
    }
    return u;
}

std::string_view uri::transport() const {
    return params.value("transport").value_or("");
}
std::string_view uri::maddr() const {
    return params.value("maddr").value_or("");
}
std::string_view uri::user_param() const {
    return params.value("user").value_or("");
}
bool uri::user_is_phone() const {
    return iequals(user_param(), "phone");
}

bool uri_equal(const uri& a, const uri& b) {
    if (a.scheme != b.scheme) {
        return false;
    }
    if (!a.is_sip()) {
        return iequals(a.text, b.text);
    }
    if (a.has_user != b.has_user || unescape(a.user) != unescape(b.user) ||
        unescape(a.password) != unescape(b.password)) {
        return false;
    }
    if (!iequals(a.hp.host, b.hp.host) || a.hp.has_port != b.hp.has_port ||
        a.hp.port != b.hp.port) {
        return false;
    }
    // §19.1.4: these parameters must match when present in either URI.
    for (std::string_view name : {"transport", "user", "ttl", "method", "maddr"}) {
        auto va = a.params.value(name);
        auto vb = b.params.value(name);
        if (va.has_value() != vb.has_value() || (va && !iequals(unescape(*va), unescape(*vb)))) {
            return false;
        }
    }
    // Any other parameter appearing in both must match.
    for (const param& p : a.params) {
        auto other = b.params.value(p.name);
        if (other && !iequals(unescape(p.value), unescape(*other))) {
            return false;
        }
    }
    return true;
}

}  // namespace sbc::sip
