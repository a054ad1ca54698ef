// Stages 3 and 5 of the packet path: unprotect what came from SRTP peers and protect what goes
// to them, each as one engine batch per kind (RTP, RTCP). The batch keeps arrival order, which
// is all the engine needs (dataplane/srtp/README.md: a burst may mix any streams); packets are
// not grouped by stream.

#include "dataplane/core/path.hpp"
#include "dataplane/core/rtcp.hpp"
#include "dataplane/srtp/prefetch.hpp"
#include "dataplane/srtp/status.hpp"

namespace sbc::dp {

namespace {

using shm::drop_reason;

// Gathers one crypto batch: the live packets of one kind (RTP or RTCP, `rtcp`) for which
// `stream_of(m)` gives an SRTP stream (nullptr: not in this batch), in arrival order, and marks
// them as going through crypto. Returns the batch size; crypto[c] is packet idx[c].
template <class Meta, class StreamOf>
uint16_t gather_crypto(Meta* meta, const uint16_t* live, uint16_t nlive, uint8_t rtcp,
                       srtp::packet* crypto, uint16_t* idx, StreamOf&& stream_of) {
    uint16_t k = 0;
    for (uint16_t j = 0; j < nlive; ++j) {
        Meta& m = meta[live[j]];
        if (m.rtcp != rtcp || !m.alive) {
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
    return k;
}

}  // namespace

void path::unprotect_burst(pkt_desc* pkts, const uint16_t* live, uint16_t nlive, uint64_t now_tsc) {
    // Outbound keys of SRTP partners, needed by the protect stage after this one.
    for (uint16_t j = 0; j < nlive; ++j) {
        const leg_ctl& c = *meta_[live[j]].ctl;
        if (c.out.protocol == shm::media_protocol::srtp && c.out.srtp != no_slot) {
            srtp::prefetch_rtp_key(t_.srtp[c.out.srtp].tx.current_key());
        }
    }
    const uint8_t kinds = rtcp_in_burst_ != 0 ? 2 : 1;
    for (uint8_t rtcp = 0; rtcp < kinds; ++rtcp) {
        const uint16_t k = gather_crypto(
            meta_, live, nlive, rtcp, crypto_, crypto_idx_, [&](const meta& m) -> srtp::stream* {
                return m.ctl->protocol == shm::media_protocol::srtp ? m.rx : nullptr;
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
                           m.rx->ssrc(), 0);
            }
            if (r.events & srtp::key_switched) {
                flow_event(shm::event_type::key_switched, *m.ctl, m.slot, m.src_ip, m.src_port,
                           m.rx->ssrc(), 0);
            }
            if (rtcp && !rtcp_valid(m.payload, m.payload_len)) {
                drop(p, m, drop_reason::bad_rtcp);
            }
        }
    }
}

void path::protect_burst(pkt_desc* pkts, const uint16_t* live, uint16_t nlive) {
    const uint8_t kinds = rtcp_in_burst_ != 0 ? 2 : 1;
    for (uint8_t rtcp = 0; rtcp < kinds; ++rtcp) {
        const uint16_t k = gather_crypto(
            meta_, live, nlive, rtcp, crypto_, crypto_idx_, [&](const meta& m) -> srtp::stream* {
                const leg_out& out = m.ctl->out;
                if (out.protocol != shm::media_protocol::srtp) {
                    return nullptr;
                }
                srtp::stream& tx = t_.srtp[out.srtp].tx;  // forward_burst checked it
                // A key the main lcore left for this stream is installed before its use.
                key_mailbox::take(t_.legs[m.partner].mail.tx, tx);
                return &tx;
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
}

}  // namespace sbc::dp
