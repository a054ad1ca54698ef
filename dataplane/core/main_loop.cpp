#include "dataplane/core/main_loop.hpp"

#include "dataplane/core/notices.hpp"

namespace sbc::dp {

namespace {
// Control-only main lcore: empty loops before it naps, and the nap (commands wait at most this).
constexpr uint32_t control_idle_loops = 64;
constexpr uint32_t control_sleep_us = 100;
// workers = 0: empty polls before the quiet time is looked at.
constexpr uint32_t poller_min_loops = 64;
}  // namespace

main_loop::main_loop(tables& t, control& c, event_out& out, shm::spsc_ring<shm::command> commands,
                     shm::counters_block& counters, shm::region_header& header,
                     std::vector<shm::spsc_ring<shm::event>*> notices, main_loop_params p,
                     main_loop_hooks hooks)
    : t_(t),
      control_(c),
      out_(out),
      commands_(commands),
      ctr_(counters),
      header_(header),
      notices_(std::move(notices)),
      p_(p),
      hooks_(std::move(hooks)),
      poller_idle_(poller_min_loops, p.quiet_tsc) {}

uint32_t main_loop::drain_notices() {
    uint32_t total = 0;
    for (auto* ring : notices_) {
        shm::event evs[64];
        const uint32_t n = ring->pop_burst(evs, 64);
        for (uint32_t i = 0; i < n; ++i) {
            if (evs[i].type == notice_neighbour_learned) {
                shm::mac_address mac;
                decode_neighbour_notice(evs[i], mac);
                t_.neighbours.set(evs[i].key.dpdk_port, shm::ipv4_value(evs[i].addr.addr), mac,
                                  false);
            } else {
                out_.emit(evs[i]);
            }
        }
        total += n;
    }
    return total;
}

uint32_t main_loop::step() {
    const uint64_t now = hooks_.now_tsc();
    shm::command batch[64];
    const uint32_t n = commands_.pop_burst(batch, 64);
    for (uint32_t i = 0; i < n; ++i) {
        control_.apply(batch[i], now);
    }
    ctr_.commands_done += n;
    ctr_.flows_installed = control_.flows();
    const uint32_t notices = drain_notices();
    out_.flush();
    control_.reclaim();
    header_.heartbeat_ns.store(hooks_.monotonic_ns(), std::memory_order_release);
    if (now >= next_slow_) {
        if (hooks_.report_ports) {
            hooks_.report_ports();
        }
        control_.sweep_idle(now);
        next_slow_ = now + p_.tsc_hz / 10;
    }
    uint32_t pkts = 0;
    if (p_.workers == 0 && hooks_.poll_ports) {
        pkts = hooks_.poll_ports();
        if (pkts != 0) {
            poller_idle_.busy(hooks_.now_tsc());
        }
    }
    return n + notices + pkts;
}

void main_loop::idle() {
    if (p_.workers == 0) {
        // The main lcore is the packet lcore: it sleeps only when its ports have been quiet for
        // longer than a ring takes to fill (core/idle_policy.hpp), and reports quiescence first.
        if (p_.idle_sleep_us != 0 && poller_idle_.may_sleep(hooks_.now_tsc())) {
            t_.rcu.quiescent(0);
            hooks_.sleep_us(p_.idle_sleep_us);
        }
        return;
    }
    if (++idle_loops_ >= control_idle_loops) {
        hooks_.sleep_us(control_sleep_us);
    }
}

void main_loop::run(const std::atomic<bool>& stop) {
    header_.state.store(static_cast<uint32_t>(shm::dataplane_state::running),
                        std::memory_order_release);
    if (p_.workers == 0) {
        t_.rcu.online(0);
    }
    while (!stop.load(std::memory_order_relaxed)) {
        if (step() == 0) {
            idle();
        } else {
            idle_loops_ = 0;
        }
    }
    if (p_.workers == 0) {
        t_.rcu.go_offline(0);
    }
    header_.state.store(static_cast<uint32_t>(shm::dataplane_state::stopping),
                        std::memory_order_release);
}

}  // namespace sbc::dp
