#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

// The closed vocabularies of the appliance config. Each enum has one table of TOML spellings,
// indexed by the enumerator's value, so the loader, `to_toml` and `sbcctl` cannot drift.

namespace sbc::config {

enum class sip_transport : uint8_t { udp, tcp, tls };
enum class comm_system : uint8_t { simplex, active_standby, collocated, clustered };
enum class media_protocol : uint8_t { rtp, srtp, best_effort };
enum class srtp_suite : uint8_t {
    aes_cm_128_hmac_sha1_80,
    aes_cm_128_hmac_sha1_32,
    aes_256_cm_hmac_sha1_80,
    aes_256_cm_hmac_sha1_32,
    aead_aes_128_gcm,
    aead_aes_256_gcm,
};
enum class rtcp_mode_kind : uint8_t { bypass, generate };
enum class ua_match : uint8_t { prefix, regex };
enum class certificate_service : uint8_t { sip_tls };
enum class privacy_mode : uint8_t { none, id, header, user };
enum class remote_endpoint_type : uint8_t { ssp };
enum class srtp_engine_kind : uint8_t { ipsec_mb, libsrtp };
enum class log_level : uint8_t { trace, debug, info, warn, error, critical, off };

template <class E>
struct enum_names;

#define SBC_CONFIG_ENUM_NAMES(E, ...)                              \
    template <>                                                    \
    struct enum_names<E> {                                         \
        static constexpr std::string_view names[] = {__VA_ARGS__}; \
    }

SBC_CONFIG_ENUM_NAMES(sip_transport, "udp", "tcp", "tls");
SBC_CONFIG_ENUM_NAMES(comm_system, "simplex", "active-standby", "collocated", "clustered");
SBC_CONFIG_ENUM_NAMES(media_protocol, "rtp", "srtp", "best-effort");
// RFC 4568 §6.2 and RFC 7714 §14.2 crypto-suite names, spelled as they appear in a=crypto.
SBC_CONFIG_ENUM_NAMES(srtp_suite, "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                      "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32", "AEAD_AES_128_GCM",
                      "AEAD_AES_256_GCM");
SBC_CONFIG_ENUM_NAMES(rtcp_mode_kind, "bypass", "generate");
SBC_CONFIG_ENUM_NAMES(ua_match, "prefix", "regex");
SBC_CONFIG_ENUM_NAMES(certificate_service, "sip-tls");
SBC_CONFIG_ENUM_NAMES(privacy_mode, "none", "id", "header", "user");
SBC_CONFIG_ENUM_NAMES(remote_endpoint_type, "ssp");
SBC_CONFIG_ENUM_NAMES(srtp_engine_kind, "ipsec-mb", "libsrtp");
SBC_CONFIG_ENUM_NAMES(log_level, "trace", "debug", "info", "warn", "error", "critical", "off");

#undef SBC_CONFIG_ENUM_NAMES

template <class E>
concept named_enum = requires {
    enum_names<E>::names;
};

// The TOML spelling of `e`.
template <named_enum E>
constexpr std::string_view to_string(E e) {
    return enum_names<E>::names[static_cast<std::size_t>(e)];
}

// The enumerator spelled `text` in TOML (case-sensitive), if any.
template <named_enum E>
constexpr std::optional<E> enum_from_string(std::string_view text) {
    const auto& names = enum_names<E>::names;
    for (std::size_t i = 0; i < std::size(names); ++i) {
        if (names[i] == text) {
            return static_cast<E>(i);
        }
    }
    return std::nullopt;
}

}  // namespace sbc::config
