#include "dataplane/core/path.hpp"

#include <x86intrin.h>

#include <cstring>

#include "dataplane/core/headers.hpp"
#include "dataplane/core/latch.hpp"
#include "dataplane/core/rewrite.hpp"
#include "dataplane/core/rtcp.hpp"
#include "dataplane/srtp/prefetch.hpp"
#include "dataplane/srtp/status.hpp"

namespace sbc::dp {

namespace {

using shm::drop_reason;

using namespace wire;

constexpr size_t idx(drop_reason r) {
    return static_cast<size_t>(r);
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

// Packets of one crypto context next to each other, arrival order kept within a context
// (model: ipsec-secgw sa_group()). Insertion sort: n <= 64 and usually already grouped.
void group_by_stream(srtp::packet* pk, uint16_t* ix, uint16_t n) {
    for (uint16_t i = 1; i < n; ++i) {
        const srtp::packet p = pk[i];
        const uint16_t x = ix[i];
        uint16_t j = i;
        while (j > 0 && pk[j - 1].strm > p.strm) {
            pk[j] = pk[j - 1];
            ix[j] = ix[j - 1];
            --j;
        }
        pk[j] = p;
        ix[j] = x;
    }
}

// Gathers one crypto batch: the live packets of one kind (RTP or RTCP, `rtcp`) for which
// `stream_of(m)` gives an SRTP stream (nullptr: not in this batch), marks them as going through
// crypto, and groups them by stream. Returns the batch size; crypto[c] is packet idx[c].
template <class Meta, class StreamOf>
uint16_t gather_crypto(Meta* meta, const uint16_t* live, uint16_t nlive, uint8_t rtcp,
                       srtp::packet* crypto, uint16_t* idx, StreamOf&& stream_of) {
    uint16_t k = 0;
    for (uint16_t j = 0; j < nlive; ++j) {
        Meta& m = meta[live[j]];
        if (m.rtcp != rtcp) {
            continue;
        }
        srtp::stream* s = stream_of(m);
        if (s == nullptr) {
            continue;
        }
        m.crypto = 1;
        const auto room = static_cast<uint16_t>(m.end - m.payload);
        crypto[k] = srtp::packet{m.payload, s, m.payload_len, room, srtp::status::ok, 0, 0};
        idx[k++] = live[j];
    }
    group_by_stream(crypto, idx, k);
    return k;
}

}  // namespace

path::path(tables& t, srtp::engine& engine, uint16_t lcore, shm::lcore_counters* counters,
           shm::spsc_ring<shm::event>* notices)
    : t_(t),
      engine_(engine),
      lcore_(lcore),
      ctr_(counters),
      notices_(notices),
      relatch_idle_tsc_(t.tsc_hz / 1000 * t.relatch_idle_ms),
      auth_event_tsc_(t.tsc_hz / 1000 * t.auth_fail_event_ms) {}

void path::drop(pkt_desc& p, meta& m, drop_reason r) {
    m.alive = 0;
    p.v = verdict::drop;
    p.drop = static_cast<uint8_t>(r);
    ctr_->drops[idx(r)]++;
    if (m.slot != no_slot) {
        t_.counters[m.slot].drops[idx(r)]++;
    }
}

void path::emit(const shm::event& ev) {
    if (notices_ == nullptr || !notices_->push(ev)) {
        ctr_->events_lost++;
    }
}

void path::flow_event(shm::event_type type, const leg_ctl& ctl, uint32_t slot, uint32_t ip,
                      uint16_t port, uint32_t ssrc, uint32_t count) {
    shm::event ev{};
    ev.type = type;
    ev.key = shm::make_flow_key(ctl.dpdk_port, shm::ipv4(ctl.local_ip), ctl.local_port);
    if (ip != 0) {
        ev.addr = shm::make_endpoint(shm::ipv4(ip), port);
    }
    ev.ssrc = ssrc;
    ev.count = count;
    ev.slot = slot;
    ev.cookie = ctl.cookie;
    emit(ev);
}

// Stage 1 of a burst: L2/L3/L4 checks and the index lookup; prefetches the leg's state so
// that stage 2 finds it in cache.
bool path::classify_l3(pkt_desc& p, meta& m) {
    m.slot = no_slot;
    m.partner = no_slot;
    m.ctl = nullptr;
    uint8_t* d = p.data;
    m.end = d + p.len + p.room;
    if (p.len < eth_len || p.port >= shm::max_ports || !t_.ports[p.port].present) {
        drop(p, m, drop_reason::bad_header);
        return false;
    }
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
    if (std::memcmp(d + eth_dst, t_.ports[p.port].mac.data(), 6) != 0) {
        drop(p, m, drop_reason::not_for_us);
        return false;
    }
    uint8_t* ip = d + eth_len;
    const uint16_t avail = static_cast<uint16_t>(p.len - eth_len);
    if (avail < ipv4_len || (ip[ip_vhl] >> 4) != 4) {
        drop(p, m, drop_reason::bad_header);
        return false;
    }
    const uint16_t hlen = static_cast<uint16_t>((ip[ip_vhl] & 0x0f) * 4);
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
    if ((load16(ip + ip_frag) & 0x3fff) != 0) {
        drop(p, m, drop_reason::ip_fragment);
        return false;
    }
    if (ip[ip_proto] != proto_udp) {
        drop(p, m, drop_reason::not_udp);
        return false;
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

// Stage 1b, a loop after stage 1 so that the index buckets are in flight for the whole burst:
// the lookup, and the leg's state prefetched for stage 2.
bool path::lookup_flow(pkt_desc& p, meta& m) {
    const uint32_t v = t_.index.lookup(m.key);
    const uint32_t slot = v & ~rtcp_bit;
    if (v == no_slot || slot >= t_.max_flows) {
        drop(p, m, drop_reason::no_flow);
        return false;
    }
    m.index_value = v;
    m.slot = slot;
    srtp::prefetch_line(&t_.legs[slot]);
    srtp::prefetch_stream(t_.rx_streams[slot]);
    srtp::prefetch_line(&t_.counters[slot]);
    return true;
}

// Stage 2: the flow's checks (owner, RTP/RTCP demux, header sanity, source).
bool path::classify_flow(pkt_desc& p, meta& m, uint64_t now_tsc) {
    const uint32_t v = m.index_value;
    const uint32_t slot = v & ~rtcp_bit;
    m.slot = no_slot;  // not the flow's until verified
    bool rtcp = (v & rtcp_bit) != 0;
    leg_rt& rt = t_.legs[slot];
    const uint64_t expect =
        rtcp ? m.key - 1 : m.key;  // the RTP port's key (port is the low 16 bits)
    const leg_ctl* ctl = rt.ctl.load(std::memory_order_acquire);
    if (rt.key64 != expect || ctl == nullptr) {
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
    key_mailbox::take(rt.mail.rx, t_.rx_streams[slot]);
    if (ctl->partner != no_slot) {
        srtp::prefetch_line(&t_.legs[ctl->partner]);
        if (ctl->out.protocol == shm::media_protocol::srtp) {
            srtp::prefetch_stream(t_.tx_streams[ctl->partner]);
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
    if (check_source(*ctl, rt, t_.rare[slot], m.src_ip, m.src_port, true, load32(m.payload + 8),
                     now_tsc, relatch_idle_tsc_) != latch_check::accept) {
        drop(p, m, drop_reason::unlatched_source);
        return false;
    }
    return true;
}

bool path::next_hop(uint16_t port, uint32_t local_ip, uint32_t local_mask, uint32_t dst,
                    uint8_t* mac, uint32_t& nh) const {
    nh = t_.next_hop_ip(port, local_ip, local_mask, dst);
    shm::mac_address m;
    if (!t_.neighbours.lookup(port, nh, m)) {
        return false;
    }
    std::memcpy(mac, m.data(), 6);
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
        const uint64_t rl = stale ? 0 : t_.rare[partner].rtcp_latch.load(std::memory_order_relaxed);
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
    if (!next_hop(out.dpdk_port, out.local_ip, out.local_mask, ip, m.mac, nh)) {
        drop(p, m, drop_reason::no_neighbour);
        arp_solicit(p, out.dpdk_port, out.local_ip, nh, now_tsc);
        return false;
    }
    return true;
}

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

void path::process(pkt_desc* pkts, uint16_t n, uint64_t now_tsc) {
    process_impl<false>(pkts, n, now_tsc, nullptr);
}

void path::process_profiled(pkt_desc* pkts, uint16_t n, uint64_t now_tsc, stage_profile& prof) {
    process_impl<true>(pkts, n, now_tsc, &prof);
}

template <bool Profile>
void path::process_impl(pkt_desc* pkts, uint16_t n, uint64_t now_tsc, stage_profile* prof) {
    [[maybe_unused]] uint64_t t_prev = Profile ? __rdtsc() : 0;
    const auto mark = [&]([[maybe_unused]] size_t stage) {
        if constexpr (Profile) {
            const uint64_t t = __rdtsc();
            prof->cycles[stage] += t - t_prev;
            t_prev = t;
        }
    };
    if (n > max_burst) {
        for (uint16_t i = max_burst; i < n; ++i) {
            meta none{};
            none.slot = no_slot;  // more than one burst: never happens with the adapter
            drop(pkts[i], none, drop_reason::bad_header);
        }
        n = max_burst;
    }
    uint16_t live[max_burst];
    uint16_t nlive = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) {
            __builtin_prefetch(pkts[i + 1].data);
            __builtin_prefetch(pkts[i + 1].data + 64);
        }
        pkts[i].v = verdict::drop;
        meta_[i].alive = 0;
        if (classify_l3(pkts[i], meta_[i])) {
            live[nlive++] = i;
        }
    }
    {
        uint16_t k = 0;
        for (uint16_t j = 0; j < nlive; ++j) {
            if (lookup_flow(pkts[live[j]], meta_[live[j]])) {
                live[k++] = live[j];
            }
        }
        nlive = k;
    }
    mark(0);
    // The next level of the chain: control records and key schedules (their addresses are in
    // the lines prefetched above).
    for (uint16_t j = 0; j < nlive; ++j) {
        const uint32_t slot = meta_[live[j]].slot;
        const auto* c =
            reinterpret_cast<const char*>(t_.legs[slot].ctl.load(std::memory_order_relaxed));
        if (c != nullptr) {
            srtp::prefetch_line(c);  // the first line is what the packet path reads
        }
        srtp::prefetch_rtp_key(t_.rx_streams[slot].current_key());
    }
    uint16_t flows = 0;
    for (uint16_t j = 0; j < nlive; ++j) {
        const uint16_t i = live[j];
        if (classify_flow(pkts[i], meta_[i], now_tsc)) {
            meta_[i].alive = 1;
            live[flows++] = i;
        }
    }
    nlive = flows;
    mark(1);

    // Outbound keys of SRTP partners, needed after the unprotect batch.
    for (uint16_t j = 0; j < nlive; ++j) {
        const leg_ctl& c = *meta_[live[j]].ctl;
        if (c.partner != no_slot && c.out.protocol == shm::media_protocol::srtp) {
            srtp::prefetch_rtp_key(t_.tx_streams[c.partner].current_key());
        }
    }
    // Unprotect what came from SRTP peers: RTP in one batch, RTCP in another.
    for (uint8_t rtcp = 0; rtcp < 2; ++rtcp) {
        const uint16_t k = gather_crypto(
            meta_, live, nlive, rtcp, crypto_, crypto_idx_, [&](const meta& m) -> srtp::stream* {
                return m.ctl->protocol == shm::media_protocol::srtp ? &t_.rx_streams[m.slot]
                                                                    : nullptr;
            });
        if (k == 0) {
            continue;
        }
        if (rtcp) {
            srtp::unprotect_rtcp(engine_, crypto_, k);
        } else {
            srtp::unprotect_rtp(engine_, crypto_, k);
        }
        for (uint16_t c = 0; c < k; ++c) {
            pkt_desc& p = pkts[crypto_idx_[c]];
            meta& m = meta_[crypto_idx_[c]];
            const srtp::packet& r = crypto_[c];
            if (r.result != srtp::status::ok) {
                drop_reason why = srtp::to_drop_reason(r.result);
                if (rtcp && why == drop_reason::bad_rtp) {
                    why = drop_reason::bad_rtcp;
                }
                drop(p, m, why);
                if (r.result == srtp::status::auth_fail) {
                    note_auth_failure(m, now_tsc);
                }
                continue;
            }
            m.payload_len = r.len;
            if (r.events & srtp::ssrc_changed) {
                flow_event(shm::event_type::ssrc_changed, *m.ctl, m.slot, m.src_ip, m.src_port,
                           t_.rx_streams[m.slot].ssrc(), 0);
            }
            if (r.events & srtp::key_switched) {
                flow_event(shm::event_type::key_switched, *m.ctl, m.slot, m.src_ip, m.src_port,
                           t_.rx_streams[m.slot].ssrc(), 0);
            }
            if (rtcp && !rtcp_valid(m.payload, m.payload_len)) {
                drop(p, m, drop_reason::bad_rtcp);
            }
        }
    }

    mark(2);
    // Accepted: latch, statistics, where to.
    uint16_t fwd = 0;
    for (uint16_t j = 0; j < nlive; ++j) {
        pkt_desc& p = pkts[live[j]];
        meta& m = meta_[live[j]];
        if (!m.alive) {
            continue;
        }
        leg_rt& rt = t_.legs[m.slot];
        if (m.rtcp) {
            const uint64_t want = pack_latch(m.src_ip, m.src_port);
            leg_rare& rare = t_.rare[m.slot];
            if (rare.rtcp_latch.load(std::memory_order_relaxed) != want) {
                rare.rtcp_latch.store(want, std::memory_order_relaxed);
            }
            if (m.ctl->rtcp_stats && m.ctl->stats != nullptr) {
                rtcp_note_received(*m.ctl->stats, m.payload, m.payload_len, now_tsc);
            }
        } else {
            if (commit_latch(rt, m.src_ip, m.src_port, now_tsc)) {
                flow_event(shm::event_type::latched, *m.ctl, m.slot, m.src_ip, m.src_port,
                           load32(m.payload + 8), 0);
                learn_source(p, m);
            }
            if (m.ctl->protocol == shm::media_protocol::rtp) {
                const uint32_t ssrc = load32(m.payload + 8);
                if (!(rt.flags & rtp_ssrc_valid)) {
                    rt.rtp_ssrc = ssrc;
                    rt.flags |= rtp_ssrc_valid;
                } else if (rt.rtp_ssrc != ssrc) {
                    rt.rtp_ssrc = ssrc;
                    flow_event(shm::event_type::ssrc_changed, *m.ctl, m.slot, m.src_ip, m.src_port,
                               ssrc, 0);
                }
            }
            if (m.ctl->rtcp_stats && m.ctl->stats != nullptr) {
                rtp_note_received(
                    *m.ctl->stats, *m.ctl, m.payload, m.payload_len,
                    static_cast<uint16_t>(m.payload_len > rtp_min ? m.payload_len - rtp_min : 0),
                    now_tsc);
            }
        }
        if (!choose_destination(p, m, now_tsc)) {
            continue;
        }
        const leg_out& out = m.ctl->out;
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

    mark(3);
    // Protect for SRTP partners, again one batch per kind.
    for (uint8_t rtcp = 0; rtcp < 2; ++rtcp) {
        const uint16_t k = gather_crypto(
            meta_, live, fwd, rtcp, crypto_, crypto_idx_, [&](const meta& m) -> srtp::stream* {
                if (m.ctl->out.protocol != shm::media_protocol::srtp) {
                    return nullptr;
                }
                // A key the main lcore left for this stream is installed before its use.
                key_mailbox::take(t_.legs[m.partner].mail.tx, t_.tx_streams[m.partner]);
                return &t_.tx_streams[m.partner];
            });
        if (k == 0) {
            continue;
        }
        if (rtcp) {
            srtp::protect_rtcp(engine_, crypto_, k);
        } else {
            srtp::protect_rtp(engine_, crypto_, k);
        }
        for (uint16_t c = 0; c < k; ++c) {
            const srtp::packet& r = crypto_[c];
            meta& m = meta_[crypto_idx_[c]];
            if (r.result != srtp::status::ok) {
                drop(pkts[crypto_idx_[c]], m,
                     r.result == srtp::status::no_room ? drop_reason::no_room
                                                       : srtp::to_drop_reason(r.result));
                continue;
            }
            m.payload_len = r.len;
        }
    }

    mark(4);
    for (uint16_t j = 0; j < fwd; ++j) {
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
    mark(5);
}

}  // namespace sbc::dp
