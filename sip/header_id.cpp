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

// Header ids grouped by name length, so classification compares only same-length names.
struct length_index {
    std::array<std::array<uint8_t, 16>, max_name + 1> ids{};
    std::array<uint8_t, max_name + 1> count{};
    std::array<uint8_t, 128> compact{};  // lower-case letter -> id + 1

    constexpr length_index() {
        for (std::size_t i = 0; i < header_table.size(); ++i) {
            std::size_t len = header_table[i].name.size();
            ids[len][count[len]++] = uint8_t(i);
            if (char c = header_table[i].compact) {
                compact[std::size_t(c)] = uint8_t(i + 1);
            }
        }
    }
};

constexpr length_index index{};

}  // namespace

header_id classify_header(std::string_view name) {
    if (name.size() == 1) {
        char c = ascii_lower(name[0]);
        if (c >= 0 && index.compact[std::size_t(uint8_t(c))] != 0) {
            return header_id(index.compact[std::size_t(uint8_t(c))] - 1);
        }
        return header_id::other;
    }
    if (name.size() > max_name) {
        return header_id::other;
    }
    const auto& ids = index.ids[name.size()];
    char first = ascii_lower(name[0]);
    for (std::size_t i = 0; i < index.count[name.size()]; ++i) {
        std::string_view candidate = header_table[ids[i]].name;
        if (ascii_lower(candidate[0]) == first && iequals(candidate, name)) {
            return header_id(ids[i]);
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
