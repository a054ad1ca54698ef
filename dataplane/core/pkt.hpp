#pragma once
// A packet as the packet path sees it: a plain buffer. The DPDK adapter fills these from
// mbufs (dataplane/eal/worker.cpp); tests and the fuzz target from arrays.

#include <cstdint>

namespace sbc::dp {

enum class verdict : uint8_t {
    drop,      // free it; `drop` says why (shm::drop_reason), already counted
    transmit,  // send on `port` (data/len may have changed)
    consumed,  // handled, nothing to send and nothing to count (ARP reply learned)
    handoff,   // another lcore owns this leg: pass the packet, unchanged, to lcore `drop`
};

// pkt_desc::offload bits
enum offload_bit : uint16_t {
    rx_ip_cksum_bad = 1u << 0,   // in: the port verified the IPv4 header checksum and it is bad
    rx_l4_cksum_bad = 1u << 1,   // in: the port verified the UDP checksum and it is bad
    rx_cksum_checked = 1u << 2,  // in: the port verified both (and set the bits above if bad)
    // in: the port classified the frame as Ethernet II / IPv4 without options / UDP, not a
    // fragment (rte_mbuf::packet_type, on ports that report those packet types)
    rx_ptype_ipv4_udp = 1u << 3,
    tx_ip_cksum = 1u << 8,   // out: the port must fill the IPv4 header checksum
    tx_udp_cksum = 1u << 9,  // out: the port must fill the UDP checksum (pseudo sum filled)
};

struct pkt_desc {
    uint8_t* data;     // Ethernet header; the path may move it forward (IPv4 options removed)
    uint16_t len;      // frame bytes at data
    uint16_t room;     // writable bytes after data + len (the SRTP tag goes there)
    uint16_t port;     // in: rx port; out: tx port
    uint16_t offload;  // offload_bit
    verdict v;
    uint8_t drop;  // shm::drop_reason when v == drop
    uint16_t pad;
};
static_assert(sizeof(pkt_desc) == 24);

}  // namespace sbc::dp
