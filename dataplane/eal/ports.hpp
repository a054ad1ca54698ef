#pragma once
// DPDK port set-up for sbc-dataplane: one mbuf pool, every probed port configured with one
// rx/tx queue pair per packet lcore (RSS over IP/UDP when the port has more than one), checksum
// offloads where the port has them.

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/shm/contract.hpp"

namespace sbc::dp {

struct port_state {
    uint16_t id = 0;
    uint16_t queues = 0;  // rx queues = tx queues
    bool tx_ip_cksum = false;
    bool tx_udp_cksum = false;
    bool rx_cksum = false;
    bool rx_ptype_udp4 = false;  // mbufs say Ethernet / IPv4 (no options) / UDP (packet_type)
    bool started = false;
    rte_ether_addr mac{};
    std::string driver;
};

class port_set {
  public:
    ~port_set();
    // Configures and starts every available port for `lcores` packet lcores. Returns an empty
    // string or one line naming the port and what failed.
    std::string open(uint32_t lcores, uint32_t mbufs, uint32_t burst);
    void close();
    const std::vector<port_state>& ports() const { return ports_; }
    rte_mempool* pool() const { return pool_; }
    // The ports' NUMA node (of the first port; the main lcore's for virtual devices).
    int socket() const { return socket_; }
    // Copies the ethdev counters into the shared region.
    void report(shm::port_counters* out) const;

  private:
    std::vector<port_state> ports_;
    rte_mempool* pool_ = nullptr;
    int socket_ = 0;
};

}  // namespace sbc::dp
