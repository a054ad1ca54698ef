#pragma once
// Internal notices from workers to the main lcore, carried in the workers' event rings next to
// the events meant for sbcd. Their types are outside the contract's range; the main lcore
// consumes them and never forwards them.

#include <cstring>

#include "dataplane/shm/address.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::dp {

// A worker learned (port, ipv4) -> mac from ARP: key.dpdk_port, addr.addr, mac in `cookie`.
inline constexpr auto notice_neighbour_learned = static_cast<shm::event_type>(0x8001);

inline shm::event make_neighbour_notice(uint16_t port, uint32_t ip, const uint8_t* mac) {
    shm::event ev{};
    ev.type = notice_neighbour_learned;
    ev.key.dpdk_port = port;
    ev.addr.addr = shm::ipv4(ip);
    std::memcpy(&ev.cookie, mac, 6);
    return ev;
}

inline void decode_neighbour_notice(const shm::event& ev, shm::mac_address& mac) {
    std::memcpy(mac.data(), &ev.cookie, 6);
}

}  // namespace sbc::dp
