#pragma once
// DPDK port set-up for sbc-dataplane: one mbuf pool, every probed port configured with one
// rx/tx queue pair per packet lcore (RSS over IP/UDP when the port has more than one), checksum
// offloads where the port has them.

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/eal/kernel_rings.hpp"
#include "dataplane/port_plan.hpp"
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
    uint16_t rx_frames = 0;    // descriptors per rx queue as set up
    uint32_t ring_frames = 0;  // the kernel or memif ring per queue (the plan's), else rx_frames
    rte_ether_addr mac{};
    std::string driver;
    kernel_ring kernel;  // af_packet / af_xdp: the sockets whose drops the kernel counts
};

class port_set {
  public:
    ~port_set();
    // Configures and starts every available port for `lcores` packet lcores, the ports of
    // `plan` with the ring sizes it chose. Returns an empty string or one line naming the port
    // and what failed.
    std::string open(uint32_t lcores, const port_plan& plan);
    void close();
    const std::vector<port_state>& ports() const { return ports_; }
    rte_mempool* pool() const { return pool_; }
    // The ports' NUMA node (of the first port; the main lcore's for virtual devices).
    int socket() const { return socket_; }
    // Copies the ethdev counters and the kernel rings' drops into the shared region.
    void report(shm::port_counters* out);

  private:
    std::vector<port_state> ports_;
    rte_mempool* pool_ = nullptr;
    int socket_ = 0;
};

}  // namespace sbc::dp
