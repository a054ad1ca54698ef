#pragma once
// When a polling lcore may sleep. A sleeping worker leaves packets in its ports' receive rings,
// and on a shared-host VM a 100 µs sleep can last 50-100 ms (the vCPU is taken away): a worker
// that sleeps between the packets of flowing media risks a ring's worth of loss (issue 11). So
// the lcore sleeps only once every port it reads has been empty for longer than the smallest of
// its rings takes to fill at the configured packet rate (`quiet_tsc`): with media flowing at
// that rate it never sleeps, and an idle appliance still leaves the CPU to others. Plain TSC
// values, no EAL: tests/dataplane/main_loop_test.cpp drives it with its own clock.

#include <cstdint>

namespace sbc::dp {

class idle_policy {
  public:
    // `min_loops`: empty polls in a row before the quiet time is even looked at (so a busy
    // lcore does not read the clock for it); `quiet_tsc`: the time every port must stay empty.
    idle_policy(uint32_t min_loops, uint64_t quiet_tsc)
        : min_loops_(min_loops), quiet_(quiet_tsc) {}

    void busy(uint64_t now_tsc) {
        last_busy_ = now_tsc;
        empty_loops_ = 0;
    }

    // An empty poll at `now_tsc`: true when the lcore may sleep now.
    bool may_sleep(uint64_t now_tsc) {
        if (empty_loops_ < min_loops_) {
            ++empty_loops_;
            return false;
        }
        return now_tsc - last_busy_ >= quiet_;
    }

    uint64_t quiet_tsc() const { return quiet_; }

  private:
    uint32_t min_loops_;
    uint32_t empty_loops_ = 0;
    uint64_t quiet_;
    uint64_t last_busy_ = 0;
};

// The time a ring of `frames` takes to fill at `pps`, in TSC cycles (`hz`): the quiet time.
inline uint64_t ring_fill_tsc(uint32_t frames, uint32_t pps, uint64_t hz) {
    if (pps == 0) {
        return 0;
    }
    return static_cast<uint64_t>(static_cast<unsigned __int128>(hz) * frames / pps);
}

}  // namespace sbc::dp
