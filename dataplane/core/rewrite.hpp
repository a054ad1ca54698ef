#pragma once
// Writing the Ethernet/IPv4/UDP headers of a packet that leaves through the other leg: source
// = that leg's media address and port, destination = its peer, next hop MAC from the
// neighbour table. Checksums in software unless the port fills them (then the UDP checksum
// field carries the pseudo-header sum, as DPDK's offload wants).
//
// The IPv4 header is ours, so its checksum is summed from the values written, not re-read. The
// UDP checksum covers the payload: when the payload left the path unchanged (no SRTP on either
// side) and the sender computed one, it is updated incrementally from the received one (RFC
// 1624 eqn. 3) instead of summing the payload again.

#include <cstdint>
#include <cstring>

#include "dataplane/core/headers.hpp"
#include "dataplane/core/pkt.hpp"

namespace sbc::dp {

namespace cksum {

// One's-complement sum arithmetic on host-order 16-bit words, kept in 32 bits until folded.
inline uint32_t addr_words(uint32_t a) {
    return (a >> 16) + (a & 0xffff);
}
inline uint16_t fold16(uint32_t s) {
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// What the received UDP checksum covered besides the payload (addresses and ports, host
// order), for an incremental update; `adjust` collects payload words the path changed
// (~old + new, e.g. a payload-type rewrite).
struct udp_origin {
    uint16_t cksum;  // as received, host order; 0 = the sender computed none
    uint32_t words;  // addr_words(src) + addr_words(dst) + sport + dport
    uint32_t adjust;
};

}  // namespace cksum

// `start` has room for 42 header bytes followed by `payload_len` bytes of UDP payload.
// `origin`: non-null when the payload is the one received (then its checksum is updated, not
// recomputed, if the sender computed one). Returns the pkt_desc offload bits the port must act
// on.
inline uint16_t write_headers(uint8_t* start, const uint8_t* dst_mac, const uint8_t* src_mac,
                              uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                              uint16_t dst_port, uint8_t tos, uint16_t payload_len, bool ip_offload,
                              bool udp_offload, const cksum::udp_origin* origin = nullptr) {
    using namespace wire;
    using cksum::addr_words;
    using cksum::fold16;
    std::memcpy(start + eth_dst, dst_mac, 6);
    std::memcpy(start + eth_src, src_mac, 6);
    store16(start + eth_type, ethertype_ipv4);
    uint8_t* ip = start + eth_len;
    const uint16_t ulen = static_cast<uint16_t>(udp_len + payload_len);
    const uint16_t total = static_cast<uint16_t>(ipv4_len + ulen);
    ip[ip_vhl] = 0x45;
    ip[ip_tos] = tos;  // keep the sender's DSCP (EF for voice)
    store16(ip + ip_total, total);
    store16(ip + ip_id, 0);         // RFC 6864: atomic datagram (DF set), ID unused
    store16(ip + ip_frag, 0x4000);  // DF
    ip[ip_ttl] = 64;
    ip[ip_proto] = proto_udp;
    store32(ip + ip_src, src_ip);
    store32(ip + ip_dst, dst_ip);
    uint8_t* udp = ip + ipv4_len;
    store16(udp + udp_sport, src_port);
    store16(udp + udp_dport, dst_port);
    store16(udp + udp_length, ulen);
    const uint32_t addrs = addr_words(src_ip) + addr_words(dst_ip);
    uint16_t off = 0;
    if (ip_offload) {
        store16(ip + ip_cksum, 0);
        off |= tx_ip_cksum;
    } else {
        // Words: version/IHL/TOS, total length, ID (0), DF, TTL/protocol, addresses.
        store16(ip + ip_cksum, static_cast<uint16_t>(~fold16((0x4500u | tos) + total + 0x4000u +
                                                             (64u << 8 | proto_udp) + addrs)));
    }
    const uint32_t pseudo = addrs + proto_udp + ulen;
    if (udp_offload) {
        store16(udp + udp_cksum, fold16(pseudo));
        return static_cast<uint16_t>(off | tx_udp_cksum);
    }
    uint16_t c;
    if (origin != nullptr && origin->cksum != 0) {
        // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over the address and port words that
        // changed (the length did not) and whatever payload words the path rewrote.
        const uint32_t now = addrs + src_port + dst_port;
        c = static_cast<uint16_t>(~fold16((~origin->cksum & 0xffffu) +
                                          (~fold16(origin->words) & 0xffffu) + now +
                                          origin->adjust));
    } else {
        // pseudo header + UDP header (checksum 0) in host order, byte-swapped into the
        // native-order accumulator of the payload sum (RFC 1071 §2(B): byte-order independent).
        const uint16_t head = fold16(pseudo + src_port + dst_port + ulen);
        c = static_cast<uint16_t>(
            ~fold(sum_bytes(udp + udp_len, payload_len, __builtin_bswap16(head))));
        c = __builtin_bswap16(c);
    }
    store16(udp + udp_cksum, c == 0 ? 0xffff : c);  // RFC 768: 0 means "no checksum"
    return off;
}

}  // namespace sbc::dp
