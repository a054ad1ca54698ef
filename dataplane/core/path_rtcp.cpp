// RTCP generation (RFC 3550 §6.4): when the side behind leg A has sent no RTCP for the
// rtcp_generation_timeout_ms of its partner X (whose flow says rtcp = generate), the lcore
// that owns A reports for it towards X's peer: an SR about the stream relayed from A (or an RR
// when A sends nothing) with one report block about the stream X's peer sends, plus SDES
// CNAME; SRTCP when X is an SRTP leg. That lcore already writes X's outbound crypto state.

#include <cstring>

#include "dataplane/core/headers.hpp"
#include "dataplane/core/path.hpp"
#include "dataplane/core/rewrite.hpp"
#include "dataplane/core/rtcp.hpp"
#include "dataplane/srtp/suite.hpp"

namespace sbc::dp {

uint16_t path::generate_rtcp(pkt_desc* bufs, uint16_t n, uint64_t now_tsc) {
    if (n == 0 || now_tsc < next_rtcp_scan_) {
        return 0;
    }
    next_rtcp_scan_ = now_tsc + t_.tsc_hz / 1000;
    const uint32_t scan = t_.max_flows / 256 > 64 ? t_.max_flows / 256 : 64;
    uint16_t used = 0;
    constexpr uint16_t hdr = wire::eth_len + wire::ipv4_len + wire::udp_len;
    for (uint32_t k = 0; k < scan && k < t_.max_flows && used < n; ++k) {
        const uint32_t a = rtcp_cursor_;
        rtcp_cursor_ = rtcp_cursor_ + 1 >= t_.max_flows ? 0 : rtcp_cursor_ + 1;
        const leg_rt& ra = t_.legs[a];
        if (ra.owner.load(std::memory_order_relaxed) != lcore_) {
            continue;
        }
        const leg_ctl* ctl = ra.ctl.load(std::memory_order_acquire);
        if (ctl == nullptr || ctl->partner == no_slot) {
            continue;
        }
        const uint32_t x = ctl->partner;
        const leg_ctl* xctl = t_.legs[x].ctl.load(std::memory_order_acquire);
        if (xctl == nullptr || xctl->rtcp != shm::rtcp_mode::generate ||
            xctl->rtcp_generation_timeout_ms == 0 || (xctl->media_flags & shm::media_flag::hold)) {
            continue;
        }
        if (ctl->stats == nullptr || xctl->stats == nullptr) {
            continue;  // republished a moment ago: the statistics come with the next record
        }
        const uint64_t timeout = t_.tsc_hz / 1000 * xctl->rtcp_generation_timeout_ms;
        leg_rtcp_rt& sa = *ctl->stats;
        if (now_tsc - sa.last_rtcp_tsc.load(std::memory_order_relaxed) < timeout ||
            now_tsc - sa.last_generated_tsc < timeout) {
            continue;
        }
        // X's peer, RTCP port.
        const leg_rt& rx = t_.legs[x];
        uint32_t ip = 0;
        uint16_t port = 0;
        const uint64_t rl = rx.rtcp_latch.load(std::memory_order_relaxed);
        const uint64_t l = rx.latch.load(std::memory_order_relaxed);
        if (rl != 0) {
            ip = latch_ip(rl);
            port = latch_port(rl);
        } else {
            ip = l ? latch_ip(l) : xctl->peer_ip;
            port = l ? latch_port(l) : xctl->peer_port;
            if (port != 0 && !xctl->rtcp_mux) {
                port = static_cast<uint16_t>(port + 1);
            }
        }
        if (ip == 0 || port == 0) {
            continue;
        }
        uint8_t mac[6];
        uint32_t nh = 0;
        if (!next_hop(xctl->dpdk_port, xctl->local_ip, xctl->local_mask, ip, mac, nh)) {
            continue;
        }
        pkt_desc& b = bufs[used];
        const uint32_t capacity = static_cast<uint32_t>(b.len) + b.room;
        if (capacity < hdr + 128u + srtp::max_overhead) {
            continue;
        }
        uint8_t* payload = b.data + hdr;
        report_input in{};
        in.sender = sa.packets.load(std::memory_order_relaxed) != 0 ? &sa : nullptr;
        in.sender_ssrc = sa.received.load(std::memory_order_relaxed) != 0
                             ? sa.ssrc.load(std::memory_order_relaxed)
                             : static_cast<uint32_t>(ctl->cookie * 2654435761u) | 1u;
        in.sender_clock_rate = ctl->clock_rate;
        in.received = xctl->stats;
        in.now_tsc = now_tsc;
        in.tsc_hz = t_.tsc_hz;
        const uint64_t ns =
            t_.unix_ns_at_tsc0 +
            static_cast<uint64_t>((static_cast<unsigned __int128>(now_tsc) * 1'000'000'000ULL) /
                                  (t_.tsc_hz ? t_.tsc_hz : 1));
        in.ntp_now = ntp_from_unix_ns(ns);
        in.cname_ip = xctl->local_ip;
        uint16_t plen =
            build_report(payload, static_cast<uint16_t>(capacity - hdr - srtp::max_overhead), in);
        if (plen == 0) {
            continue;
        }
        if (xctl->protocol == shm::media_protocol::srtp) {
            srtp::stream* tx = t_.tx_stream(x);
            if (tx == nullptr) {
                continue;  // never: the record comes before the protocol
            }
            key_mailbox::take(t_.legs[x].mail.tx, *tx);
            srtp::packet sp{payload,          tx, plen, static_cast<uint16_t>(capacity - hdr),
                            srtp::status::ok, 0,  0};
            if (srtp::protect_rtcp(engine_, &sp, 1) != 1) {
                continue;
            }
            plen = sp.len;
        }
        const port_info& out = t_.ports[xctl->dpdk_port];
        const uint16_t sport = static_cast<uint16_t>(xctl->local_port + (xctl->rtcp_mux ? 0 : 1));
        b.offload = write_headers(b.data, mac, out.mac.data(), xctl->local_ip, sport, ip, port,
                                  0xb8 /* DSCP EF */, plen, out.tx_ip_cksum, out.tx_udp_cksum);
        b.len = static_cast<uint16_t>(hdr + plen);
        b.room = static_cast<uint16_t>(capacity - b.len);
        b.port = xctl->dpdk_port;
        b.v = verdict::transmit;
        sa.last_generated_tsc = now_tsc;
        ctr_->rtcp_generated++;
        t_.counters[x].rtcp_generated++;
        ++used;
    }
    return used;
}

}  // namespace sbc::dp
