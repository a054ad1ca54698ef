#pragma once
// RTCP (RFC 3550 §6): validating compound packets, the reception statistics a receiver report
// needs (Appendix A.1, A.3, A.8), and building SR/RR + SDES CNAME when a side is silent.

#include <cstdint>

#include "dataplane/core/legs.hpp"

namespace sbc::dp {

// RFC 3550 A.2 (relaxed for RFC 5506 reduced-size RTCP): every packet version 2 with a type in
// 192..223, lengths that add up exactly to `len`, padding only in the last packet.
bool rtcp_valid(const uint8_t* p, uint16_t len);

// Notes an RTCP packet from the leg's peer: arrival time, and LSR if it starts with an SR.
void rtcp_note_received(leg_rtcp_rt& st, const uint8_t* p, uint16_t len, uint64_t now_tsc);

// Reception statistics of an accepted RTP packet (rx lcore of the leg).
void rtp_note_received(leg_rtcp_rt& st, const leg_ctl& ctl, const uint8_t* rtp, uint16_t len,
                       uint16_t payload_octets, uint64_t now_tsc);

struct report_input {
    // The side we speak for (it has been silent): its media stream as relayed.
    const leg_rtcp_rt* sender;  // its stream's stats, or nullptr when it sends no media
    uint32_t sender_ssrc;       // SSRC to report as (the relayed stream's, or a made-up one)
    uint32_t sender_clock_rate;
    // The stream we received from the other side, for the report block (nullptr: none).
    leg_rtcp_rt* received;
    uint64_t now_tsc;
    uint64_t tsc_hz;
    uint64_t ntp_now;   // NTP timestamp (RFC 5905 format) of now_tsc
    uint32_t cname_ip;  // for the CNAME "sbc@a.b.c.d"
};

// Writes an SR (when `sender` has packets) or RR, with at most one report block, and an SDES
// CNAME chunk into `out`. Returns the length (0 if `capacity` is too small).
uint16_t build_report(uint8_t* out, uint16_t capacity, const report_input& in);

// NTP time (seconds since 1900 << 32 | fraction) from Unix nanoseconds.
uint64_t ntp_from_unix_ns(uint64_t ns);

}  // namespace sbc::dp
