#include "sip/header_id.hpp"

#include <array>

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
// a handful of same-length names that start alike.
struct name_index {
    static constexpr std::size_t slots = 4;
    std::array<std::array<uint8_t, slots>, (max_name + 1) * 26> ids{};
    std::array<uint8_t, (max_name + 1) * 26> count{};
    std::array<uint8_t, 128> compact{};  // lower-case letter -> id + 1

    constexpr name_index() {
        for (std::size_t i = 0; i < header_table.size(); ++i) {
            std::string_view n = header_table[i].name;
            std::size_t b = n.size() * 26 + std::size_t(ascii_lower(n[0]) - 'a');
            ids[b][count[b]++] = uint8_t(i);
            if (char c = header_table[i].compact) {
                compact[std::size_t(uint8_t(c))] = uint8_t(i + 1);
            }
        }
    }
};

constexpr name_index index{};

}  // namespace

header_id classify_header(std::string_view name) {
    if (name.size() == 1) {
        char c = ascii_lower(name[0]);
        if (c >= 0 && index.compact[std::size_t(uint8_t(c))] != 0) {
            return header_id(index.compact[std::size_t(uint8_t(c))] - 1);
        }
        return header_id::other;
    }
    char first = ascii_lower(name[0]);
    if (name.size() > max_name || first < 'a' || first > 'z') {
        return header_id::other;
    }
    std::size_t b = name.size() * 26 + std::size_t(first - 'a');
    for (std::size_t i = 0; i < index.count[b]; ++i) {
        // Table names are letters and '-': OR-ing 0x20 folds case for them and maps no other
        // token character onto a letter or '-'.
        std::string_view candidate = header_table[index.ids[b][i]].name;
        std::size_t k = 1;
        while (k < name.size() && (name[k] | 0x20) == (candidate[k] | 0x20)) {
            ++k;
        }
        if (k == name.size()) {
            return header_id(index.ids[b][i]);
        }
    }
    return header_id::other;
}

std::string_view header_name(header_id id) {
    return id == header_id::other ? std::string_view{} : header_table[std::size_t(id)].name;
}

char header_compact(header_id id) {
    return id == header_id::other ? char(0) : header_table[std::size_t(id)].compact;
}

}  // namespace sbc::sip
