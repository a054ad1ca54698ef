#include "dataplane/eal/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <unistd.h>

namespace sbc::dp {

namespace {
constexpr uint32_t notice_capacity = 4096;
constexpr uint32_t idle_loops_before_sleep = 1024;
}  // namespace

class mbuf_path {
  public:
    explicit mbuf_path(tables& t) : t_(t) {}
    void process(rte_mbuf** pkts, uint16_t n, shm::lcore_counters* ctr) {
        for (uint16_t i = 0; i < n; ++i) {
            ctr->drops[static_cast<size_t>(shm::drop_reason::no_flow)]++;
        }
        rte_pktmbuf_free_bulk(pkts, n);
    }

  private:
    tables& t_;
};

worker::worker(uint32_t index, tables& t, const port_set& ports, uint32_t burst,
               shm::lcore_counters* counters, uint32_t idle_sleep_us)
    : index_(index),
      t_(t),
      burst_(burst),
      ctr_(counters),
      idle_sleep_us_(idle_sleep_us),
      notice_mem_(new char[shm::spsc_ring<shm::event>::bytes_for(notice_capacity) + 64]),
      path_(std::make_unique<mbuf_path>(t)) {
    void* base = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(notice_mem_.get()) + 63) &
                                         ~uintptr_t{63});
    notices_ = shm::spsc_ring<shm::event>::format(base, notice_capacity);
    for (const auto& p : ports.ports()) {
        if (index < p.queues) {
            rxq_.push_back({p.id, static_cast<uint16_t>(index)});
        }
    }
}

worker::~worker() = default;

uint32_t worker::poll_once() {
    uint32_t total = 0;
    const uint64_t start = rte_rdtsc();
    ctr_->loops++;
    if (t_.rx_enabled.load(std::memory_order_relaxed)) {
        rte_mbuf* pkts[64];
        for (const auto& q : rxq_) {
            const uint16_t n =
                rte_eth_rx_burst(q.port, q.queue, pkts, static_cast<uint16_t>(burst_));
            if (n == 0) {
                continue;
            }
            total += n;
            path_->process(pkts, n, ctr_);
        }
    }
    if (total != 0) {
        ctr_->rx_packets += total;
        ctr_->busy_loops++;
        ctr_->busy_cycles += rte_rdtsc() - start;
    }
    t_.rcu.quiescent(index_);
    return total;
}

void worker::run(const std::atomic<bool>& stop) {
    t_.rcu.online(index_);
    while (!stop.load(std::memory_order_relaxed)) {
        if (poll_once() != 0) {
            idle_loops_ = 0;
            continue;
        }
        if (idle_sleep_us_ != 0 && ++idle_loops_ >= idle_loops_before_sleep) {
            t_.rcu.quiescent(index_);
            usleep(idle_sleep_us_);
        }
    }
    t_.rcu.go_offline(index_);
}

}  // namespace sbc::dp
