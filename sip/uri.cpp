#include "sip/uri.hpp"

#include "sip/parse_internal.hpp"
#include "sip/scan.hpp"
#include "sip/text.hpp"

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace sbc::sip {
namespace {

using detail::bounds;

// RFC 3261 §25.1: user, password, paramchar and hnv character sets, each with %HH escapes.
constexpr detail::class_set password_chars = detail::make_class(detail::cc_password, "%");
constexpr detail::class_set header_chars = detail::make_class(detail::cc_header, "%");

// Every '%' starts a %HH escape and every other character is in `k` (which includes '%').
bool valid_escaped(std::string_view s, const detail::class_set& k, bounds b) {
    return detail::span_escaped(s, 0, k, b) == s.size();
}

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

// Scans ";name[=value]" parameters (paramchar strings, %HH escapes) from the start of `text` up
// to '?' or the end. Returns the length scanned, or npos on a syntax error.
std::size_t scan_uri_params_slow(std::string_view text, bounds b) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n && text[i] != '?') {
        if (text[i] != ';') {
            return std::string_view::npos;
        }
        std::size_t end = detail::span_escaped(text, i + 1, detail::k_param_esc, b);
        if (end == i + 1) {
            return std::string_view::npos;
        }
        i = end;
        if (i < n && text[i] == '=') {
            end = detail::span_escaped(text, i + 1, detail::k_param_esc, b);
            if (end == i + 1) {
                return std::string_view::npos;
            }
            i = end;
        }
    }
    return i;
}

constexpr detail::class_set k_params_section = detail::make_class(detail::cc_param, ";=");

// The same in one pass of 16-byte chunks over the section (paramchars, ';' and '='), checking the
// separators from their bit masks: each ';' starts a non-empty name, each '=' (one per parameter)
// a non-empty value. A section with escapes takes the per-parameter scan.
std::size_t scan_uri_params(std::string_view text, bounds b) {
    const std::size_t n = text.size();
    if (n == 0 || text[0] == '?') {
        return 0;
    }
    if (text[0] != ';') {
        return std::string_view::npos;
    }
#if defined(__SSSE3__)
    if (b == bounds::padded) {
        const char* p = text.data();
        std::size_t last = 0;   // the previous separator
        bool in_value = false;  // it was '='
        for (std::size_t base = 0;; base += 16) {
            const unsigned out = detail::outside_mask(p + base, k_params_section);
            const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + base));
            const unsigned semis =
                unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(';'))));
            const unsigned equals =
                unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('='))));
            // Bits before the end of the section in this chunk (and of the text).
            std::size_t stop = out != 0 ? base + unsigned(__builtin_ctz(out)) : base + 16;
            stop = stop < n ? stop : n;
            const unsigned live = stop - base >= 16 ? 0xffffu : (1u << (stop - base)) - 1;
            for (unsigned seps = (semis | equals) & live & (base == 0 ? ~1u : ~0u); seps != 0;
                 seps &= seps - 1) {
                const unsigned bit = unsigned(__builtin_ctz(seps));
                const std::size_t at = base + bit;
                const bool equal = ((equals >> bit) & 1) != 0;
                if (at - last < 2 || (equal && in_value)) {
                    return std::string_view::npos;  // empty name or value, or a second '='
                }
                in_value = equal;
                last = at;
            }
            if (stop < base + 16) {
                if (stop < n && text[stop] == '%') {
                    return scan_uri_params_slow(text, b);
                }
                if (stop - last < 2 || (stop < n && text[stop] != '?')) {
                    return std::string_view::npos;
                }
                return stop;
            }
        }
    }
#endif
    return scan_uri_params_slow(text, b);
}

bool valid_uri_params(std::string_view text) {
    return scan_uri_params(text, bounds::exact) == text.size();
}

// Kind of a non-bracketed host made of host characters only (alphanum "-" "." "_"): a dotted
// quad, or a hostname by is_hostname's rules: labels not empty and not starting or ending with
// '-', one trailing '.' allowed, the top label starting with a letter ("999.1.1.1" is not a name).
#if defined(__SSSE3__)
// is_ipv4() on a padded view (16 bytes readable) from bit masks: digits and exactly three dots,
// parts of 1-3 digits, each at most 255.
bool is_ipv4_padded(std::string_view s) {
    const std::size_t n = s.size();
    if (n < 7 || n > 15) {
        return false;
    }
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data()));
    const __m128i d = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
    const unsigned all = (1u << n) - 1;
    const unsigned digits =
        unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)));
    const unsigned dots = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.'))));
    const unsigned dot_bits = dots & all;
    const unsigned after_first = dot_bits & (dot_bits - 1);
    const unsigned after_second = after_first & (after_first - 1);
    // Only digits and dots, and exactly three dots.
    if (((digits | dots) & all) != all || after_second == 0 ||
        (after_second & (after_second - 1)) != 0) {
        return false;
    }
    const unsigned d1 = unsigned(__builtin_ctz(dot_bits));
    const unsigned d2 = unsigned(__builtin_ctz(after_first));
    const unsigned d3 = unsigned(__builtin_ctz(after_second));
    auto part_ok = [&s](unsigned start, unsigned end) {
        const unsigned len = end - start;
        if (len - 1 > 2) {
            return false;  // empty or more than 3 digits
        }
        const char* q = s.data() + start;
        unsigned v = unsigned(q[0] - '0');
        if (len > 1) {
            v = v * 10 + unsigned(q[1] - '0');
        }
        if (len > 2) {
            v = v * 10 + unsigned(q[2] - '0');
        }
        return v <= 255;
    };
    return part_ok(0, d1) && part_ok(d1 + 1, d2) && part_ok(d2 + 1, d3) &&
           part_ok(d3 + 1, unsigned(n));
}
#endif

}  // namespace

host_kind detail::classify_host_chars(std::string_view h, bounds b) {
    const std::size_t n = h.size();
    if (n == 0) {
        return host_kind::none;
    }
#if defined(__SSSE3__)
    if (is_digit(h[0]) && (b == bounds::padded ? is_ipv4_padded(h) : is_ipv4(h))) {
        return host_kind::ipv4;
    }
#else
    if (is_digit(h[0]) && is_ipv4(h)) {
        return host_kind::ipv4;
    }
#endif
    const std::size_t e = h[n - 1] == '.' ? n - 1 : n;
    if (e == 0 || h[0] == '.' || h[0] == '-' || h[e - 1] == '.' || h[e - 1] == '-') {
        return host_kind::none;
    }
    std::size_t top = 0;
#if defined(__SSSE3__)
    if (e <= 16 && (b == bounds::padded || n >= 16)) {
        // Label rules on bit masks: a dot or dash starting a label, a dash ending one.
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h.data()));
        const unsigned all = (1u << e) - 1;
        const unsigned dots =
            unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.')))) & all;
        const unsigned dashes =
            unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('-')))) & all;
        const unsigned label_start = (1u | (dots << 1)) & all;
        const unsigned label_end = dots >> 1;
        if (((dots | dashes) & label_start) != 0 || (dashes & label_end) != 0) {
            return host_kind::none;
        }
        top = dots == 0 ? 0 : 32 - unsigned(__builtin_clz(dots));
        return is_alpha(h[top]) ? host_kind::name : host_kind::none;
    }
#else
    (void)b;
#endif
    if (n > 255) {
        return host_kind::none;
    }
    for (std::size_t k = 1; k < e; ++k) {
        // Only '-' (0x2d) and '.' (0x2e) constrain their neighbours.
        if (uint8_t(h[k] - '-') < 2) {
            if (h[k] == '.') {
                if (h[k - 1] == '.' || h[k - 1] == '-') {
                    return host_kind::none;
                }
                top = k + 1;
            } else if (h[k - 1] == '.') {
                return host_kind::none;
            }
        }
    }
    return is_alpha(h[top]) ? host_kind::name : host_kind::none;
}

namespace {

// The host characters of text[from..]: sets `end` after them and returns their kind.
host_kind scan_host(std::string_view text, std::size_t from, std::size_t& end, bounds b) {
    end = detail::span_end(text, from, detail::k_host, b);
    return detail::classify_host_chars(text.substr(from, end - from), b);
}

// Host kind of a non-bracketed host: dotted quad, or a hostname.
host_kind classify_host(std::string_view h) {
    std::size_t end = 0;
    host_kind k = scan_host(h, 0, end, bounds::exact);
    return end == h.size() ? k : host_kind::none;
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
        hp.kind = classify_host(text.substr(0, host_end));
        if (hp.kind == host_kind::none) {
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

namespace {

// RFC 3261 userinfo in a sip/sips URI: `user [":" password] "@"`. `at` is the first '@'.
bool parse_userinfo(uri& u, std::string_view rest, std::size_t at, bounds b) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t pc = userinfo.find(':');
    u.user = userinfo.substr(0, pc);
    if (pc != std::string_view::npos) {
        u.password = userinfo.substr(pc + 1);
        u.has_password = true;
        if (!valid_escaped(u.password, password_chars, b)) {
            return false;
        }
    }
    if (u.user.empty() || !valid_escaped(u.user, detail::k_user_esc, b)) {
        return false;
    }
    u.has_user = true;
    return true;
}

// sip/sips after "scheme:": [userinfo "@"] hostport uri-parameters ["?" headers], one pass each.
bool parse_sip_rest(uri& u, std::string_view rest, bounds b) {
    const std::size_t n = rest.size();
    // Most URIs are `user@host` or `host...`: host characters are user characters, so a run of
    // them ended by '@' is the user, and one ended by anything but '@' is the host unless an '@'
    // follows (then the general userinfo rules apply; an '@' is valid nowhere after the host).
    std::size_t host_start = 0;
    const bool bracket = !rest.empty() && rest[0] == '[';
    const std::size_t run = bracket ? 0 : detail::span_end(rest, 0, detail::k_host, b);
    bool after_userinfo = false;
    if (run < n && rest[run] == '@') {
        if (run == 0) {
            return false;
        }
        u.user = rest.substr(0, run);
        u.has_user = true;
        host_start = run + 1;
        after_userinfo = true;
    } else if (!bracket && run < n) {
        const std::size_t at = detail::find_in(rest, run, '@', b);
        if (at < n) {
            if (!parse_userinfo(u, rest, at, b)) {
                return false;
            }
            host_start = at + 1;
            after_userinfo = true;
        }
    }
    std::size_t host_end = run;
    host_kind kind;
    if (host_start < n && rest[host_start] == '[') {
        const std::size_t close = rest.find(']', host_start);
        if (close == std::string_view::npos ||
            !is_ipv6(rest.substr(host_start + 1, close - host_start - 1))) {
            return false;
        }
        host_end = close + 1;
        kind = host_kind::ipv6;
    } else if (after_userinfo) {
        kind = scan_host(rest, host_start, host_end, b);
    } else {
        kind = detail::classify_host_chars(rest.substr(0, run), b);
    }
    if (kind == host_kind::none) {
        return false;
    }
    u.hp.kind = kind;
    u.hp.host = rest.substr(host_start, host_end - host_start);
    std::size_t i = host_end;
    if (i < n && rest[i] == ':') {
        ++i;
        const long port = detail::read_port(rest, i);
        if (port < 0) {
            return false;
        }
        u.hp.port = uint16_t(port);
        u.hp.has_port = true;
    }
    if (i < n && rest[i] == ';') {
        const std::size_t len = scan_uri_params(rest.substr(i), b);
        if (len == std::string_view::npos) {
            return false;
        }
        u.params = param_list(rest.substr(i, len), ';', b == bounds::padded);
        i += len;
    }
    if (i < n) {
        if (rest[i] != '?') {
            return false;
        }
        u.headers = rest.substr(i + 1);
        if (u.headers.empty() || !valid_escaped(u.headers, header_chars, b)) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool detail::parse_uri_into(uri& u, std::string_view text, bounds b) {
    u.text = text;
    std::size_t colon;
    // "sip:" and "sips:" (any case) without the general scheme scan.
    if (text.size() >= 4 && (text[0] | 0x20) == 's' && (text[1] | 0x20) == 'i' &&
        (text[2] | 0x20) == 'p' &&
        (text[3] == ':' || ((text[3] | 0x20) == 's' && text.size() >= 5 && text[4] == ':'))) {
        colon = text[3] == ':' ? 3 : 4;
        u.scheme = colon == 3 ? uri_scheme::sip : uri_scheme::sips;
        u.scheme_name = text.substr(0, colon);
        return parse_sip_rest(u, text.substr(colon + 1), b);
    }
    colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return false;
    }
    u.scheme_name = text.substr(0, colon);
    if (!is_alpha(u.scheme_name[0])) {
        return false;
    }
    for (char c : u.scheme_name) {
        if (!is_alnum(c) && c != '+' && c != '-' && c != '.') {
            return false;
        }
    }
    u.scheme = classify_scheme(u.scheme_name);
    std::string_view rest = text.substr(colon + 1);

    if (u.scheme == uri_scheme::other) {
        // SIP, SIPS and TEL components are checked against their character sets below; an
        // opaque URI only needs to be free of whitespace, controls and the delimiters around it.
        for (char c : text) {
            if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"') {
                return false;
            }
        }
        if (rest.empty()) {
            return false;
        }
        u.opaque = rest;
        return true;
    }

    if (u.scheme == uri_scheme::tel) {
        std::size_t semi = rest.find(';');
        u.user = rest.substr(0, semi);
        u.has_user = true;
        if (u.user.empty() || !valid_tel(u.user)) {
            return false;
        }
        if (semi != std::string_view::npos) {
            std::string_view p = rest.substr(semi);
            if (!valid_uri_params(p)) {
                return false;
            }
            u.params = param_list(p);
        }
        return true;
    }
    return parse_sip_rest(u, rest, b);
}

result<uri> parse_uri(std::string_view text) {
    uri u;
    if (!detail::parse_uri_into(u, text, bounds::exact)) {
        return error_code::malformed_uri;
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
