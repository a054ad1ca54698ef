#pragma once
// Where the dataplane's media lives on its ports: the media addresses it owns (answers ARP for,
// installs flows on), the gateway per port for peers outside the media prefix, and static
// neighbours. Plain values: the process fills them from its settings, tests and benches
// directly.

#include <cstdint>

#include "dataplane/shm/address.hpp"

namespace sbc::dp {

// A media address the dataplane owns on a DPDK port: it answers ARP for it and flows are
// installed on it. `prefix_len` says which peers are on-link (others go via the gateway).
struct media_address {
    uint16_t dpdk_port = 0;
    shm::ip_address addr{};
    uint8_t prefix_len = 32;
    uint16_t port_min = 0;  // informational: sbcd allocates from this range
    uint16_t port_max = 0;
};

struct gateway {
    uint16_t dpdk_port = 0;
    shm::ip_address addr{};
};

struct static_neighbour {
    uint16_t dpdk_port = 0;
    shm::ip_address addr{};
    shm::mac_address mac{};
};

}  // namespace sbc::dp
