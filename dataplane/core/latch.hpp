#pragma once
// NAT latching: which source a leg accepts media from, and when the latch moves. The rules
// (dataplane/README.md "Latching"):
//
// SRTP legs (protocol srtp): any source may offer a packet; only a packet that passes SRTP
//   authentication and the replay check moves the latch (S1), so forged or replayed packets
//   never redirect media (no RTP bleed). latch_policy::fixed additionally requires the SDP
//   address and port.
// RTP legs (protocol rtp; there is nothing to authenticate):
//   R1 until a packet was accepted, the first packet from the SDP address (any port: NAT may
//      rewrite it) latches; with no SDP address the first packet from anywhere does.
//   R2 after that only the latched source is accepted, except that when it has been silent for
//      relatch_idle_ms another source sending the SSRC last accepted takes the latch over.
//   R3 a flow_update that changes the SDP address starts again at R1.
//   latch_policy::fixed: only the SDP address and port, ever.

#include <cstdint>

#include "dataplane/core/legs.hpp"

namespace sbc::dp {

enum class latch_check : uint8_t {
    accept,  // source is the latch (or will become it): go on
    reject,  // unlatched_source
};

// Called before crypto for every media packet of a leg; may reset the latch for R3.
// `last_rx_ns`: when the leg last accepted RTP (its flow counters), on the clock of `now_ns`.
inline latch_check check_source(const leg_ctl& ctl, leg_rt& rt, uint32_t src_ip, uint16_t src_port,
                                bool has_ssrc, uint32_t ssrc, uint64_t last_rx_ns, uint64_t now_ns,
                                uint64_t relatch_idle_ns) {
    if (rt.peer_epoch_seen.load(std::memory_order_relaxed) != ctl.peer_epoch) {
        rt.peer_epoch_seen.store(ctl.peer_epoch, std::memory_order_relaxed);
        if (ctl.protocol == shm::media_protocol::rtp) {
            rt.latch.store(0, std::memory_order_relaxed);  // R3
            rt.rtcp_latch.store(0, std::memory_order_relaxed);
            rt.flags &= static_cast<uint8_t>(~latch_confirmed);
        }
    }
    if (ctl.latch == shm::latch_policy::fixed) {
        return ctl.peer_ip != 0 && src_ip == ctl.peer_ip && src_port == ctl.peer_port
                   ? latch_check::accept
                   : latch_check::reject;
    }
    if (ctl.protocol == shm::media_protocol::srtp) {
        return latch_check::accept;  // S1: authentication decides
    }
    const uint64_t cur = rt.latch.load(std::memory_order_relaxed);
    if (cur == 0) {
        return ctl.peer_ip == 0 || src_ip == ctl.peer_ip ? latch_check::accept  // R1
                                                         : latch_check::reject;
    }
    if (cur == pack_latch(src_ip, src_port)) {
        return latch_check::accept;
    }
    if (now_ns > last_rx_ns && now_ns - last_rx_ns >= relatch_idle_ns && has_ssrc &&
        (rt.flags & rtp_ssrc_valid) && ssrc == rt.rtp_ssrc) {
        return latch_check::accept;  // R2 hand-over
    }
    return latch_check::reject;
}

// Called for an RTP packet that was accepted (and, on SRTP legs, authenticated). Returns true
// when the latch moved (a `latched` event is due).
inline bool commit_latch(leg_rt& rt, uint32_t src_ip, uint16_t src_port) {
    const uint64_t want = pack_latch(src_ip, src_port);
    if (rt.latch.load(std::memory_order_relaxed) == want) {
        return false;
    }
    rt.latch.store(want, std::memory_order_relaxed);
    rt.flags |= latch_confirmed;
    return true;
}

// RTCP from the leg's peer: SRTCP legs accept what authenticates; RTP legs accept RTCP from
// the latched (or, before a latch, the SDP) address, any port.
inline bool rtcp_source_ok(const leg_ctl& ctl, const leg_rt& rt, uint32_t src_ip) {
    if (ctl.protocol == shm::media_protocol::srtp && ctl.latch != shm::latch_policy::fixed) {
        return true;
    }
    const uint64_t cur = rt.latch.load(std::memory_order_relaxed);
    if (cur != 0) {
        return latch_ip(cur) == src_ip;
    }
    return ctl.peer_ip == 0 || ctl.peer_ip == src_ip;
}

}  // namespace sbc::dp
