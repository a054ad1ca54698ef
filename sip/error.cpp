#include "sip/error.hpp"

#include <array>

namespace sbc::sip {
namespace {

struct error_entry {
    std::string_view name;
    uint16_t status;
    std::string_view reason;
};

constexpr std::array<error_entry, error_code_count> error_table{{
#define SBC_SIP_ERROR_ENTRY(n, status, reason) {#n, status, reason},
    SBC_SIP_ERRORS(SBC_SIP_ERROR_ENTRY)
#undef SBC_SIP_ERROR_ENTRY
}};

}  // namespace

std::string_view error_name(error_code code) {
    return error_table[std::size_t(code)].name;
}
std::string_view error_reason(error_code code) {
    return error_table[std::size_t(code)].reason;
}
uint16_t error_status(error_code code) {
    return error_table[std::size_t(code)].status;
}

std::string error_reason(error_code code, std::string_view header) {
    // Reasons about one header end "in header)": the header's name takes that word's place.
    constexpr std::string_view placeholder = "header)";
    constexpr std::size_t max_name = 64;
    const std::string_view reason = error_reason(code);
    if (header.empty() || !reason.ends_with(placeholder)) {
        return std::string(reason);
    }
    std::string out(reason.substr(0, reason.size() - placeholder.size()));
    out.append(header.substr(0, max_name)).append(")");
    return out;
}

}  // namespace sbc::sip
