#include "sip/header_id.hpp"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sip/header_index.hpp"
#include "sip/text.hpp"

namespace sbc::sip {
namespace {

using detail::header_index;
using detail::header_table;
using detail::max_name;

header_id classify_compact(char c) {
    c = ascii_lower(c);
    if (c >= 0 && header_index.compact[std::size_t(uint8_t(c))] != 0) {
        return header_id(header_index.compact[std::size_t(uint8_t(c))] - 1);
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
    const std::size_t slot = header_index.by_hash[detail::hash_name(size, name[0], name[size - 1])];
    if (slot == 0 || header_index.size[slot - 1] != size) {
        return header_id::other;
    }
    const std::size_t id = slot - 1;
    const char* lower = header_index.lower[id].data();
    const char* fold = header_index.fold[id].data();
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
