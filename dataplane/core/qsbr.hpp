#pragma once
// Quiescent-state based reclamation, the scheme of DPDK's rte_rcu_qsbr without the EAL so that
// the flow table can be tested on plain threads. The main lcore unpublishes an object (index
// entry, control record, key set), takes a token, and frees the object once every reader has
// reported a quiescent state after that token. Readers (workers) report once per loop, when
// they hold no pointer into the tables. Model: DPDK/grout main_loop.c (rte_rcu_qsbr_quiescent).

#include <atomic>
#include <cstdint>
#include <memory>

namespace sbc::dp {

class qsbr {
  public:
    static constexpr uint64_t offline = UINT64_MAX;

    explicit qsbr(uint32_t readers) : readers_(std::make_unique<reader[]>(readers)), n_(readers) {
        for (uint32_t i = 0; i < n_; ++i) {
            readers_[i].seen.store(offline, std::memory_order_relaxed);
        }
    }

    uint32_t readers() const { return n_; }

    // Reader side. `online` before the first lookup, `quiescent` once per loop, `go_offline`
    // when the reader stops polling (it then never holds up a grace period).
    void online(uint32_t r) {
        readers_[r].seen.store(epoch_.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
    }
    void quiescent(uint32_t r) {
        readers_[r].seen.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
    }
    void go_offline(uint32_t r) { readers_[r].seen.store(offline, std::memory_order_release); }

    // Writer side (one thread). Call after unpublishing; the object may be freed once
    // passed(token) is true.
    uint64_t start_grace() { return epoch_.fetch_add(1, std::memory_order_seq_cst) + 1; }
    bool passed(uint64_t token) const {
        for (uint32_t i = 0; i < n_; ++i) {
            if (readers_[i].seen.load(std::memory_order_acquire) < token) {
                return false;
            }
        }
        return true;
    }

  private:
    struct alignas(64) reader {
        std::atomic<uint64_t> seen{offline};
    };
    std::atomic<uint64_t> epoch_{1};
    std::unique_ptr<reader[]> readers_;
    uint32_t n_;
};

}  // namespace sbc::dp
