#pragma once
// A latency histogram with fixed bucket bounds, counted where the latency ends (a call answered,
// a REGISTER relayed) and exported as a Prometheus histogram (`_bucket{le}`, `_sum`, `_count`).
// Buckets are not cumulative here; the exporter adds them up. Standard headers only.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace sbc {

struct latency_histogram {
    // Upper bounds in seconds: a REGISTER relay is milliseconds, a call's set-up includes the
    // callee's ringing, so the buckets reach from 5 ms to two minutes.
    static constexpr std::array<double, 14> bounds = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                                      1.0,   2.5,  5.0,   10.0, 30.0, 60.0, 120.0};

    std::array<std::uint64_t, bounds.size() + 1> buckets{};  // the last one is +Inf
    double sum_seconds = 0;
    std::uint64_t count = 0;

    void observe(double seconds) {
        if (!(seconds >= 0)) {
            seconds = 0;  // a clock step backwards (system_clock) is not a negative latency
        }
        std::size_t i = 0;
        while (i < bounds.size() && seconds > bounds[i]) {
            ++i;
        }
        ++buckets[i];
        sum_seconds += seconds;
        ++count;
    }

    template <class Rep, class Period>
    void observe(std::chrono::duration<Rep, Period> d) {
        observe(std::chrono::duration<double>(d).count());
    }
};

}  // namespace sbc
