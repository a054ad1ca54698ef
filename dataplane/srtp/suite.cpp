#include "dataplane/srtp/suite.hpp"

#include <array>

namespace sbc::srtp {
namespace {

constexpr std::array<suite_params, 6> suites{{
    {srtp_suite::aes_cm_128_hmac_sha1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 20, 10, 10, false},
    {srtp_suite::aes_cm_128_hmac_sha1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 20, 4, 10, false},
    {srtp_suite::aes_256_cm_hmac_sha1_80, "AES_256_CM_HMAC_SHA1_80", 32, 14, 20, 10, 10, false},
    {srtp_suite::aes_256_cm_hmac_sha1_32, "AES_256_CM_HMAC_SHA1_32", 32, 14, 20, 4, 10, false},
    {srtp_suite::aead_aes_128_gcm, "AEAD_AES_128_GCM", 16, 12, 0, 16, 16, true},
    {srtp_suite::aead_aes_256_gcm, "AEAD_AES_256_GCM", 32, 12, 0, 16, 16, true},
}};

}  // namespace

const suite_params* find_suite(srtp_suite id) noexcept {
    for (const auto& s : suites) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

const suite_params* find_suite(std::string_view sdes_name) noexcept {
    for (const auto& s : suites) {
        if (sdes_name == s.name) {
            return &s;
        }
    }
    return nullptr;
}

}  // namespace sbc::srtp
