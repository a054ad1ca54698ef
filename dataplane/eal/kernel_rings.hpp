#pragma once
// The kernel side of the kernel-backed virtual ports (af_packet, af_xdp): the sockets their
// PMDs opened in this process, and the packets the kernel dropped because a ring was full.
// DPDK 22.11's net_af_packet does not report its ring drops at all, and net_af_xdp reports only
// XDP_STATISTICS.rx_dropped (not rx_ring_full): loss before the SBC read a packet would be
// invisible (issue 11). The counters are read from the sockets themselves.

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/port_plan.hpp"

namespace sbc::dp {

class kernel_ring {
  public:
    kernel_ring() = default;
    kernel_ring(port_kind kind, std::vector<int> fds) : kind_(kind), fds_(std::move(fds)) {}

    // Packets the kernel dropped on these sockets' receive rings since start. PACKET_STATISTICS
    // resets on every read, so the sum is kept here; XDP_STATISTICS is cumulative.
    uint64_t drops();
    size_t sockets() const { return fds_.size(); }

  private:
    port_kind kind_ = port_kind::af_packet;
    std::vector<int> fds_;
    uint64_t packet_drops_ = 0;
};

// AF_PACKET sockets of this process bound to `iface` (net_af_packet opens them at probe).
std::vector<int> packet_sockets_on(const std::string& iface);
// AF_XDP sockets of this process (net_af_xdp opens one per rx queue at queue set-up: the
// caller takes the difference around rte_eth_rx_queue_setup).
std::vector<int> xdp_sockets();

// The interface's rx queues in use (ETHTOOL_GCHANNELS); 0 when the driver does not say.
uint32_t interface_rx_queues(const std::string& iface);

}  // namespace sbc::dp
