#pragma once
// SRTP crypto suites as the framing and the engines see them: the rows of the one suite table
// (common/srtp_suite.hpp) that the dataplane runs. No crypto library here, so the control plane
// can validate keys with the same rules.

#include <cstdint>
#include <string_view>

#include "common/srtp_suite.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::srtp {

using shm::srtp_suite;
using suite_params = srtp_suite_info;

// nullptr for srtp_suite::none, suites the dataplane does not run and unknown values.
inline const suite_params* find_suite(srtp_suite id) noexcept {
    const suite_params* s = find_srtp_suite(id);
    return s != nullptr && s->runnable ? s : nullptr;
}
// By SDES name, case-sensitive as on the wire; nullptr if unknown or not run here.
inline const suite_params* find_suite(std::string_view sdes_name) noexcept {
    const suite_params* s = find_srtp_suite(sdes_name);
    return s != nullptr && s->runnable ? s : nullptr;
}

// Longest MKI carried on the wire: shm::srtp_key holds it in a uint32_t, sent big-endian.
inline constexpr uint8_t max_mki_len = 4;
// Largest per-packet overhead protect adds: SRTCP E+index (4) + MKI (4) + GCM tag (16).
inline constexpr uint16_t max_overhead = 24;

}  // namespace sbc::srtp
