#include "dataplane/core/rtcp.hpp"

#include <cstdio>
#include <cstring>

#include "dataplane/core/headers.hpp"

namespace sbc::dp {

using wire::load16;
using wire::load32;
using wire::store16;
using wire::store32;

bool rtcp_valid(const uint8_t* p, uint16_t len) {
    if (len < wire::rtcp_min) {
        return false;
    }
    uint32_t off = 0;
    while (off < len) {
        if (len - off < 4) {
            return false;
        }
        const uint8_t b0 = p[off];
        const uint8_t pt = p[off + 1];
        if ((b0 >> 6) != 2 || pt < 192 || pt > 223) {
            return false;
        }
        const uint32_t plen = (static_cast<uint32_t>(load16(p + off + 2)) + 1) * 4;
        if (plen > len - off) {
            return false;
        }
        if ((b0 & 0x20) != 0 && off + plen != len) {
            return false;  // padding only in the last packet
        }
        off += plen;
    }
    return off == len;
}

void rtcp_note_received(leg_rtcp_rt& st, const uint8_t* p, uint16_t len, uint64_t now_tsc) {
    st.last_rtcp_tsc.store(now_tsc, std::memory_order_relaxed);
    if (len >= 28 && p[1] == wire::rtcp_sr) {
        // Middle 32 bits of the NTP timestamp (RFC 3550 §6.4.1 LSR).
        st.last_sr_mid.store(load32(p + 10), std::memory_order_relaxed);
        st.last_sr_tsc.store(now_tsc, std::memory_order_relaxed);
    }
}

void rtp_note_received(leg_rtcp_rt& st, const leg_ctl& ctl, const uint8_t* rtp, uint16_t len,
                       uint16_t payload_octets, uint64_t now_tsc) {
    if (len < wire::rtp_min) {
        return;
    }
    const uint16_t seq = load16(rtp + 2);
    const uint32_t ts = load32(rtp + 4);
    const uint32_t ssrc = load32(rtp + 8);
    const uint32_t received = st.received.load(std::memory_order_relaxed);
    const uint32_t arrival =
        static_cast<uint32_t>((static_cast<unsigned __int128>(now_tsc) * ctl.tsc_to_rtp_q32) >> 32);
    const uint32_t transit = arrival - ts;
    if (received == 0 || st.ssrc.load(std::memory_order_relaxed) != ssrc) {
        // A.1: a new source starts its statistics afresh.
        st.ssrc.store(ssrc, std::memory_order_relaxed);
        st.base_seq.store(seq, std::memory_order_relaxed);
        st.max_ext_seq.store(seq, std::memory_order_relaxed);
        st.received.store(1, std::memory_order_relaxed);
        st.jitter.store(0, std::memory_order_relaxed);
        st.last_transit = transit;
    } else {
        const uint32_t max = st.max_ext_seq.load(std::memory_order_relaxed);
        const auto delta =
            static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(max)));
        if (delta > 0) {
            uint32_t cycles = max & 0xffff0000u;
            if (seq < static_cast<uint16_t>(max)) {
                cycles += 0x10000u;  // sequence number wrapped
            }
            st.max_ext_seq.store(cycles | seq, std::memory_order_relaxed);
        }
        st.received.store(received + 1, std::memory_order_relaxed);
        // A.8: J += (|D| - J) / 16, kept scaled by 16.
        const int32_t d0 = static_cast<int32_t>(transit - st.last_transit);
        // |D| in unsigned arithmetic: -INT32_MIN does not fit an int32_t.
        const uint32_t d = d0 < 0 ? 0u - static_cast<uint32_t>(d0) : static_cast<uint32_t>(d0);
        st.last_transit = transit;
        const uint32_t j = st.jitter.load(std::memory_order_relaxed);
        st.jitter.store(j + d - ((j + 8) >> 4), std::memory_order_relaxed);
    }
    st.last_rtp_ts = ts;
    st.last_rtp_tsc = now_tsc;
    st.octets.store(st.octets.load(std::memory_order_relaxed) + payload_octets,
                    std::memory_order_relaxed);
    st.packets.store(st.packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

uint64_t ntp_from_unix_ns(uint64_t ns) {
    constexpr uint64_t unix_to_ntp = 2208988800ULL;
    const uint64_t sec = ns / 1'000'000'000ULL + unix_to_ntp;
    const uint64_t frac = ((ns % 1'000'000'000ULL) << 32) / 1'000'000'000ULL;
    return sec << 32 | frac;
}

uint16_t build_report(uint8_t* out, uint16_t capacity, const report_input& in) {
    const bool sr = in.sender != nullptr && in.sender->packets.load(std::memory_order_relaxed) != 0;
    const bool block =
        in.received != nullptr && in.received->received.load(std::memory_order_relaxed) != 0;
    char cname[32];
    const int cname_len =
        std::snprintf(cname, sizeof cname, "sbc@%u.%u.%u.%u", in.cname_ip >> 24,
                      (in.cname_ip >> 16) & 0xff, (in.cname_ip >> 8) & 0xff, in.cname_ip & 0xff);
    const uint16_t report_len = static_cast<uint16_t>(8 + (sr ? 20 : 0) + (block ? 24 : 0));
    // SDES: header 4 + SSRC 4 + item (2 + len) + terminating zero(s), padded to 32 bits.
    const uint16_t sdes_raw = static_cast<uint16_t>(8 + 2 + cname_len + 1);
    const uint16_t sdes_len = static_cast<uint16_t>((sdes_raw + 3) & ~3u);
    const uint16_t total = static_cast<uint16_t>(report_len + sdes_len);
    if (capacity < total) {
        return 0;
    }
    std::memset(out, 0, total);
    uint8_t* p = out;
    p[0] = static_cast<uint8_t>(0x80 | (block ? 1 : 0));
    p[1] = sr ? wire::rtcp_sr : wire::rtcp_rr;
    store16(p + 2, static_cast<uint16_t>(report_len / 4 - 1));
    store32(p + 4, in.sender_ssrc);
    uint8_t* q = p + 8;
    if (sr) {
        const leg_rtcp_rt& s = *in.sender;
        store32(q, static_cast<uint32_t>(in.ntp_now >> 32));
        store32(q + 4, static_cast<uint32_t>(in.ntp_now));
        // RTP timestamp of "now": the last relayed one moved on by the elapsed time.
        const uint64_t elapsed = in.now_tsc > s.last_rtp_tsc ? in.now_tsc - s.last_rtp_tsc : 0;
        const uint64_t ticks = in.tsc_hz ? elapsed * in.sender_clock_rate / in.tsc_hz : 0;
        store32(q + 8, s.last_rtp_ts + static_cast<uint32_t>(ticks));
        store32(q + 12, static_cast<uint32_t>(s.packets.load(std::memory_order_relaxed)));
        store32(q + 16, static_cast<uint32_t>(s.octets.load(std::memory_order_relaxed)));
        q += 20;
    }
    if (block) {
        leg_rtcp_rt& r = *in.received;
        const uint32_t max = r.max_ext_seq.load(std::memory_order_relaxed);
        const uint32_t base = r.base_seq.load(std::memory_order_relaxed);
        const uint32_t received = r.received.load(std::memory_order_relaxed);
        // A.3: expected, cumulative and interval loss.
        const uint32_t expected = max - base + 1;
        int64_t lost = static_cast<int64_t>(expected) - received;
        lost = lost > 0x7fffff ? 0x7fffff : (lost < -0x800000 ? -0x800000 : lost);
        if (expected < r.expected_prior || received < r.received_prior) {
            r.expected_prior = 0;  // the source changed and its statistics restarted
            r.received_prior = 0;
        }
        const uint32_t exp_int = expected - r.expected_prior;
        const uint32_t rec_int = received - r.received_prior;
        r.expected_prior = expected;
        r.received_prior = received;
        const int64_t lost_int = static_cast<int64_t>(exp_int) - rec_int;
        const uint8_t fraction =
            exp_int == 0 || lost_int <= 0 ? 0 : static_cast<uint8_t>((lost_int << 8) / exp_int);
        store32(q, r.ssrc.load(std::memory_order_relaxed));
        store32(q + 4,
                static_cast<uint32_t>(fraction) << 24 | (static_cast<uint32_t>(lost) & 0xffffffu));
        store32(q + 8, max);
        store32(q + 12, r.jitter.load(std::memory_order_relaxed) >> 4);
        const uint64_t sr_tsc = r.last_sr_tsc.load(std::memory_order_relaxed);
        if (sr_tsc != 0 && in.tsc_hz != 0) {
            store32(q + 16, r.last_sr_mid.load(std::memory_order_relaxed));
            // DLSR in units of 1/65536 s.
            const uint64_t dl = (in.now_tsc - sr_tsc) * 65536 / in.tsc_hz;
            store32(q + 20, static_cast<uint32_t>(dl > UINT32_MAX ? UINT32_MAX : dl));
        }
    }
    uint8_t* s = out + report_len;
    s[0] = 0x81;  // one chunk
    s[1] = wire::rtcp_sdes;
    store16(s + 2, static_cast<uint16_t>(sdes_len / 4 - 1));
    store32(s + 4, in.sender_ssrc);
    s[8] = 1;  // CNAME
    s[9] = static_cast<uint8_t>(cname_len);
    std::memcpy(s + 10, cname, static_cast<size_t>(cname_len));
    return total;
}

}  // namespace sbc::dp
