#pragma once
// The flow state the packet path reads, split the way VPP splits ipsec_sa_t from
// ipsec_sa_inb_rt_t: an immutable control record (leg_ctl) published by pointer by the main
// lcore and replaced on every change, and a runtime record (leg_rt) per leg written only by the
// lcore that receives the leg. Both are reached from the slot index the flow index returns.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dataplane/core/key_mail.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::dp {

inline constexpr uint16_t no_owner = 0xffff;

struct leg_rtcp_rt;

// What a packet of a leg needs to leave through its partner (the partner's local address and
// port, SDP peer, RTCP mode, hold, payload-type rewrites): copied from the partner's flow into
// this leg's control record, so forwarding reads one record and the partner's runtime line
// (its latch), not the partner's control record.
struct leg_out {
    uint32_t peer_ip;  // partner's SDP peer (0 = none)
    uint16_t peer_port;
    uint16_t local_port;  // partner's local media port
    uint32_t local_ip;
    uint32_t srtp;        // partner's SRTP record (its outbound stream), or no_slot
    uint32_t peer_epoch;  // the partner's (R3: an RTP partner re-latches from a new SDP peer)
    uint16_t dpdk_port;
    shm::media_protocol protocol;
    uint8_t rtcp_mux;
    uint8_t media_flags;  // shm::media_flag (hold)
    uint8_t pt_rewrite_count;
    uint8_t prefix_len;  // of the partner's media address: peers inside are on-link
    uint8_t pad;
    shm::pt_rewrite pt_rewrites[8];  // applied to RTP sent to the partner's peer
};
static_assert(sizeof(leg_out) == 44);

// Immutable once published. Host byte order throughout. The first line is what the packet path
// reads for every packet; the second what events, idle sweeps and RTCP generation read.
struct alignas(64) leg_ctl {
    uint32_t partner;     // slot of the other leg, or no_slot
    uint32_t peer_epoch;  // bumped when the SDP peer changes (RTP legs re-latch from it)
    uint32_t peer_ip;     // SDP peer (0 = none: learn by latching)
    uint16_t peer_port;
    shm::media_protocol protocol;
    uint8_t rtcp_mux;
    shm::latch_policy latch;
    uint8_t rtcp_stats;  // keep RTCP reception statistics (this leg or its partner generates)
    uint8_t pad0[2];
    leg_out out;  // the partner's side (zero without a partner)
    // Second line.
    uint32_t generation;  // bumped on every republish
    uint32_t local_ip;
    uint16_t local_port;
    uint16_t dpdk_port;
    shm::rtcp_mode rtcp;
    uint8_t media_flags;
    uint8_t pad1[2];
    uint32_t ssrc_hint;
    uint32_t clock_rate;
    uint32_t idle_timeout_ms;
    uint32_t rtcp_generation_timeout_ms;
    uint32_t local_mask;  // of the media address's prefix: peers inside are on-link
    uint64_t cookie;
    uint64_t tsc_to_rtp_q32;  // clock_rate / tsc_hz in 32.32 fixed point (RTCP jitter)
    leg_rtcp_rt* stats;       // with rtcp_stats: the leg's reception statistics (else null)
};
static_assert(offsetof(leg_ctl, generation) <= 64, "per-packet fields in the first line");
static_assert(sizeof(leg_ctl) == 128);

// The netmask of a prefix length.
constexpr uint32_t prefix_mask(uint8_t prefix_len) {
    return prefix_len == 0 ? 0 : ~0u << (32 - (prefix_len > 32 ? 32 : prefix_len));
}

// A latched address: ipv4 << 32 | port << 16 | 1 (0 = nothing latched).
constexpr uint64_t pack_latch(uint32_t ip, uint16_t port) {
    return static_cast<uint64_t>(ip) << 32 | static_cast<uint64_t>(port) << 16 | 1u;
}
constexpr uint32_t latch_ip(uint64_t l) {
    return static_cast<uint32_t>(l >> 32);
}
constexpr uint16_t latch_port(uint64_t l) {
    return static_cast<uint16_t>(l >> 16);
}

// leg_rt.flags
enum leg_flag : uint8_t {
    rtp_ssrc_valid = 1u << 0,   // rtp_ssrc holds the SSRC of the stream followed (RTP legs)
    latch_confirmed = 1u << 1,  // a packet was accepted from the current latch
};

// Per-packet runtime of one leg (the direction "from this leg's peer"). One cache line: what
// every packet of the leg reads or writes; authentication-failure accounting is in leg_rare.
// When the leg's peer last sent accepted RTP is in its flow counters (last_rx_ns).
struct alignas(64) leg_rt {
    uint64_t key64;                         // main lcore at install; readers verify index hits
    std::atomic<const leg_ctl*> ctl;        // main lcore publishes; nullptr = being removed
    std::atomic<uint64_t> latch;            // rx lcore; the partner's lcore reads it as destination
    std::atomic<uint64_t> rtcp_latch;       // rx lcore: RTCP source of the peer (likewise)
    key_mailbox mail;                       // main lcore posts keys; rx (mail.rx) and the
                                            // partner's lcore (mail.tx) take them
    std::atomic<uint32_t> peer_epoch_seen;  // rx lcore; the partner's lcore reads it
    uint32_t rtp_ssrc;                      // rx lcore, RTP legs
    std::atomic<uint32_t> srtp;             // main lcore: SRTP record (srtp_records), or no_slot
    std::atomic<uint16_t> owner;            // lcore that receives this leg (first come), no_owner
    uint8_t flags;                          // leg_flag, rx lcore
    uint8_t pad0;
};
static_assert(sizeof(leg_rt) == 64);

// What the rx lcore writes only when a packet fails authentication.
struct alignas(16) leg_rare {
    uint64_t auth_fail_event_tsc;  // when the last auth_fail_burst event went out
    uint32_t auth_fail_count;      // failures since the last auth_fail_burst event
    uint32_t pad;
};
static_assert(sizeof(leg_rare) == 16);

// What RTCP generation needs about the stream received on a leg (RFC 3550 §6.4, A.3, A.8):
// written by the leg's rx lcore, read by the partner's lcore when it generates a report. Only
// legs that need them have one (leg_ctl::stats; the main lcore allocates it when the leg or its
// partner starts generating RTCP and frees it with the slot).
struct alignas(64) leg_rtcp_rt {
    std::atomic<uint32_t> ssrc;
    std::atomic<uint32_t> base_seq;       // first extended sequence number
    std::atomic<uint32_t> max_ext_seq;    // highest extended sequence number (cycles << 16 | seq)
    std::atomic<uint32_t> received;       // packets received
    std::atomic<uint32_t> jitter;         // RFC 3550 A.8, in timestamp units, scaled by 16
    std::atomic<uint32_t> last_sr_mid;    // middle 32 bits of the NTP time of the last SR received
    std::atomic<uint64_t> last_sr_tsc;    // when it arrived (0 = none)
    std::atomic<uint64_t> last_rtcp_tsc;  // last RTCP received from this leg's peer
    uint32_t last_transit;                // rx lcore only
    uint32_t last_rtp_ts;                 // rx lcore: of the newest packet (SR extrapolation)
    uint64_t last_rtp_tsc;                // rx lcore
    // Kept by the lcore that generates reports towards this leg's peer (the partner's lcore).
    uint32_t expected_prior, received_prior;
    // Second line.
    std::atomic<uint64_t> octets;   // RTP payload octets received (SR sender octet count)
    std::atomic<uint64_t> packets;  // RTP packets received and relayed (SR sender packet count)
    uint64_t last_generated_tsc;    // the partner's lcore: last report generated for this leg
};
static_assert(sizeof(leg_rtcp_rt) == 128);

}  // namespace sbc::dp
