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

}  // namespace sbc::sip
