#include "sip/header_id.hpp"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sip/text.hpp"

namespace sbc::sip {
namespace {

struct header_entry {
    std::string_view name;
    char compact;
};

constexpr std::array<header_entry, header_id_count> header_table{{
#define SBC_SIP_HEADER_ENTRY(id, name, compact) {name, compact},
    SBC_SIP_HEADERS(SBC_SIP_HEADER_ENTRY)
#undef SBC_SIP_HEADER_ENTRY
}};

constexpr std::size_t max_name = 24;

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

constexpr name_index index{};
static_assert(!index.collision, "header name hash: pick other multipliers");

header_id classify_compact(char c) {
    c = ascii_lower(c);
    if (c >= 0 && index.compact[std::size_t(uint8_t(c))] != 0) {
        return header_id(index.compact[std::size_t(uint8_t(c))] - 1);
    }
    return header_id::other;
}

#if defined(__SSE2__)
// Bit i set when byte i of the 16 at `name` equals byte i of the 16 at `lower` after folding.
unsigned equal_folded(const char* name, const char* lower, const char* fold) {
    const __m128i text = _mm_loadu_si128(reinterpret_cast<const __m128i*>(name));
    const __m128i f = _mm_loadu_si128(reinterpret_cast<const __m128i*>(fold));
    const __m128i l = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lower));
    return unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(text, f), l)));
}
#endif

}  // namespace

namespace detail {

header_id classify_header_at(const char* name, std::size_t size, bool readable_16) {
    if (size <= 1) {
        return size == 1 ? classify_compact(name[0]) : header_id::other;
    }
    if (size > max_name) {
        return header_id::other;
    }
    const std::size_t slot = index.by_hash[hash_name(size, name[0], name[size - 1])];
    if (slot == 0 || index.size[slot - 1] != size) {
        return header_id::other;
    }
    const std::size_t id = slot - 1;
    const char* lower = index.lower[id].data();
    const char* fold = index.fold[id].data();
#if defined(__SSE2__)
    if (size >= 16) {
        // Two overlapping loads inside the name cover it.
        const std::size_t tail = size - 16;
        const bool same = equal_folded(name, lower, fold) == 0xffff &&
                          equal_folded(name + tail, lower + tail, fold + tail) == 0xffff;
        return same ? header_id(id) : header_id::other;
    }
    if (readable_16) {
        const unsigned want = (1u << size) - 1;
        return (equal_folded(name, lower, fold) & want) == want ? header_id(id) : header_id::other;
    }
#else
    (void)readable_16;
#endif
    for (std::size_t k = 0; k < size; ++k) {
        if (char(name[k] | fold[k]) != lower[k]) {
            return header_id::other;
        }
    }
    return header_id(id);
}

}  // namespace detail

header_id classify_header(std::string_view name) {
    return detail::classify_header_at(name.data(), name.size(), false);
}

std::string_view header_name(header_id id) {
    return id == header_id::other ? std::string_view{} : header_table[std::size_t(id)].name;
}

char header_compact(header_id id) {
    return id == header_id::other ? char(0) : header_table[std::size_t(id)].compact;
}

}  // namespace sbc::sip
