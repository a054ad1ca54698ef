#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

// Parsers for the address-like values of the config, shared with the areas that use them.

namespace sbc::config {

struct ip_address {
    int family = 0;                   // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

    bool is_unspecified() const;  // 0.0.0.0 or ::
    bool operator==(const ip_address&) const = default;
};

// An IPv4 dotted quad or an IPv6 literal without brackets or zone.
std::optional<ip_address> parse_ip(std::string_view text);

struct ip_prefix {
    ip_address network;
    uint8_t length = 0;

    bool contains(const ip_address& address) const;
    bool operator==(const ip_prefix&) const = default;
};

// "address/length". Host bits must be zero ("198.51.100.0/24", not "198.51.100.1/24") unless
// `allow_host_bits`.
std::optional<ip_prefix> parse_cidr(std::string_view text, bool allow_host_bits = false);

// "aa:bb:cc:dd:ee:ff" (hex, either case).
std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view text);

// A DNS host name (RFC 1123 labels) or an IP literal.
bool is_host(std::string_view text);

// "https://host[:port][/path]".
bool is_https_url(std::string_view text);

// A DPDK-style lcore list: "0-1", "0,2,4-7". Values below `limit`, each once, ascending ranges.
std::optional<std::vector<uint32_t>> parse_lcore_list(std::string_view text, uint32_t limit);

}  // namespace sbc::config
