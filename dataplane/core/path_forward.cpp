// Stages 4 and 6 of the packet path: what an accepted packet does to its leg (latch, SSRC, RTCP
// reception statistics), where it goes (the partner's latch or SDP peer, the next hop's MAC),
// payload-type rewrites, and the Ethernet/IPv4/UDP headers it leaves with.

#include <cstring>

#include "dataplane/core/headers.hpp"
#include "dataplane/core/latch.hpp"
#include "dataplane/core/path.hpp"
#include "dataplane/core/rtcp.hpp"

namespace sbc::dp {

namespace {

using shm::drop_reason;
using namespace wire;

}  // namespace

void path::note_auth_failure(meta& m, uint64_t now_tsc) {
    leg_rare& r = t_.rare[m.slot];
    r.auth_fail_count++;
    if (r.auth_fail_event_tsc == 0 || now_tsc - r.auth_fail_event_tsc >= auth_event_tsc_) {
        flow_event(shm::event_type::auth_fail_burst, *m.ctl, m.slot, m.src_ip, m.src_port, 0,
                   r.auth_fail_count);
        r.auth_fail_count = 0;
        r.auth_fail_event_tsc = now_tsc;
    }
}

// Latch moves (event `latched`), SSRC changes of RTP legs, RTCP latch and reception statistics
// (only where a report may be generated).
void path::note_accepted(pkt_desc& p, meta& m, uint64_t now_tsc) {
    leg_rt& rt = t_.legs[m.slot];
    const leg_ctl& ctl = *m.ctl;
    if (m.rtcp) {
        const uint64_t want = pack_latch(m.src_ip, m.src_port);
        if (rt.rtcp_latch.load(std::memory_order_relaxed) != want) {
            rt.rtcp_latch.store(want, std::memory_order_relaxed);
        }
        if (ctl.rtcp_stats && ctl.stats != nullptr) {
            rtcp_note_received(*ctl.stats, m.payload, m.payload_len, now_tsc);
        }
        return;
    }
    // The media clock of the leg: R2 re-latching, flow_idle and sbcd's media timeout.
    t_.counters[m.slot].last_rx_ns = now_ns_;
    if (commit_latch(rt, m.src_ip, m.src_port)) {
        flow_event(shm::event_type::latched, ctl, m.slot, m.src_ip, m.src_port,
                   load32(m.payload + 8), 0);
        learn_source(p, m);
    }
    if (ctl.protocol == shm::media_protocol::rtp) {
        const uint32_t ssrc = load32(m.payload + 8);
        if (!(rt.flags & rtp_ssrc_valid)) {
            rt.rtp_ssrc = ssrc;
            rt.flags |= rtp_ssrc_valid;
        } else if (rt.rtp_ssrc != ssrc) {
            rt.rtp_ssrc = ssrc;
            flow_event(shm::event_type::ssrc_changed, ctl, m.slot, m.src_ip, m.src_port, ssrc, 0);
        }
    }
    if (ctl.rtcp_stats && ctl.stats != nullptr) {
        rtp_note_received(
            *ctl.stats, ctl, m.payload, m.payload_len,
            static_cast<uint16_t>(m.payload_len > rtp_min ? m.payload_len - rtp_min : 0), now_tsc);
    }
}

bool path::next_hop(uint16_t port, uint32_t local_ip, uint32_t local_mask, uint32_t dst,
                    uint8_t* mac, uint32_t& nh) {
    nh = t_.next_hop_ip(port, local_ip, local_mask, dst);
    const uint64_t key = static_cast<uint64_t>(port) << 32 | nh;
    const uint32_t version = t_.neighbours.version();
    next_hop_memo& memo = next_hops_[(key * 0x9E3779B97F4A7C15ULL) >> 60];
    if (memo.key == key && memo.version == version) {
        std::memcpy(mac, memo.mac, 6);
        return true;
    }
    shm::mac_address m;
    if (!t_.neighbours.lookup(port, nh, m)) {
        return false;
    }
    std::memcpy(mac, m.data(), 6);
    memo.key = key;
    memo.version = version;
    std::memcpy(memo.mac, m.data(), 6);
    return true;
}

bool path::choose_destination(pkt_desc& p, meta& m, uint64_t now_tsc) {
    // The partner's static side is in our own control record (leg_out); only its latch is read
    // from its runtime line.
    const uint32_t partner = m.ctl->partner;
    const leg_out& out = m.ctl->out;
    const leg_rt* prt = partner == no_slot ? nullptr : &t_.legs[partner];
    if (prt == nullptr || prt->ctl.load(std::memory_order_relaxed) == nullptr) {
        drop(p, m, drop_reason::no_partner);
        return false;
    }
    if (out.media_flags & shm::media_flag::hold) {
        drop(p, m, drop_reason::held);
        return false;
    }
    // R3: an RTP leg whose SDP address changed since it last latched goes to the new one.
    const bool stale = out.protocol == shm::media_protocol::rtp &&
                       prt->peer_epoch_seen.load(std::memory_order_relaxed) != out.peer_epoch;
    const uint64_t l = stale ? 0 : prt->latch.load(std::memory_order_relaxed);
    uint32_t ip = l ? latch_ip(l) : out.peer_ip;
    uint16_t port = l ? latch_port(l) : out.peer_port;
    if (ip == 0 || port == 0) {
        drop(p, m, drop_reason::no_peer);
        return false;
    }
    if (m.rtcp) {
        const uint64_t rl = stale ? 0 : prt->rtcp_latch.load(std::memory_order_relaxed);
        if (rl != 0) {
            ip = latch_ip(rl);
            port = latch_port(rl);
        } else if (!out.rtcp_mux) {
            port = static_cast<uint16_t>(port + 1);
        }
    }
    m.partner = partner;
    m.dst_ip = ip;
    m.dst_port = port;
    uint32_t nh = 0;
    if (!next_hop(out.dpdk_port, out.local_ip, prefix_mask(out.prefix_len), ip, m.mac, nh)) {
        drop(p, m, drop_reason::no_neighbour);
        arp_solicit(p, out.dpdk_port, out.local_ip, nh, now_tsc);
        return false;
    }
    return true;
}

uint16_t path::forward_burst(pkt_desc* pkts, uint16_t* live, uint16_t nlive, uint64_t now_tsc) {
    uint16_t fwd = 0;
    for (uint16_t j = 0; j < nlive; ++j) {
        pkt_desc& p = pkts[live[j]];
        meta& m = meta_[live[j]];
        if (!m.alive) {
            continue;
        }
        note_accepted(p, m, now_tsc);
        if (!choose_destination(p, m, now_tsc)) {
            continue;
        }
        const leg_out& out = m.ctl->out;
        if (out.protocol == shm::media_protocol::srtp && out.srtp == no_slot) {
            drop(p, m, drop_reason::crypto_error);  // never: the record comes before the protocol
            continue;
        }
        if (!m.rtcp && out.pt_rewrite_count != 0) {
            const uint8_t pt = m.payload[1] & 0x7f;
            for (uint8_t r = 0; r < out.pt_rewrite_count && r < 8; ++r) {
                if (out.pt_rewrites[r].from == pt) {
                    const uint16_t old = load16(m.payload);
                    m.payload[1] = static_cast<uint8_t>((m.payload[1] & 0x80) |
                                                        (out.pt_rewrites[r].to & 0x7f));
                    m.origin.adjust += (~old & 0xffffu) + load16(m.payload);
                    break;
                }
            }
        }
        live[fwd++] = live[j];
    }
    return fwd;
}

void path::rewrite(pkt_desc& p, meta& m) {
    const leg_out& pc = m.ctl->out;
    const uint16_t sport = static_cast<uint16_t>(pc.local_port + (m.rtcp && !pc.rtcp_mux ? 1 : 0));
    const port_info& out = t_.ports[pc.dpdk_port];
    uint8_t* start = m.payload - (eth_len + ipv4_len + udp_len);
    p.offload = write_headers(start, m.mac, out.mac.data(), pc.local_ip, sport, m.dst_ip,
                              m.dst_port, m.tos, m.payload_len, out.tx_ip_cksum, out.tx_udp_cksum,
                              m.crypto ? nullptr : &m.origin);
    p.data = start;
    p.len = static_cast<uint16_t>(eth_len + ipv4_len + udp_len + m.payload_len);
    p.room = static_cast<uint16_t>(m.end - (start + p.len));
    p.port = pc.dpdk_port;
    p.v = verdict::transmit;
}

void path::rewrite_burst(pkt_desc* pkts, const uint16_t* live, uint16_t nlive) {
    for (uint16_t j = 0; j < nlive; ++j) {
        pkt_desc& p = pkts[live[j]];
        meta& m = meta_[live[j]];
        if (!m.alive) {
            continue;
        }
        rewrite(p, m);
        shm::flow_counters& fc = t_.counters[m.slot];
        if (m.rtcp) {
            fc.rtcp_fwd_packets++;
        } else {
            fc.fwd_packets++;
            fc.fwd_bytes += m.payload_len;
        }
    }
}

}  // namespace sbc::dp
