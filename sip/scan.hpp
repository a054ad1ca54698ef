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

#include "sip/text.hpp"

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace sbc::sip::detail {

enum class bounds : bool { exact, padded };

// Bytes of padding after a message's text (and after any copy the parser scans with `padded`).
inline constexpr std::size_t text_padding = 16;

struct class_set {
    alignas(16) uint8_t lo[16];
    uint16_t classes;  // the same set in the scalar table (char_table)...
    char extra;        // ...plus this character (0 for none)

    constexpr bool has(char c) const { return char_is(c, classes) || (extra != 0 && c == extra); }
};

constexpr class_set make_class(uint16_t classes, char extra = 0) {
    class_set k{{}, classes, extra};
    for (int c = 1; c < 128; ++c) {
        if (k.has(char(c))) {
            k.lo[c & 15] = uint8_t(k.lo[c & 15] | (1u << (c >> 4)));
        }
    }
    return k;
}

inline constexpr class_set k_token = make_class(cc_token);
inline constexpr class_set k_host = make_class(cc_host);
inline constexpr class_set k_user_esc = make_class(cc_user, '%');
inline constexpr class_set k_param_esc = make_class(cc_param, '%');
inline constexpr class_set k_param_value = make_class(cc_param_value);
inline constexpr class_set k_word_at = make_class(cc_word, '@');
inline constexpr class_set k_token_lws = make_class(cc_token | cc_lws);

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

// End of a run of `k` characters and %HH escapes (RFC 3261 escaped user/param characters): a '%'
// without two hex digits after it, inside the view, ends the run.
inline std::size_t span_escaped(std::string_view s, std::size_t from, const class_set& k,
                                bounds b) {
    const std::size_t end = span_end(s, from, k, b);
    for (std::size_t pct = find_in(s.substr(0, end), from, '%', b); pct < end;
         pct = find_in(s.substr(0, end), pct + 3, '%', b)) {
        if (pct + 2 >= s.size() || !is_hex(s[pct + 1]) || !is_hex(s[pct + 2])) {
            return pct;
        }
    }
    return end;
}

}  // namespace sbc::sip::detail
