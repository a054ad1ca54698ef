#pragma once
// Character classes and small string helpers from the RFC 3261 §25.1 grammar. Everything works on
// std::string_view into the message buffer; nothing allocates except unquote/unescape.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
// WSP plus the CR/LF left inside a folded header value (RFC 3261 §7.3.1: a fold is LWS).
constexpr bool is_lws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
constexpr bool is_token_char(char c) {
    if (is_alnum(c)) {
        return true;
    }
    switch (c) {
        case '-':
        case '.':
        case '!':
        case '%':
        case '*':
        case '_':
        case '+':
        case '`':
        case '\'':
        case '~':
            return true;
        default:
            return false;
    }
}
bool is_token(std::string_view s);

// Case-insensitive ASCII comparison (header names, param names, hosts, schemes).
bool iequals(std::string_view a, std::string_view b);

std::string_view trim_lws(std::string_view s);
std::string_view trim_lws_left(std::string_view s);

// Decimal without sign; fails on empty, non-digits or overflow of `max`.
std::optional<uint64_t> parse_uint(std::string_view s, uint64_t max = UINT64_MAX);

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
// hostname = *( domainlabel "." ) toplabel [ "." ] — lenient about the toplabel starting digit.
bool is_hostname(std::string_view s);

}  // namespace sbc::sip
