#pragma once
// Character classes and small string helpers from the RFC 3261 §25.1 grammar. Everything works on
// std::string_view into the message buffer; nothing allocates except unquote/unescape.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sbc::sip {

constexpr char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
}

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_alnum(char c) {
    return is_digit(c) || is_alpha(c);
}
constexpr bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

namespace detail {
// One table for the RFC 3261 §25.1 character sets the parser tests in its inner loops.
enum char_class : uint16_t {
    cc_token = 1 << 0,        // token
    cc_unreserved = 1 << 1,   // alphanum / mark
    cc_user = 1 << 2,         // unreserved / user-unreserved
    cc_password = 1 << 3,     // unreserved / "&" "=" "+" "$" ","
    cc_param = 1 << 4,        // unreserved / param-unreserved
    cc_header = 1 << 5,       // unreserved / hnv-unreserved
    cc_host = 1 << 6,         // alphanum "-" "." "_"
    cc_lws = 1 << 7,          // SP HT CR LF
    cc_word = 1 << 8,         // word (RFC 3261 §25.1, Call-ID) without "@"
    cc_param_value = 1 << 9,  // token / host / the delimiters seen in generic-param values
    // Where param_list's lenient reader stops a name ("=", separator, LWS) or a value
    // (separator, LWS), for the two separators in use.
    cc_name_end_semi = 1 << 10,
    cc_name_end_comma = 1 << 11,
    cc_value_end_semi = 1 << 12,
    cc_value_end_comma = 1 << 13,
};

constexpr std::array<uint16_t, 256> make_char_table() {
    std::array<uint16_t, 256> t{};
    auto add = [&t](std::string_view chars, uint16_t cls) {
        for (char c : chars) {
            t[uint8_t(c)] |= cls;
        }
    };
    constexpr std::string_view alnum =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    constexpr std::string_view mark = "-_.!~*'()";
    add(alnum, cc_token | cc_unreserved | cc_user | cc_password | cc_param | cc_header | cc_host);
    add("-.!%*_+`'~", cc_token);
    add(mark, cc_unreserved | cc_user | cc_password | cc_param | cc_header);
    add("&=+$,;?/", cc_user);
    add("&=+$,", cc_password);
    add("[]/:&+$", cc_param);
    add("[]/?:+$=&", cc_header);
    add("-._", cc_host);
    add(" \t\r\n", cc_lws);
    for (std::size_t c = 0; c < t.size(); ++c) {
        if ((t[c] & cc_token) != 0) {
            t[c] |= cc_word | cc_param_value;
        }
    }
    add("()<>:\\\"/[]?{}", cc_word);
    add("[]:/@?<>&$()", cc_param_value);
    add("=; \t\r\n", cc_name_end_semi);
    add("=, \t\r\n", cc_name_end_comma);
    add("; \t\r\n", cc_value_end_semi);
    add(", \t\r\n", cc_value_end_comma);
    return t;
}
inline constexpr std::array<uint16_t, 256> char_table = make_char_table();
}  // namespace detail

constexpr bool char_is(char c, uint16_t classes) {
    return (detail::char_table[uint8_t(c)] & classes) != 0;
}

// WSP plus the CR/LF left inside a folded header value (RFC 3261 §7.3.1: a fold is LWS).
constexpr bool is_lws(char c) {
    return char_is(c, detail::cc_lws);
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
constexpr bool is_token_char(char c) {
    return char_is(c, detail::cc_token);
}

// Length of the run of characters of `classes` starting at s[from].
inline std::size_t span_of(std::string_view s, std::size_t from, uint16_t classes) {
    std::size_t i = from;
    while (i < s.size() && char_is(s[i], classes)) {
        ++i;
    }
    return i - from;
}

// Offset of the first `c` in s[from..], or s.size(). The parser's delimiter searches: SSE2 (the
// x86-64 baseline) 16 bytes at a time, without the call of memchr for the short spans of a header.
inline std::size_t find_char(std::string_view s, std::size_t from, char c) {
    const char* p = s.data();
    const std::size_t n = s.size();
#if defined(__SSE2__)
    const __m128i needle = _mm_set1_epi8(c);
    while (from + 32 <= n) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + from));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + from + 16));
        const __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(a, needle), _mm_cmpeq_epi8(b, needle));
        if (_mm_movemask_epi8(hits) != 0) {
            break;
        }
        from += 32;
    }
    while (from + 16 <= n) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + from));
        const unsigned mask = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, needle)));
        if (mask != 0) {
            return from + unsigned(__builtin_ctz(mask));
        }
        from += 16;
    }
    while (from < n && p[from] != c) {
        ++from;
    }
    return from;
#else
    if (from >= n) {
        return n;
    }
    const void* hit = std::memchr(p + from, c, n - from);
    return hit == nullptr ? n : std::size_t(static_cast<const char*>(hit) - p);
#endif
}

// RFC 3261 §25.1 CTL (%x00-1F, %x7F) other than HTAB: bytes that no start line or header value
// may hold. CR and LF only end lines (and fold them, which parse() unfolds). The grammar lets a
// quoted-pair escape a control character; the parser refuses that too (sip/README.md).
constexpr bool is_control_char(char c) {
    const auto u = uint8_t(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
}

#if defined(__SSE2__)
// Bit i set when byte i of `chunk` is a control character (is_control_char).
inline unsigned control_mask(__m128i chunk) {
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(chunk, _mm_set1_epi8(0x1f)), chunk);
    const __m128i tab = _mm_cmpeq_epi8(chunk, _mm_set1_epi8('\t'));
    const __m128i del = _mm_cmpeq_epi8(chunk, _mm_set1_epi8(0x7f));
    return unsigned(_mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(tab, low), del)));
}
#endif

// Offset of the first control character of `s` (is_control_char), or s.size().
inline std::size_t find_control_char(std::string_view s) {
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= s.size(); i += 16) {
        const unsigned m =
            control_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i)));
        if (m != 0) {
            return i + unsigned(__builtin_ctz(m));
        }
    }
#endif
    while (i < s.size() && !is_control_char(s[i])) {
        ++i;
    }
    return i;
}

// Offset of the first control character of `s` that is not part of a fold's line end (an LF, or
// a CR and an LF, followed by SP or HTAB), or s.size(): for raw header lines and values, where
// folds are LWS (RFC 3261 §7.3.1).
inline std::size_t find_bare_control(std::string_view s) {
    for (std::size_t i = find_control_char(s); i < s.size();
         i = i + 1 + find_control_char(s.substr(i + 1))) {
        const std::size_t lf = s[i] == '\r' ? i + 1 : i;
        if (lf + 1 >= s.size() || s[lf] != '\n' || (s[lf + 1] != ' ' && s[lf + 1] != '\t')) {
            return i;
        }
        i = lf;
    }
    return s.size();
}

inline bool is_token(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (!is_token_char(c)) {
            return false;
        }
    }
    return true;
}

// Case-insensitive ASCII comparison (header names, param names, hosts, schemes).
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

inline std::string_view trim_lws_left(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && is_lws(s[i])) {
        ++i;
    }
    return s.substr(i);
}

inline std::string_view trim_lws(std::string_view s) {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && is_lws(s[b])) {
        ++b;
    }
    while (e > b && is_lws(s[e - 1])) {
        --e;
    }
    return s.substr(b, e - b);
}

// Decimal without sign; fails on empty, non-digits or overflow of `max`. Inline: the parser reads
// many short numbers (ports, CSeq, Content-Length).
inline std::optional<uint64_t> parse_uint(std::string_view s, uint64_t max = UINT64_MAX) {
    if (s.empty() || s.size() > 20) {
        return std::nullopt;
    }
    uint64_t v = 0;
    if (s.size() < 20) {
        // 19 digits cannot overflow 64 bits: check the range once at the end.
        for (char c : s) {
            const unsigned d = unsigned(uint8_t(c)) - unsigned('0');
            if (d > 9) {
                return std::nullopt;
            }
            v = v * 10 + d;
        }
        if (v > max) {
            return std::nullopt;
        }
        return v;
    }
    for (char c : s) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        uint64_t d = uint64_t(c - '0');
        if (v > (max - d) / 10) {
            return std::nullopt;
        }
        v = v * 10 + d;
    }
    return v;
}

// quoted-string: `"..."` with quoted-pair escapes. unquote strips the quotes and resolves escapes;
// a string that is not quoted is returned as is.
std::string unquote(std::string_view s);
// Content between the quotes without resolving escapes (zero-copy); `s` as is if not quoted.
std::string_view strip_quotes(std::string_view s);
// Length of the quoted-string starting at s[0] == '"' including both quotes, or 0 if unterminated.
std::size_t quoted_string_length(std::string_view s);

// RFC 3986/3261 %HH escapes resolved; invalid escapes are left as written.
std::string unescape(std::string_view s);
bool has_escapes(std::string_view s);

// An IPv4 dotted quad (strict: four decimal octets).
bool is_ipv4(std::string_view s);
// An IPv6 address without brackets (RFC 4291 text forms, including embedded IPv4).
bool is_ipv6(std::string_view s);
// hostname = *( domainlabel "." ) toplabel [ "." ]; '_' tolerated inside labels.
bool is_hostname(std::string_view s);

}  // namespace sbc::sip
