#pragma once
// The media ports of a virtual appliance and the rings they get: `[dataplane] ports` names a
// kernel interface (af_xdp, af_packet) or a memif socket per DPDK port, and the receive rings
// are sized so that the worker can be away for `rx_stall_ms` at the configured packet rate
// without the kernel dropping a packet (issue 11: a shared-host VM steals the vCPU for ~50 ms
// about once a second; DPDK's af_packet default of 512 frames holds 51 ms at 10k pps).
// Plain values, no DPDK: the EAL side (eal/ports.cpp) applies the plan.

#include <cstdint>
#include <string>
#include <vector>

namespace sbc::dp {

struct settings;

enum class port_kind : uint8_t {
    af_xdp,     // DPDK net_af_xdp on a kernel interface (XDP native on veth, copy mode)
    af_packet,  // DPDK net_af_packet (TPACKET_V2 ring) on a kernel interface
    memif,      // DPDK net_memif, the dataplane as the memif server: no kernel on the path
};

struct media_port {
    port_kind kind = port_kind::af_xdp;
    std::string target;  // interface name (af_xdp, af_packet) or socket path (memif)

    bool operator==(const media_port&) const = default;
};

const char* port_kind_name(port_kind k);

// "af_xdp:IFACE", "af_packet:IFACE", "memif:/abs/path.sock". False with `error` set.
bool parse_media_port(const std::string& text, media_port& out, std::string& error);

// The af_xdp PMD of DPDK 22.11 posts this many fill-ring buffers per queue whatever the rx ring
// size (xsk_configure's reserve_size = XSK_RING_CONS__DEFAULT_NUM_DESCS): no more packets than
// this can wait in the kernel for a stalled worker.
inline constexpr uint32_t af_xdp_fill_buffers = 2048;
inline constexpr uint32_t min_ring_frames = 512;
inline constexpr uint32_t max_ring_frames = 32768;

struct planned_port {
    uint16_t dpdk_port = 0;
    media_port port;
    std::string vdev;           // the --vdev argument that creates it
    uint32_t rx_frames = 0;     // receive ring per queue
    uint32_t tx_frames = 0;     // transmit ring per queue
    uint32_t stall_frames = 0;  // packets that can wait for the worker before the kernel drops
};

struct port_plan {
    uint32_t port_pps = 0;   // packets/s one port is sized for
    std::string pps_source;  // why: "dataplane.port_pps" or the media port range
    uint32_t mbufs = 0;      // the mbuf pool the rings need (>= dataplane.mbuf_pool_size)
    std::vector<planned_port> ports;

    // One line per port for the start-up log: kind, target, rings, and how long a stall of the
    // worker they absorb at the configured rate (the headroom).
    std::vector<std::string> describe() const;
    // The ring frames of dpdk port `id` (0 when the port is not from the plan: a NIC).
    uint32_t rx_frames(uint16_t id) const;
    uint32_t tx_frames(uint16_t id) const;
};

// Packets/s one port receives at full load: dataplane.port_pps, else from the media port
// ranges (a leg holds an RTP/RTCP port pair and receives 50 packets/s of G.711 at 20 ms).
uint32_t configured_port_pps(const settings& s, std::string* source = nullptr);

port_plan plan_ports(const settings& s);

}  // namespace sbc::dp
