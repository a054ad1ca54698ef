#pragma once
// Writing the Ethernet/IPv4/UDP headers of a packet that leaves through the other leg: source
// = that leg's media address and port, destination = its peer, next hop MAC from the
// neighbour table. Checksums in software unless the port fills them (then the UDP checksum
// field carries the pseudo-header sum, as DPDK's offload wants).

#include <cstdint>
#include <cstring>

#include "dataplane/core/headers.hpp"
#include "dataplane/core/pkt.hpp"

namespace sbc::dp {

// `start` has room for 42 header bytes followed by `payload_len` bytes of UDP payload.
// Returns the pkt_desc offload bits the port must act on.
inline uint16_t write_headers(uint8_t* start, const uint8_t* dst_mac, const uint8_t* src_mac,
                              uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                              uint16_t dst_port, uint8_t tos, uint16_t payload_len, bool ip_offload,
                              bool udp_offload) {
    using namespace wire;
    std::memcpy(start + eth_dst, dst_mac, 6);
    std::memcpy(start + eth_src, src_mac, 6);
    store16(start + eth_type, ethertype_ipv4);
    uint8_t* ip = start + eth_len;
    const uint16_t ulen = static_cast<uint16_t>(udp_len + payload_len);
    ip[ip_vhl] = 0x45;
    ip[ip_tos] = tos;  // keep the sender's DSCP (EF for voice)
    store16(ip + ip_total, static_cast<uint16_t>(ipv4_len + ulen));
    store16(ip + ip_id, 0);         // RFC 6864: atomic datagram (DF set), ID unused
    store16(ip + ip_frag, 0x4000);  // DF
    ip[ip_ttl] = 64;
    ip[ip_proto] = proto_udp;
    store16(ip + ip_cksum, 0);
    store32(ip + ip_src, src_ip);
    store32(ip + ip_dst, dst_ip);
    uint8_t* udp = ip + ipv4_len;
    store16(udp + udp_sport, src_port);
    store16(udp + udp_dport, dst_port);
    store16(udp + udp_length, ulen);
    uint16_t off = 0;
    if (ip_offload) {
        off |= tx_ip_cksum;
    } else {
        const uint16_t c = ipv4_cksum(ip, ipv4_len);
        std::memcpy(ip + ip_cksum, &c, 2);
    }
    if (udp_offload) {
        udp_fill_pseudo(ip, udp, ulen);
        off |= tx_udp_cksum;
    } else {
        udp_fill_cksum(ip, udp, ulen);
    }
    return off;
}

}  // namespace sbc::dp
