#pragma once
// One packet lcore: polls its rx queues, runs the packet path over each burst, transmits,
// reports quiescence and counters. Also used by the main lcore when workers = 0.

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "dataplane/core/idle_policy.hpp"
#include "dataplane/core/tables.hpp"
#include "dataplane/eal/ports.hpp"
#include "dataplane/shm/spsc_ring.hpp"

namespace sbc::dp {

class mbuf_path;
}  // namespace sbc::dp
namespace sbc::srtp {
class engine;
}
namespace sbc::dp {

struct worker_queue {
    uint16_t port;
    uint16_t queue;
};

class worker {
  public:
    worker(uint32_t index, tables& t, const port_set& ports, uint32_t burst,
           shm::lcore_counters* counters, uint32_t idle_sleep_us, uint64_t quiet_tsc);
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // One loop iteration; returns packets received.
    uint32_t poll_once();
    // Loops until `stop`; the lcore entry point.
    void run(const std::atomic<bool>& stop);

    uint32_t index() const { return index_; }
    // Worker -> main lcore: events and internal notices (neighbours learned).
    shm::spsc_ring<shm::event>& notices() { return notices_; }
    void set_queues(std::vector<worker_queue> q) { rxq_ = std::move(q); }
    // Packets of legs owned by another worker go to that worker's ring (RSS may spread one
    // leg's sources over queues); this worker drains `own`. Not set with one worker.
    void set_handoff(rte_ring* own, std::vector<rte_ring*> all);

  private:
    uint32_t index_;
    tables& t_;
    uint32_t burst_;
    shm::lcore_counters* ctr_;
    uint32_t idle_sleep_us_;
    idle_policy idle_;
    std::vector<worker_queue> rxq_;
    struct free_deleter {
        void operator()(char* p) const { std::free(p); }
    };
    std::unique_ptr<char, free_deleter> notice_mem_;
    shm::spsc_ring<shm::event> notices_;
    std::unique_ptr<srtp::engine> engine_;
    rte_mempool* pool_;
    rte_ring* handoff_own_ = nullptr;
    std::unique_ptr<mbuf_path> path_;
};

}  // namespace sbc::dp
