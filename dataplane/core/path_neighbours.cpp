// Neighbours of the packet path: ARP for the media addresses, what a packet teaches about its
// sender, and ARP requests for next hops not resolved yet (on a miss, or asked for by the main
// lcore when it installs a flow). Off the per-packet path: ARP and latch changes are rare.

#include <cstring>

#include "dataplane/core/arp.hpp"
#include "dataplane/core/headers.hpp"
#include "dataplane/core/notices.hpp"
#include "dataplane/core/path.hpp"

namespace sbc::dp {

using shm::drop_reason;
using namespace wire;

// The main lcore owns the neighbour table: tell it about (ip, mac) when the table does not
// already say so.
void path::note_neighbour(uint16_t port, uint32_t ip, const uint8_t* mac) {
    shm::mac_address known;
    if (!t_.neighbours.lookup(port, ip, known) || std::memcmp(known.data(), mac, 6) != 0) {
        emit(make_neighbour_notice(port, ip, mac));
    }
}

void path::handle_arp(pkt_desc& p, meta& m) {
    const port_info& pi = t_.ports[p.port];
    const uint16_t port = p.port;
    const arp_result r = dp::handle_arp(
        p.data, p.len, pi.mac, [this, port](uint32_t ip) { return t_.is_media_address(port, ip); });
    if (r.action == arp_action::malformed) {
        drop(p, m, drop_reason::bad_header);
        return;
    }
    if (r.action == arp_action::ignored) {
        drop(p, m, drop_reason::arp_ignored);
        return;
    }
    if (r.sender_ip != 0) {
        note_neighbour(port, r.sender_ip, r.sender_mac);
    }
    if (r.action == arp_action::reply) {
        p.v = verdict::transmit;
        ctr_->arp_replies++;
    } else {
        p.v = verdict::consumed;
    }
}

// A leg that latched to an on-link address is answered at that address directly: the packet's
// Ethernet source is the neighbour to send to, learned now rather than by ARP after the first
// answer is lost. Only on a latch change (rare), never per packet.
void path::learn_source(const pkt_desc& p, const meta& m) {
    const leg_ctl& c = *m.ctl;
    if (t_.next_hop_ip(p.port, c.local_ip, c.local_mask, m.src_ip) != m.src_ip) {
        return;  // reached through the gateway: its address is resolved by ARP
    }
    note_neighbour(p.port, m.src_ip, p.data + 6);
}

void path::arp_solicit(pkt_desc& p, uint16_t port, uint32_t local_ip, uint32_t nh,
                       uint64_t now_tsc) {
    const uint64_t key = static_cast<uint64_t>(port) << 32 | nh;
    arp_pending& a = arp_sent_[(key * 0x9E3779B97F4A7C15ULL) >> 58];
    if (a.key == key && now_tsc - a.tsc < t_.tsc_hz) {
        return;  // one request per next hop per second
    }
    const uint32_t capacity = static_cast<uint32_t>(p.len) + p.room;
    if (capacity < eth_len + arp_len) {
        return;
    }
    a.key = key;
    a.tsc = now_tsc;
    p.len = build_arp_request(p.data, static_cast<uint16_t>(capacity > 0xffff ? 0xffff : capacity),
                              t_.ports[port].mac, local_ip, nh);
    p.room = static_cast<uint16_t>(capacity - p.len);
    p.port = port;
    p.offload = 0;
    p.v = verdict::transmit;  // counted as no_neighbour, sent as the request
    ctr_->arp_requests++;
}

uint16_t path::send_solicits(pkt_desc* bufs, uint16_t n, uint64_t now_tsc) {
    uint16_t used = 0;
    solicit_request r;
    while (used < n && t_.solicits.pop(r)) {
        shm::mac_address known;
        if (r.port >= shm::max_ports || t_.neighbours.lookup(r.port, r.next_hop, known)) {
            continue;  // resolved meanwhile (or nonsense)
        }
        pkt_desc& p = bufs[used];
        p.v = verdict::consumed;
        arp_solicit(p, r.port, r.local_ip, r.next_hop, now_tsc);
        if (p.v == verdict::transmit) {
            ++used;
        }
    }
    return used;
}

}  // namespace sbc::dp
