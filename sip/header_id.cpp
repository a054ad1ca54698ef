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

// Header ids bucketed by (name length, lower-case first letter): classification compares at most
// a handful of same-length names that start alike. Each name is also kept lower-case with a
// case-folding mask (0x20 on letters, 0 on '-'), so that `(c | fold) == lower` matches a letter in
// either case and everything else exactly (a CR must not pass for '-', though CR | 0x20 == '-').
struct name_index {
    static constexpr std::size_t slots = 4;
    std::array<std::array<uint8_t, slots>, (max_name + 1) * 26> ids{};
    std::array<uint8_t, (max_name + 1) * 26> count{};
    std::array<uint8_t, 128> compact{};  // lower-case letter -> id + 1
    std::array<std::array<char, max_name>, header_id_count> lower{};
    std::array<std::array<char, max_name>, header_id_count> fold{};

    constexpr name_index() {
        for (std::size_t i = 0; i < header_table.size(); ++i) {
            std::string_view n = header_table[i].name;
            std::size_t b = n.size() * 26 + std::size_t(ascii_lower(n[0]) - 'a');
            ids[b][count[b]++] = uint8_t(i);
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

// The bucket of a name of 2..max_name characters, or nullptr.
const std::array<uint8_t, name_index::slots>* bucket(std::string_view name, std::size_t& count) {
    char first = char(name[0] | 0x20);
    if (name.size() > max_name || first < 'a' || first > 'z') {
        return nullptr;
    }
    std::size_t b = name.size() * 26 + std::size_t(first - 'a');
    count = index.count[b];
    return &index.ids[b];
}

header_id classify_compact(char c) {
    c = ascii_lower(c);
    if (c >= 0 && index.compact[std::size_t(uint8_t(c))] != 0) {
        return header_id(index.compact[std::size_t(uint8_t(c))] - 1);
    }
    return header_id::other;
}

}  // namespace

header_id classify_header(std::string_view name) {
    if (name.empty()) {
        return header_id::other;
    }
    if (name.size() == 1) {
        return classify_compact(name[0]);
    }
    std::size_t count = 0;
    const auto* ids = bucket(name, count);
    for (std::size_t i = 0; ids != nullptr && i < count; ++i) {
        const std::size_t id = (*ids)[i];
        std::size_t k = 1;
        while (k < name.size() && char(name[k] | index.fold[id][k]) == index.lower[id][k]) {
            ++k;
        }
        if (k == name.size()) {
            return header_id(id);
        }
    }
    return header_id::other;
}

namespace detail {

header_id classify_header_padded(const char* name, std::size_t size) {
#if defined(__SSE2__)
    if (size < 2 || size > 16) {
        return classify_header({name, size});
    }
    std::size_t count = 0;
    const auto* ids = bucket({name, size}, count);
    if (ids == nullptr) {
        return header_id::other;
    }
    const __m128i text = _mm_loadu_si128(reinterpret_cast<const __m128i*>(name));
    const unsigned want = (1u << size) - 1;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t id = (*ids)[i];
        const __m128i fold =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(index.fold[id].data()));
        const __m128i lower =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(index.lower[id].data()));
        const unsigned eq =
            unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(text, fold), lower)));
        if ((eq & want) == want) {
            return header_id(id);
        }
    }
    return header_id::other;
#else
    return classify_header({name, size});
#endif
}

}  // namespace detail

std::string_view header_name(header_id id) {
    return id == header_id::other ? std::string_view{} : header_table[std::size_t(id)].name;
}

char header_compact(header_id id) {
    return id == header_id::other ? char(0) : header_table[std::size_t(id)].compact;
}

}  // namespace sbc::sip
