// The packet path of one lcore: a burst goes through the stages below in order. The stages live
// in path_classify.cpp (parse, lookup, per-flow checks), path_crypto.cpp (unprotect, protect)
// and path_forward.cpp (latch, destination, rewrite); this file runs them and keeps what they
// share (drops, events).

#include "dataplane/core/path.hpp"

#include <x86intrin.h>

namespace sbc::dp {

path::path(tables& t, srtp::engine& engine, uint16_t lcore, shm::lcore_counters* counters,
           shm::spsc_ring<shm::event>* notices)
    : t_(t),
      engine_(engine),
      lcore_(lcore),
      ctr_(counters),
      notices_(notices),
      relatch_idle_ns_(uint64_t{t.relatch_idle_ms} * 1'000'000),
      auth_event_tsc_(t.tsc_hz / 1000 * t.auth_fail_event_ms) {}

void path::drop(pkt_desc& p, meta& m, shm::drop_reason r) {
    const auto i = static_cast<size_t>(r);
    m.alive = 0;
    p.v = verdict::drop;
    p.drop = static_cast<uint8_t>(r);
    ctr_->drops[i]++;
    if (m.slot != no_slot && shm::counted_per_flow(r)) {
        t_.counters[m.slot].drops[i]++;
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
            drop(pkts[i], none, shm::drop_reason::bad_header);
        }
        n = max_burst;
    }
    now_ns_ = t_.monotonic_ns(now_tsc);
    uint16_t live[max_burst];
    // 1. L2/L3/L4 and the index lookup; then the leg's control record and key lines.
    uint16_t nlive = parse_burst(pkts, n, live);
    nlive = lookup_burst(pkts, live, nlive);
    prefetch_controls(live, nlive);
    mark(0);
    // 2. The flow's own checks (owner, RTP/RTCP, headers, source).
    nlive = check_flows(pkts, live, nlive);
    mark(1);
    // 3. SRTP/SRTCP from SRTP peers, one batch per kind.
    unprotect_burst(pkts, live, nlive, now_tsc);
    mark(2);
    // 4. Latch, statistics, destination, payload types.
    nlive = forward_burst(pkts, live, nlive, now_tsc);
    mark(3);
    // 5. SRTP/SRTCP towards SRTP partners.
    protect_burst(pkts, live, nlive);
    mark(4);
    // 6. Ethernet/IPv4/UDP for the other leg, counters.
    rewrite_burst(pkts, live, nlive);
    mark(5);
}

}  // namespace sbc::dp
