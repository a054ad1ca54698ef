#pragma once
// Wire formats the packet path touches (Ethernet II, ARP, IPv4, UDP, RTP, RTCP) as byte
// offsets with big-endian loads/stores, and the Internet checksum (RFC 1071). No DPDK, no
// structs overlaid on packet memory (alignment is not guaranteed in a plain buffer).

#include <cstdint>
#include <cstring>

namespace sbc::dp::wire {

// Big-endian loads and stores as one unaligned access and a byte swap (gcc 12 turns the
// byte-by-byte form of the stores into shift/or chains).
inline uint16_t load16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return __builtin_bswap16(v);
}
inline uint32_t load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
inline void store16(uint8_t* p, uint16_t v) {
    v = __builtin_bswap16(v);
    std::memcpy(p, &v, 2);
}
inline void store32(uint8_t* p, uint32_t v) {
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}

// Ethernet II
inline constexpr uint16_t eth_len = 14;
inline constexpr uint16_t ethertype_ipv4 = 0x0800;
inline constexpr uint16_t ethertype_arp = 0x0806;
inline constexpr uint16_t ethertype_ipv6 = 0x86dd;
inline constexpr uint16_t eth_dst = 0, eth_src = 6, eth_type = 12;

// ARP for IPv4 over Ethernet (RFC 826)
inline constexpr uint16_t arp_len = 28;
inline constexpr uint16_t arp_htype = 0, arp_ptype = 2, arp_hlen = 4, arp_plen = 5, arp_oper = 6,
                          arp_sha = 8, arp_spa = 14, arp_tha = 18, arp_tpa = 24;
inline constexpr uint16_t arp_request = 1, arp_reply = 2;

// IPv4 (RFC 791)
inline constexpr uint16_t ipv4_len = 20;  // without options
inline constexpr uint16_t ip_vhl = 0, ip_tos = 1, ip_total = 2, ip_id = 4, ip_frag = 6, ip_ttl = 8,
                          ip_proto = 9, ip_cksum = 10, ip_src = 12, ip_dst = 16;
inline constexpr uint8_t proto_udp = 17;

// UDP (RFC 768)
inline constexpr uint16_t udp_len = 8;
inline constexpr uint16_t udp_sport = 0, udp_dport = 2, udp_length = 4, udp_cksum = 6;

// RTP (RFC 3550 §5.1) and RTCP (§6.4)
inline constexpr uint16_t rtp_min = 12;
inline constexpr uint16_t rtcp_min = 8;
inline constexpr uint8_t rtcp_sr = 200, rtcp_rr = 201, rtcp_sdes = 202, rtcp_bye = 203,
                         rtcp_app = 204;

// One's-complement sum of `len` bytes, not folded (RFC 1071): native-order 64-bit words added
// with carry, 32 bytes per ADC chain with its carry folded back at once (RFC 1071 §4.1's
// end-around carry; Linux's csum_partial does the same on x86-64: compilers do not emit ADC
// chains from C). The byte order is fixed once when the folded result is stored (RFC 1071
// §2(B): the sum is byte-order independent; every word starts at an even offset).
inline uint64_t sum_bytes(const uint8_t* p, uint32_t len, uint64_t acc = 0) {
    uint64_t a = acc;
    while (len >= 32) {
        asm("addq 0(%[p]), %[a]\n\t"
            "adcq 8(%[p]), %[a]\n\t"
            "adcq 16(%[p]), %[a]\n\t"
            "adcq 24(%[p]), %[a]\n\t"
            "adcq $0, %[a]"
            : [a] "+r"(a)
            : [p] "r"(p), "m"(*reinterpret_cast<const uint8_t(*)[32]>(p))
            : "cc");
        p += 32;
        len -= 32;
    }
    uint64_t t = 0;  // the rest, at most 31 bytes: no carry out of 64 bits in three words
    uint64_t carry = 0;
    while (len >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        a += w;
        carry += a < w;
        p += 8;
        len -= 8;
    }
    if (len & 4) {
        uint32_t w;
        std::memcpy(&w, p, 4);
        t += w;
        p += 4;
    }
    if (len & 2) {
        uint16_t w;
        std::memcpy(&w, p, 2);
        t += w;
        p += 2;
    }
    if (len & 1) {
        // The odd byte is the high byte of a zero-padded word in network order: the low byte
        // of a native (little-endian) word.
        t += *p;
    }
    a += t;
    carry += a < t;
    a += carry;
    return a + (a < carry);
}

// Folds a sum_bytes() accumulator into the 16-bit checksum in network byte order (as stored
// by memcpy into the header), not complemented.
inline uint16_t fold(uint64_t acc) {
    acc = (acc & 0xffffffffULL) + (acc >> 32);
    acc = (acc & 0xffffffffULL) + (acc >> 32);  // at most 33 bits after the first step
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(acc);
}

// IPv4 header checksum over `hlen` bytes (the checksum field must be zero or is verified).
inline uint16_t ipv4_cksum(const uint8_t* ip, uint16_t hlen) {
    return static_cast<uint16_t>(~fold(sum_bytes(ip, hlen)));
}
inline bool ipv4_cksum_ok(const uint8_t* ip, uint16_t hlen) {
    if (hlen == ipv4_len) {
        // The common header without options: five 32-bit words in a 64-bit sum (no carry out
        // of 64 bits is possible), folded.
        uint32_t w[5];
        std::memcpy(w, ip, sizeof w);
        const uint64_t acc = uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];
        return fold(acc) == 0xffff;
    }
    return fold(sum_bytes(ip, hlen)) == 0xffff;
}

// The pseudo-header sum (RFC 768) for UDP over IPv4: src, dst, proto, udp length.
inline uint64_t udp_pseudo_sum(const uint8_t* ip, uint16_t udp_length_host) {
    uint64_t acc = sum_bytes(ip + ip_src, 8);
    uint8_t tail[4] = {0, proto_udp, static_cast<uint8_t>(udp_length_host >> 8),
                       static_cast<uint8_t>(udp_length_host)};
    return sum_bytes(tail, 4, acc);
}

// Full UDP checksum (header with zero checksum field + payload + pseudo header). 0 becomes
// 0xffff (RFC 768: zero means "no checksum").
inline void udp_fill_cksum(const uint8_t* ip, uint8_t* udp, uint16_t udp_length_host) {
    udp[udp_cksum] = 0;
    udp[udp_cksum + 1] = 0;
    const uint64_t acc = sum_bytes(udp, udp_length_host, udp_pseudo_sum(ip, udp_length_host));
    uint16_t c = static_cast<uint16_t>(~fold(acc));
    if (c == 0) {
        c = 0xffff;
    }
    std::memcpy(udp + udp_cksum, &c, 2);
}

// For checksum offload: the pseudo-header sum, not complemented, in the checksum field.
inline void udp_fill_pseudo(const uint8_t* ip, uint8_t* udp, uint16_t udp_length_host) {
    const uint16_t c = fold(udp_pseudo_sum(ip, udp_length_host));
    std::memcpy(udp + udp_cksum, &c, 2);
}

inline bool udp_cksum_ok(const uint8_t* ip, const uint8_t* udp, uint16_t udp_length_host) {
    if (udp[udp_cksum] == 0 && udp[udp_cksum + 1] == 0) {
        return true;  // sender did not compute one
    }
    return fold(sum_bytes(udp, udp_length_host, udp_pseudo_sum(ip, udp_length_host))) == 0xffff;
}

}  // namespace sbc::dp::wire
