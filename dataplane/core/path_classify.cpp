// Stages 1 and 2 of the packet path: Ethernet/IPv4/UDP checks and the index key, the index
// lookup, and the per-flow checks (owner, key mailbox, RTP/RTCP demultiplexing, RTP/RTCP
// header sanity, source against the latch rules). Every refused packet gets its drop reason.

#include <cstring>

#include "dataplane/core/headers.hpp"
#include "dataplane/core/latch.hpp"
#include "dataplane/core/path.hpp"
#include "dataplane/core/rtcp.hpp"
#include "dataplane/srtp/prefetch.hpp"

namespace sbc::dp {

namespace {

using shm::drop_reason;
using namespace wire;

// Packet data is prefetched this many packets ahead of the parse (ipsec-secgw uses 3, l3fwd
// 8): far enough for a line from memory to arrive while the packets before it are parsed.
constexpr uint16_t parse_prefetch_ahead = 4;

void prefetch_packet(const pkt_desc& p) {
    // The headers and the RTP header are in the first line of a frame at an aligned data
    // offset; the second is read by the checks of a frame that starts mid-line.
    srtp::prefetch_line(p.data);
    srtp::prefetch_line(p.data + 64);
}

// RFC 3550 §5.1: version 2, CSRC list and header extension inside the packet; padding (only
// checked on plain RTP, it is encrypted in SRTP) not longer than the payload.
bool rtp_header_ok(const uint8_t* p, uint16_t len, bool check_padding) {
    if (len < rtp_min || (p[0] >> 6) != 2) {
        return false;
    }
    uint32_t h = rtp_min + 4u * (p[0] & 0x0f);
    if (h > len) {
        return false;
    }
    if (p[0] & 0x10) {
        if (h + 4 > len) {
            return false;
        }
        h += 4 + 4u * load16(p + h + 2);
        if (h > len) {
            return false;
        }
    }
    if (check_padding && (p[0] & 0x20)) {
        const uint8_t pad = p[len - 1];
        if (pad == 0 || h + pad > len) {
            return false;
        }
    }
    return true;
}

}  // namespace

// Ethernet II to our MAC, IPv4 without fragments and with a valid header checksum (or the port's
// verdict), UDP with a sane length; ARP is answered here. Forms the index key and prefetches
// both candidate buckets.
bool path::parse(pkt_desc& p, meta& m) {
    m.slot = no_slot;
    m.partner = no_slot;
    m.ctl = nullptr;
    uint8_t* d = p.data;
    m.end = d + p.len + p.room;
    if (p.len < eth_len || p.port >= shm::max_ports || !t_.ports[p.port].present) {
        drop(p, m, drop_reason::bad_header);
        return false;
    }
    // The port classified the frame as Ethernet / IPv4 without options / UDP, not a fragment
    // (rte_mbuf::packet_type): the ethertype, version, header length, fragment and protocol
    // checks are done. Lengths and addresses are still checked here: they bound the reads.
    const bool udp4 = (p.offload & rx_ptype_ipv4_udp) != 0;
    if (!udp4) {
        const uint16_t type = load16(d + eth_type);
        if (type != ethertype_ipv4) {
            if (type == ethertype_arp) {
                handle_arp(p, m);
            } else {
                drop(p, m,
                     type == ethertype_ipv6 ? drop_reason::not_ipv4 : drop_reason::other_ethertype);
            }
            return false;
        }
    }
    if (std::memcmp(d + eth_dst, t_.ports[p.port].mac.data(), 6) != 0) {
        drop(p, m, drop_reason::not_for_us);
        return false;
    }
    uint8_t* ip = d + eth_len;
    const uint16_t avail = static_cast<uint16_t>(p.len - eth_len);
    if (avail < ipv4_len || (!udp4 && (ip[ip_vhl] >> 4) != 4)) {
        drop(p, m, drop_reason::bad_header);
        return false;
    }
    const uint16_t hlen = udp4 ? ipv4_len : static_cast<uint16_t>((ip[ip_vhl] & 0x0f) * 4);
    const uint16_t total = load16(ip + ip_total);
    if (hlen < ipv4_len || total < hlen || total > avail) {
        drop(p, m, drop_reason::bad_header);
        return false;
    }
    const bool ip_bad = (p.offload & rx_cksum_checked) ? (p.offload & rx_ip_cksum_bad) != 0
                                                       : !ipv4_cksum_ok(ip, hlen);
    if (ip_bad) {
        drop(p, m, drop_reason::bad_header);
        return false;
    }
    if (!udp4) {
        if ((load16(ip + ip_frag) & 0x3fff) != 0) {
            drop(p, m, drop_reason::ip_fragment);
            return false;
        }
        if (ip[ip_proto] != proto_udp) {
            drop(p, m, drop_reason::not_udp);
            return false;
        }
    }
    uint8_t* udp = ip + hlen;
    const uint16_t ulen = total - hlen >= udp_len ? load16(udp + udp_length) : 0;
    if (ulen < udp_len || ulen > total - hlen ||
        ((p.offload & rx_cksum_checked) && (p.offload & rx_l4_cksum_bad))) {
        drop(p, m, drop_reason::bad_header);
        return false;
    }
    const uint32_t dst_ip = load32(ip + ip_dst);
    const uint16_t dport = load16(udp + udp_dport);
    m.src_ip = load32(ip + ip_src);
    m.src_port = load16(udp + udp_sport);
    m.tos = ip[ip_tos];
    m.crypto = 0;
    m.origin.cksum = load16(udp + udp_cksum);
    m.origin.words = cksum::addr_words(m.src_ip) + cksum::addr_words(dst_ip) + m.src_port + dport;
    m.origin.adjust = 0;
    m.payload = udp + udp_len;
    m.payload_len = static_cast<uint16_t>(ulen - udp_len);

    m.key = pack_key(p.port, dst_ip, dport);
    t_.index.prefetch(m.key);
    return true;
}

uint16_t path::parse_burst(pkt_desc* pkts, uint16_t n, uint16_t* live) {
    for (uint16_t i = 0; i < n && i < parse_prefetch_ahead; ++i) {
        prefetch_packet(pkts[i]);
    }
    uint16_t nlive = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + parse_prefetch_ahead < n) {
            prefetch_packet(pkts[i + parse_prefetch_ahead]);
        }
        pkts[i].v = verdict::drop;
        meta_[i].alive = 0;
        if (parse(pkts[i], meta_[i])) {
            live[nlive++] = i;
        }
    }
    return nlive;
}

// The index lookup, in its own loop so that the buckets are in flight for the whole burst; the
// leg's runtime line and counters line are prefetched for the flow checks.
bool path::lookup(pkt_desc& p, meta& m) {
    const uint32_t v = t_.index.lookup(m.key);
    const uint32_t slot = v & ~rtcp_bit;
    if (v == no_slot || slot >= t_.max_flows) {
        drop(p, m, drop_reason::no_flow);
        return false;
    }
    m.index_value = v;
    m.slot = slot;
    srtp::prefetch_line(&t_.legs[slot]);
    srtp::prefetch_line(&t_.counters[slot]);
    return true;
}

uint16_t path::lookup_burst(pkt_desc* pkts, uint16_t* live, uint16_t nlive) {
    uint16_t k = 0;
    for (uint16_t j = 0; j < nlive; ++j) {
        if (lookup(pkts[live[j]], meta_[live[j]])) {
            live[k++] = live[j];
        }
    }
    return k;
}

// The next level of the chain: control records and inbound SRTP streams (named in the runtime
// lines the lookup prefetched).
void path::prefetch_controls(const uint16_t* live, uint16_t nlive) const {
    for (uint16_t j = 0; j < nlive; ++j) {
        const leg_rt& rt = t_.legs[meta_[live[j]].slot];
        const leg_ctl* c = rt.ctl.load(std::memory_order_relaxed);
        if (c != nullptr) {
            srtp::prefetch_line(c);  // the first line is what the packet path reads
        }
        const uint32_t rec = rt.srtp.load(std::memory_order_relaxed);
        if (rec != no_slot) {
            srtp::prefetch_stream(t_.srtp[rec].rx);
        }
    }
}

// The flow's checks: the index hit is the slot's own key, the lcore owns the leg (else hand
// off), pending keys are taken, RTCP is recognised, headers are sane and the source is allowed.
bool path::check_flow(pkt_desc& p, meta& m) {
    uint32_t v = m.index_value;
    m.slot = no_slot;  // not the flow's until verified
    // The RTP port's key (the port is the low 16 bits) is the slot's own.
    if (t_.legs[v & ~rtcp_bit].key64 != ((v & rtcp_bit) != 0 ? m.key - 1 : m.key)) {
        v = t_.find_flow(m.key);  // another key with the same signature came first (rare)
        if (v == no_slot) {
            drop(p, m, drop_reason::no_flow);
            return false;
        }
    }
    const uint32_t slot = v & ~rtcp_bit;
    bool rtcp = (v & rtcp_bit) != 0;
    leg_rt& rt = t_.legs[slot];
    const leg_ctl* ctl = rt.ctl.load(std::memory_order_acquire);
    if (ctl == nullptr) {
        drop(p, m, drop_reason::no_flow);
        return false;
    }
    uint16_t owner = rt.owner.load(std::memory_order_relaxed);
    if (owner != lcore_ &&
        !(owner == no_owner && rt.owner.compare_exchange_strong(owner, lcore_))) {
        // RSS delivered the leg here, but its state belongs to the lcore that received it
        // first: that lcore gets the packet (the adapter counts wrong_lcore if it cannot).
        p.v = verdict::handoff;
        p.drop = static_cast<uint8_t>(owner);
        return false;
    }
    m.slot = slot;
    m.ctl = ctl;
    m.rx = t_.rx_stream(slot);
    if (m.rx != nullptr) {
        key_mailbox::take(rt.mail.rx, *m.rx);
    } else if (ctl->protocol == shm::media_protocol::srtp) {
        drop(p, m, drop_reason::crypto_error);  // never: the record comes before the protocol
        return false;
    }
    if (ctl->partner != no_slot) {
        srtp::prefetch_line(&t_.legs[ctl->partner]);
        if (ctl->out.protocol == shm::media_protocol::srtp && ctl->out.srtp != no_slot) {
            srtp::prefetch_stream(t_.srtp[ctl->out.srtp].tx);
        }
    }
    if (ctl->rtcp_stats && ctl->stats != nullptr) {
        srtp::prefetch_line(ctl->stats);
        srtp::prefetch_line(reinterpret_cast<const char*>(ctl->stats) + 64);
    }
    // RFC 5761 §4: with rtcp-mux, second octet 192..223 (RTCP packet types 64..95 as an RTP
    // payload type with the marker bit) is RTCP.
    if (!rtcp && ctl->rtcp_mux && m.payload_len >= 2 && m.payload[1] >= 192 &&
        m.payload[1] <= 223) {
        rtcp = true;
    }
    m.rtcp = rtcp ? 1 : 0;
    shm::flow_counters& fc = t_.counters[slot];
    const bool srtp_rx = ctl->protocol == shm::media_protocol::srtp;
    if (rtcp) {
        fc.rtcp_rx_packets++;
        if (m.payload_len < rtcp_min || (m.payload[0] >> 6) != 2 ||
            (!srtp_rx && !rtcp_valid(m.payload, m.payload_len))) {
            drop(p, m, drop_reason::bad_rtcp);
            return false;
        }
        if (!rtcp_source_ok(*ctl, rt, m.src_ip)) {
            drop(p, m, drop_reason::unlatched_source);
            return false;
        }
        return true;
    }
    fc.rx_packets++;
    fc.rx_bytes += m.payload_len;
    if (!rtp_header_ok(m.payload, m.payload_len, !srtp_rx)) {
        drop(p, m, drop_reason::bad_rtp);
        return false;
    }
    if (check_source(*ctl, rt, m.src_ip, m.src_port, true, load32(m.payload + 8), fc.last_rx_ns,
                     now_ns_, relatch_idle_ns_) != latch_check::accept) {
        drop(p, m, drop_reason::unlatched_source);
        return false;
    }
    return true;
}

uint16_t path::check_flows(pkt_desc* pkts, uint16_t* live, uint16_t nlive) {
    // The inbound key lines for the unprotect stage (the stream lines named the keys and were
    // prefetched a stage ago); the checks below give them time to arrive.
    for (uint16_t j = 0; j < nlive; ++j) {
        const uint32_t rec = t_.legs[meta_[live[j]].slot].srtp.load(std::memory_order_relaxed);
        if (rec != no_slot) {
            srtp::prefetch_rtp_key(t_.srtp[rec].rx.current_key());
        }
    }
    uint16_t k = 0;
    rtcp_in_burst_ = 0;
    for (uint16_t j = 0; j < nlive; ++j) {
        const uint16_t i = live[j];
        if (check_flow(pkts[i], meta_[i])) {
            meta_[i].alive = 1;
            rtcp_in_burst_ += meta_[i].rtcp;
            live[k++] = i;
        }
    }
    return k;
}

}  // namespace sbc::dp
