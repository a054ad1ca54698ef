#pragma once
// The main lcore's control loop (dataplane/README.md "Threads"): commands from sbcd applied in
// order, the workers' notices drained (neighbours learned; events forwarded to sbcd), events
// flushed, retired state reclaimed after its grace period, the heartbeat, and every 100 ms the
// port counters and the idle sweep. With workers = 0 it also polls the ports itself between
// control steps. No EAL: the clock, the port poll and the sleep come in as hooks, so tests drive
// it with their own (tests/dataplane/main_loop_test.cpp).

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "dataplane/core/control.hpp"
#include "dataplane/core/event_out.hpp"
#include "dataplane/core/idle_policy.hpp"
#include "dataplane/core/tables.hpp"
#include "dataplane/shm/contract.hpp"
#include "dataplane/shm/spsc_ring.hpp"

namespace sbc::dp {

struct main_loop_params {
    uint32_t workers = 1;  // 0: the main lcore polls the ports (poll_ports)
    uint64_t tsc_hz = 1;
    // workers = 0: sleep per idle loop once the ports were quiet for `quiet_tsc` (0 = never).
    uint32_t idle_sleep_us = 100;
    uint64_t quiet_tsc = 0;
};

struct main_loop_hooks {
    std::function<uint64_t()> now_tsc;
    std::function<uint64_t()> monotonic_ns;
    std::function<void()> report_ports;    // every 100 ms: the port counters into the region
    std::function<uint32_t()> poll_ports;  // workers = 0: one poll of every port, packets seen
    std::function<void(uint32_t)> sleep_us;
};

class main_loop {
  public:
    main_loop(tables& t, control& c, event_out& out, shm::spsc_ring<shm::command> commands,
              shm::counters_block& counters, shm::region_header& header,
              std::vector<shm::spsc_ring<shm::event>*> notices, main_loop_params p,
              main_loop_hooks hooks);

    // One iteration; returns what it did (commands + notices + packets), 0 when idle.
    uint32_t step();
    // State `running`, steps (sleeping when idle) until `stop`, then state `stopping`.
    void run(const std::atomic<bool>& stop);
    // The workers' notices: neighbours into the table, events to sbcd. Returns how many.
    uint32_t drain_notices();

  private:
    void idle();

    tables& t_;
    control& control_;
    event_out& out_;
    shm::spsc_ring<shm::command> commands_;
    shm::counters_block& ctr_;
    shm::region_header& header_;
    std::vector<shm::spsc_ring<shm::event>*> notices_;
    main_loop_params p_;
    main_loop_hooks hooks_;
    uint64_t next_slow_ = 0;
    uint32_t idle_loops_ = 0;
    idle_policy poller_idle_;
};

}  // namespace sbc::dp
