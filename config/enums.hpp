#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

#include "common/srtp_suite.hpp"

// The closed vocabularies of the appliance config. Each enum has one table of TOML spellings,
// indexed by the enumerator's value (or naming `values[i]` where the enum's values are not
// 0..n-1), so the loader, `to_toml` and `sbcctl` cannot drift.

namespace sbc::config {

enum class sip_transport : uint8_t { udp, tcp, tls };
enum class comm_system : uint8_t { simplex, active_standby, collocated, clustered };
enum class media_protocol : uint8_t { rtp, srtp, best_effort };
// The one suite table (common/srtp_suite.hpp); a profile may list the suites the dataplane runs.
using srtp_suite = ::sbc::srtp_suite;
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
SBC_CONFIG_ENUM_NAMES(rtcp_mode_kind, "bypass", "generate");
SBC_CONFIG_ENUM_NAMES(ua_match, "prefix", "regex");
SBC_CONFIG_ENUM_NAMES(certificate_service, "sip-tls");
SBC_CONFIG_ENUM_NAMES(privacy_mode, "none", "id", "header", "user");
SBC_CONFIG_ENUM_NAMES(remote_endpoint_type, "ssp");
SBC_CONFIG_ENUM_NAMES(srtp_engine_kind, "ipsec-mb", "libsrtp");
SBC_CONFIG_ENUM_NAMES(log_level, "trace", "debug", "info", "warn", "error", "critical", "off");

#undef SBC_CONFIG_ENUM_NAMES

// RFC 4568 §6.2 and RFC 7714 §14.2 crypto-suite names as they appear in a=crypto: the suites the
// dataplane runs, from the one table.
template <>
struct enum_names<srtp_suite> {
#define SBC_X(id, value, name, ...) name,
    static constexpr std::string_view names[] = {SBC_SRTP_SUITES(SBC_X)};
#undef SBC_X
#define SBC_X(id, ...) srtp_suite::id,
    static constexpr srtp_suite values[] = {SBC_SRTP_SUITES(SBC_X)};
#undef SBC_X
};

template <class E>
concept named_enum = requires {
    enum_names<E>::names;
};

// The enumerator names[i] spells.
template <named_enum E>
constexpr E enum_value(std::size_t i) {
    if constexpr (requires { enum_names<E>::values; }) {
        return enum_names<E>::values[i];
    } else {
        return static_cast<E>(i);
    }
}

// The TOML spelling of `e`.
template <named_enum E>
constexpr std::string_view to_string(E e) {
    const auto& names = enum_names<E>::names;
    for (std::size_t i = 0; i < std::size(names); ++i) {
        if (enum_value<E>(i) == e) {
            return names[i];
        }
    }
    return {};
}

// The enumerator spelled `text` in TOML (case-sensitive), if any.
template <named_enum E>
constexpr std::optional<E> enum_from_string(std::string_view text) {
    const auto& names = enum_names<E>::names;
    for (std::size_t i = 0; i < std::size(names); ++i) {
        if (names[i] == text) {
            return enum_value<E>(i);
        }
    }
    return std::nullopt;
}

}  // namespace sbc::config
