#pragma once
// Internal to sip/: character-class spans and delimiter searches 16 bytes at a time (SSSE3, which
// sbc_sip is compiled for on x86-64: see sip/CMakeLists.txt), with scalar fallbacks.
//
// A class is a pshufb nibble table (simdjson's technique, exact for any set of ASCII bytes): bit h
// of lo[c & 15] is set when the byte (h << 4 | (c & 15)) is in the class. Bytes >= 0x80 are in no
// class.
//
// Views into a parsed message's text are `padded`: the text is followed by at least 16 readable
// bytes, so a 16-byte load at any offset below the view's end stays in memory. Other views are
// `exact`: loads stay inside the view and the last bytes go through the scalar path.

#include <cstdint>
#include <string_view>

#include "sip/parse_internal.hpp"
#include "sip/text.hpp"

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace sbc::sip::detail {

struct class_set {
    alignas(16) uint8_t lo[16];
    uint64_t bits[2];  // the same set as a bitmap of ASCII, for the scalar paths

    constexpr bool has(char c) const {
        const auto u = uint8_t(c);
        return u < 128 && ((bits[u >> 6] >> (u & 63)) & 1) != 0;
    }
};

// The characters of `classes` (the scalar table) plus `extra`.
constexpr class_set make_class(uint16_t classes, std::string_view extra = {}) {
    class_set k{{}, {}};
    for (int c = 1; c < 128; ++c) {
        if (char_is(char(c), classes) || extra.find(char(c)) != std::string_view::npos) {
            k.lo[c & 15] = uint8_t(k.lo[c & 15] | (1u << (c >> 4)));
            k.bits[c >> 6] |= uint64_t{1} << (c & 63);
        }
    }
    return k;
}

inline constexpr class_set k_token = make_class(cc_token);
inline constexpr class_set k_host = make_class(cc_host);
inline constexpr class_set k_user_esc = make_class(cc_user, "%");
inline constexpr class_set k_param_esc = make_class(cc_param, "%");
inline constexpr class_set k_param_value = make_class(cc_param_value);
inline constexpr class_set k_word_at = make_class(cc_word, "@");
inline constexpr class_set k_token_lws = make_class(cc_token | cc_lws);
inline constexpr class_set k_name_end_semi = make_class(cc_name_end_semi);
inline constexpr class_set k_name_end_comma = make_class(cc_name_end_comma);
inline constexpr class_set k_value_end_semi = make_class(cc_value_end_semi);
inline constexpr class_set k_value_end_comma = make_class(cc_value_end_comma);
inline constexpr class_set k_semi_quote = make_class(0, ";\"");
inline constexpr class_set k_comma_quote = make_class(0, ",\"");
inline constexpr class_set k_list_delims = make_class(0, ",\"<>");

#if defined(__SSSE3__)
// Bit i set when byte i of the 16 at p is NOT in the class.
inline unsigned outside_mask(const char* p, const class_set& k) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i hi_bits =
        _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, char(0x80), 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i lo_table = _mm_load_si128(reinterpret_cast<const __m128i*>(k.lo));
    const __m128i lo = _mm_shuffle_epi8(lo_table, _mm_and_si128(bytes, nibble));
    const __m128i hi = _mm_shuffle_epi8(hi_bits, _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble));
    const __m128i in = _mm_and_si128(lo, hi);
    return unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(in, _mm_setzero_si128())));
}
#endif

// End of the run of class characters in s starting at `from` (s.size() if it runs to the end).
inline std::size_t span_end(std::string_view s, std::size_t from, const class_set& k, bounds b) {
    const char* p = s.data();
    const std::size_t n = s.size();
#if defined(__SSSE3__)
    while (from < n && (b == bounds::padded || from + 16 <= n)) {
        const unsigned out = outside_mask(p + from, k);
        if (out != 0) {
            from += unsigned(__builtin_ctz(out));
            return from < n ? from : n;
        }
        from += 16;
    }
    if (from >= n) {
        return n;
    }
#else
    (void)b;
#endif
    while (from < n && k.has(p[from])) {
        ++from;
    }
    return from;
}

// Offset of the first character of class `k` in s[from..], or s.size(). Exact for any `k` (its
// members are ASCII), unlike a span of a complement class.
inline std::size_t first_in(std::string_view s, std::size_t from, const class_set& k, bounds b) {
    const char* p = s.data();
    const std::size_t n = s.size();
#if defined(__SSSE3__)
    while (from < n && (b == bounds::padded || from + 16 <= n)) {
        const unsigned in = ~outside_mask(p + from, k) & 0xffffu;
        if (in != 0) {
            from += unsigned(__builtin_ctz(in));
            return from < n ? from : n;
        }
        from += 16;
    }
    if (from >= n) {
        return n;
    }
#else
    (void)b;
#endif
    while (from < n && !k.has(p[from])) {
        ++from;
    }
    return from;
}

// Offset of the first `c` in s[from..], or s.size(); like find_char() but may use the padding.
inline std::size_t find_in(std::string_view s, std::size_t from, char c, bounds b) {
#if defined(__SSSE3__)
    if (b == bounds::padded) {
        const char* p = s.data();
        const std::size_t n = s.size();
        const __m128i needle = _mm_set1_epi8(c);
        while (from < n) {
            const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + from));
            const unsigned hit = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, needle)));
            if (hit != 0) {
                from += unsigned(__builtin_ctz(hit));
                return from < n ? from : n;
            }
            from += 16;
        }
        return n;
    }
#endif
    (void)b;
    return find_char(s, from, c);
}

// End of a run of `k` characters and %HH escapes (RFC 3261 escaped user/param characters; `k`
// includes '%'): a '%' without two hex digits after it, inside the view, ends the run.
inline std::size_t span_escaped(std::string_view s, std::size_t from, const class_set& k,
                                bounds b) {
    const char* p = s.data();
    const std::size_t n = s.size();
    std::size_t end = n;
#if defined(__SSSE3__)
    std::size_t i = from;
    bool escapes = false;
    for (;;) {
        if (i >= n) {
            break;
        }
        if (b != bounds::padded && i + 16 > n) {
            end = i;
            while (end < n && k.has(p[end])) {
                escapes = escapes || p[end] == '%';
                ++end;
            }
            break;
        }
        const unsigned out = outside_mask(p + i, k);
        const unsigned pct = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), _mm_set1_epi8('%'))));
        if (out != 0) {
            const unsigned stop = unsigned(__builtin_ctz(out));
            escapes = escapes || (pct & ((1u << stop) - 1)) != 0;
            end = i + stop < n ? i + stop : n;
            break;
        }
        escapes = escapes || pct != 0;
        i += 16;
    }
    if (!escapes) {
        return end;
    }
#else
    end = from;
    while (end < n && k.has(p[end])) {
        ++end;
    }
    (void)b;
#endif
    for (std::size_t pct = find_char(s.substr(0, end), from, '%'); pct < end;
         pct = find_char(s.substr(0, end), pct + 3, '%')) {
        if (pct + 2 >= n || !is_hex(p[pct + 1]) || !is_hex(p[pct + 2])) {
            return pct;
        }
    }
    return end;
}

// A port at s[i..]: the run of digits (ending `i` past it) and its value, or -1 when the run is
// empty or the value exceeds 65535 (parse_uint(run, 65535) in one loop).
inline long read_port(std::string_view s, std::size_t& i) {
    const std::size_t start = i;
    unsigned long v = 0;
    while (i < s.size()) {
        const unsigned d = unsigned(uint8_t(s[i])) - '0';
        if (d > 9) {
            break;
        }
        // Saturate: a longer run only needs to stay above the limit.
        v = v > 65535 ? 65536 : v * 10 + d;
        ++i;
    }
    return i == start || i - start > 20 || v > 65535 ? -1 : long(v);
}

// The next element of a comma-separated header value (comma_list's rules: commas inside quotes and
// <...> do not split; empty elements are skipped), LWS-trimmed. Consumes it from `rest`; false
// when there is none.
inline bool next_element(std::string_view& rest, std::string_view& element, bounds b) {
    const std::string_view s = rest;
    if (!s.empty() && !is_lws(s[0]) && s[0] != ',' && !is_lws(s.back()) &&
        find_in(s, 0, ',', b) == s.size()) {
        // One element with nothing to trim: the usual header value.
        element = s;
        rest = s.substr(s.size());
        return true;
    }
    std::size_t i = 0;
    while (i < s.size() && (is_lws(s[i]) || s[i] == ',')) {
        ++i;
    }
    if (i == s.size()) {
        rest = {};
        return false;
    }
    const std::size_t start = i;
    if (find_in(s, i, ',', b) == s.size()) {
        element = trim_lws(s.substr(start));
        rest = s.substr(s.size());
        return true;
    }
    bool in_angle = false;
    while (i < s.size()) {
        i = first_in(s, i, k_list_delims, b);
        if (i == s.size()) {
            break;
        }
        const char c = s[i];
        if (c == '"') {
            const std::size_t q = quoted_string_length(s.substr(i));
            i = q == 0 ? s.size() : i + q;
            continue;
        }
        if (c == ',' && !in_angle) {
            break;
        }
        in_angle = c == '<' ? true : c == '>' ? false : in_angle;
        ++i;
    }
    element = trim_lws(s.substr(start, i - start));
    rest = s.substr(i);
    return true;
}

}  // namespace sbc::sip::detail
