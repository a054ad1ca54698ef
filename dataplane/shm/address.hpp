#pragma once
// Building, parsing and printing the contract's addresses (no DPDK, no sockets).

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "dataplane/shm/contract.hpp"

namespace sbc::shm {

// a.b.c.d from a host-order value (0x0a000001 = 10.0.0.1).
inline ip_address ipv4(uint32_t host_order) {
    ip_address a{};
    a.family = addr_family::ipv4;
    a.bytes[0] = static_cast<uint8_t>(host_order >> 24);
    a.bytes[1] = static_cast<uint8_t>(host_order >> 16);
    a.bytes[2] = static_cast<uint8_t>(host_order >> 8);
    a.bytes[3] = static_cast<uint8_t>(host_order);
    return a;
}

// The host-order IPv4 value of `a` (0 unless `a` is IPv4).
inline uint32_t ipv4_value(const ip_address& a) {
    if (a.family != addr_family::ipv4) {
        return 0;
    }
    return static_cast<uint32_t>(a.bytes[0]) << 24 | static_cast<uint32_t>(a.bytes[1]) << 16 |
           static_cast<uint32_t>(a.bytes[2]) << 8 | a.bytes[3];
}

inline bool operator==(const ip_address& a, const ip_address& b) {
    return a.family == b.family && std::memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
}
inline bool operator==(const endpoint& a, const endpoint& b) {
    return a.addr == b.addr && a.port == b.port;
}
inline bool operator==(const flow_key& a, const flow_key& b) {
    return a.dpdk_port == b.dpdk_port && a.local_port == b.local_port &&
           a.local_addr == b.local_addr;
}

inline flow_key make_flow_key(uint16_t dpdk_port, const ip_address& addr, uint16_t port) {
    flow_key k{};
    k.dpdk_port = dpdk_port;
    k.local_port = port;
    k.local_addr = addr;
    return k;
}

inline endpoint make_endpoint(const ip_address& addr, uint16_t port) {
    endpoint e{};
    e.addr = addr;
    e.port = port;
    return e;
}

// Dotted IPv4 or RFC 5952 IPv6 text. False on anything else; `out` is then untouched.
bool parse_ip(std::string_view text, ip_address& out);
std::string to_string(const ip_address& a);
std::string to_string(const endpoint& e);  // "1.2.3.4:5" or "[::1]:5"
std::string to_string(const flow_key& k);  // "port0/1.2.3.4:5"

using mac_address = std::array<uint8_t, 6>;
// aa:bb:cc:dd:ee:ff (case-insensitive). False on anything else.
bool parse_mac(std::string_view text, mac_address& out);
std::string to_string(const mac_address& m);

}  // namespace sbc::shm
