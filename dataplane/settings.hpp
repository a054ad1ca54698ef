#pragma once
// What sbc-dataplane is started with. Filled from the appliance config (`--config`) or from
// command-line flags (dataplane/cli.hpp); checked by validate() before anything starts.

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/core/media_address.hpp"
#include "dataplane/port_plan.hpp"

namespace sbc::dp {

enum class srtp_engine_kind : uint8_t { ipsec_mb, libsrtp };

struct settings {
    std::string instance = "default";
    std::vector<uint32_t> lcores;  // main lcore first, then the workers; empty = 0..workers
    // Packet lcores. 0 = the main lcore polls the ports itself between control steps.
    uint32_t workers = 1;
    uint32_t burst = 32;
    uint32_t cmd_ring_size = 4096;
    uint32_t evt_ring_size = 8192;
    uint32_t mbuf_pool_size = 8191;
    uint32_t max_flows = 65536;  // legs (a call has two)
    srtp_engine_kind srtp_engine = srtp_engine_kind::ipsec_mb;
    // EAL arguments; the virtual appliance's defaults. --file-prefix sbc-<instance> and -l are
    // added unless given here.
    std::vector<std::string> eal_args = {"--no-huge", "-m", "512", "--no-pci"};
    // Media ports made by the dataplane itself, dpdk_port = index (before any --vdev of
    // eal_args): kernel interfaces through af_xdp or af_packet, or memif sockets. Their rings
    // are sized from port_pps and rx_stall_ms (dataplane/port_plan.hpp).
    std::vector<media_port> ports;
    // Packets/s one port must receive; 0 = from the media port ranges (50 per leg).
    uint32_t port_pps = 0;
    // The longest absence of the worker (a descheduled vCPU) the receive rings absorb.
    uint32_t rx_stall_ms = 100;
    std::vector<media_address> media;
    std::vector<gateway> gateways;
    std::vector<static_neighbour> neighbours;
    // Ports are started but not polled until sbcd sends rx_start (tests that feed a pcap need
    // their flows installed before the first packet is read).
    bool hold_rx = false;
    // A worker sleeps this long per idle loop once every port has been empty for longer than
    // its ring takes to fill at port_pps (0 = pure poll). See core/idle_policy.hpp.
    uint32_t idle_sleep_us = 100;
    // The quiet time before that sleep in µs; 0 = after 1024 empty polls; -1 = chosen: 0 with
    // kernel-backed ports (the kernel's softirq needs these CPUs), else the time the smallest
    // rx ring takes to fill at port_pps.
    int64_t idle_quiet_us = -1;
    // RTP-only legs (latch_policy::sdp_address): silence of the latched source after which
    // another source with the same SSRC may take the latch over (dataplane/README.md).
    uint32_t relatch_idle_ms = 2000;
    // At most one auth_fail_burst event per flow per this interval.
    uint32_t auth_fail_event_ms = 1000;
};

// Empty when `s` can be started; otherwise one line naming the setting that is wrong.
std::string validate(const settings& s);

const char* engine_name(srtp_engine_kind k);

// The argv handed to rte_eal_init: program name, the --vdev of each of `ports`, eal_args, then
// --file-prefix and -l unless eal_args has them.
std::vector<std::string> eal_argv(const settings& s, const std::string& program);

// "sbc-<instance>": the EAL file prefix, so runs do not share /var/run/dpdk/<prefix>.
std::string file_prefix(const settings& s);

}  // namespace sbc::dp
