#pragma once
// The events going to sbcd: straight into the event ring, or into a bounded backlog while it is
// full (a snapshot of many flows is longer than the ring). Main lcore only.

#include <cstddef>
#include <deque>

#include "dataplane/shm/contract.hpp"
#include "dataplane/shm/spsc_ring.hpp"

namespace sbc::dp {

class event_out {
  public:
    event_out(shm::spsc_ring<shm::event> ring, shm::counters_block& ctr,
              size_t max_backlog = size_t{1} << 20)
        : ring_(ring), ctr_(ctr), max_backlog_(max_backlog) {}

    void emit(const shm::event& ev) {
        if (backlog_.empty() && ring_.push(ev)) {
            return;
        }
        if (backlog_.size() >= max_backlog_) {
            ctr_.events_lost++;
            return;
        }
        backlog_.push_back(ev);
    }

    void flush() {
        while (!backlog_.empty() && ring_.push(backlog_.front())) {
            backlog_.pop_front();
        }
    }

    size_t backlog() const { return backlog_.size(); }

  private:
    shm::spsc_ring<shm::event> ring_;
    shm::counters_block& ctr_;
    size_t max_backlog_;
    std::deque<shm::event> backlog_;
};

}  // namespace sbc::dp
