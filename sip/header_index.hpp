#pragma once
// Internal to sip/: the table behind classify_header(), shared with the parser's scan, which
// classifies a name from the 16 bytes it already loaded at the start of the line.

#include <array>
#include <cstdint>
#include <string_view>

#include "sip/header_id.hpp"
#include "sip/text.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sbc::sip::detail {

struct header_entry {
    std::string_view name;
    char compact;
};

inline constexpr std::array<header_entry, header_id_count> header_table{{
#define SBC_SIP_HEADER_ENTRY(id, name, compact) {name, compact},
    SBC_SIP_HEADERS(SBC_SIP_HEADER_ENTRY)
#undef SBC_SIP_HEADER_ENTRY
}};

inline constexpr std::size_t max_name = 24;

// A perfect hash of the well-known names (length, first and last letter; checked collision-free
// at compile time), then one comparison with the name it points at. Each name is kept lower-case
// with a case-folding mask (0x20 on letters, 0 on '-'), so that `(c | fold) == lower` matches a
// letter in either case and everything else exactly (a CR must not pass for '-', though
// CR | 0x20 == '-').
constexpr std::size_t hash_name(std::size_t size, char first, char last) {
    return (size * 19 + std::size_t(uint8_t(first | 0x20)) * 27 +
            std::size_t(uint8_t(last | 0x20)) * 17) &
           255;
}

struct name_index {
    std::array<uint8_t, 256> by_hash{};  // id + 1
    std::array<uint8_t, 128> compact{};  // lower-case letter -> id + 1
    std::array<uint8_t, header_id_count> size{};
    std::array<std::array<char, 32>, header_id_count> lower{};
    std::array<std::array<char, 32>, header_id_count> fold{};
    bool collision = false;

    constexpr name_index() {
        for (std::size_t i = 0; i < header_table.size(); ++i) {
            std::string_view n = header_table[i].name;
            std::size_t h = hash_name(n.size(), n.front(), n.back());
            collision = collision || by_hash[h] != 0 || n.size() > max_name;
            by_hash[h] = uint8_t(i + 1);
            size[i] = uint8_t(n.size());
            if (char c = header_table[i].compact) {
                compact[std::size_t(uint8_t(c))] = uint8_t(i + 1);
            }
            for (std::size_t k = 0; k < n.size(); ++k) {
                lower[i][k] = ascii_lower(n[k]);
                fold[i][k] = n[k] == '-' ? char(0) : char(0x20);
            }
        }
    }
};

inline constexpr name_index header_index{};
static_assert(!header_index.collision, "header name hash: pick other multipliers");

#if defined(__SSE2__)
// A name of 2..15 characters whose first 16 bytes are in `chunk`: its id, or other.
inline header_id classify_loaded(__m128i chunk, const char* name, std::size_t size) {
    const std::size_t slot = header_index.by_hash[hash_name(size, name[0], name[size - 1])];
    if (slot == 0 || header_index.size[slot - 1] != size) {
        return header_id::other;
    }
    const std::size_t id = slot - 1;
    const __m128i fold =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(header_index.fold[id].data()));
    const __m128i lower =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(header_index.lower[id].data()));
    const unsigned eq =
        unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(chunk, fold), lower)));
    const unsigned want = (1u << size) - 1;
    return (eq & want) == want ? header_id(id) : header_id::other;
}
#endif

}  // namespace sbc::sip::detail
