#pragma once
// ARP (RFC 826) for the media addresses: answer requests for them in place, learn the sender
// of anything addressed to them, and turn a packet that has no next hop into a request.

#include <cstdint>
#include <cstring>

#include "dataplane/core/headers.hpp"
#include "dataplane/shm/address.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::dp {

enum class arp_action : uint8_t {
    reply,    // the frame is now the reply: send it back out of the rx port
    learned,  // a reply (or gratuitous announcement) to us: sender learned, nothing to send
    ignored,  // not for one of our media addresses (drop arp_ignored)
    malformed,
};

struct arp_result {
    arp_action action;
    uint32_t sender_ip;  // host order; 0 when nothing can be learned
    uint8_t sender_mac[6];
};

// `frame`/`len`: the Ethernet frame. `is_ours(ip)` says whether ip is a media address on the
// rx port; `our_mac` is the port's MAC. A reply is written over the request (same length).
template <typename IsOurs>
arp_result handle_arp(uint8_t* frame, uint16_t len, const shm::mac_address& our_mac,
                      IsOurs&& is_ours) {
    arp_result r{arp_action::malformed, 0, {}};
    if (len < wire::eth_len + wire::arp_len) {
        return r;
    }
    uint8_t* a = frame + wire::eth_len;
    if (wire::load16(a + wire::arp_htype) != 1 ||
        wire::load16(a + wire::arp_ptype) != wire::ethertype_ipv4 || a[wire::arp_hlen] != 6 ||
        a[wire::arp_plen] != 4) {
        return r;
    }
    const uint16_t oper = wire::load16(a + wire::arp_oper);
    if (oper != wire::arp_request && oper != wire::arp_reply) {
        return r;
    }
    const uint32_t spa = wire::load32(a + wire::arp_spa);
    const uint32_t tpa = wire::load32(a + wire::arp_tpa);
    if (!is_ours(tpa)) {
        r.action = arp_action::ignored;
        return r;
    }
    // RFC 826: a packet for us teaches the sender's address (not from 0.0.0.0 probes, RFC 5227,
    // and not a multicast/broadcast source MAC).
    if (spa != 0 && (a[wire::arp_sha] & 1) == 0) {
        r.sender_ip = spa;
        std::memcpy(r.sender_mac, a + wire::arp_sha, 6);
    }
    if (oper == wire::arp_reply) {
        r.action = arp_action::learned;
        return r;
    }
    uint8_t sha[6];
    std::memcpy(sha, a + wire::arp_sha, 6);
    std::memcpy(frame + wire::eth_dst, sha, 6);
    std::memcpy(frame + wire::eth_src, our_mac.data(), 6);
    wire::store16(a + wire::arp_oper, wire::arp_reply);
    std::memcpy(a + wire::arp_tha, sha, 6);
    wire::store32(a + wire::arp_tpa, spa);
    std::memcpy(a + wire::arp_sha, our_mac.data(), 6);
    wire::store32(a + wire::arp_spa, tpa);
    r.action = arp_action::reply;
    return r;
}

// Writes a broadcast ARP request "who has target_ip, tell our_ip" into frame (needs 42 bytes,
// padded to the 60-byte Ethernet minimum when room allows). Returns the frame length.
inline uint16_t build_arp_request(uint8_t* frame, uint16_t capacity,
                                  const shm::mac_address& our_mac, uint32_t our_ip,
                                  uint32_t target_ip) {
    const uint16_t len = capacity >= 60 ? 60 : wire::eth_len + wire::arp_len;
    std::memset(frame, 0, len);
    std::memset(frame + wire::eth_dst, 0xff, 6);
    std::memcpy(frame + wire::eth_src, our_mac.data(), 6);
    wire::store16(frame + wire::eth_type, wire::ethertype_arp);
    uint8_t* a = frame + wire::eth_len;
    wire::store16(a + wire::arp_htype, 1);
    wire::store16(a + wire::arp_ptype, wire::ethertype_ipv4);
    a[wire::arp_hlen] = 6;
    a[wire::arp_plen] = 4;
    wire::store16(a + wire::arp_oper, wire::arp_request);
    std::memcpy(a + wire::arp_sha, our_mac.data(), 6);
    wire::store32(a + wire::arp_spa, our_ip);
    wire::store32(a + wire::arp_tpa, target_ip);
    return len;
}

}  // namespace sbc::dp
