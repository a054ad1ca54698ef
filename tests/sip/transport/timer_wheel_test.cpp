#include "sip/transport/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;

const time_point t0{std::chrono::hours(1000)};

TEST(TimerWheel, FiresAtItsTimeNotBefore) {
    timer_wheel wheel(t0);
    int fired = 0;
    wheel.schedule_after(500ms, [&] { ++fired; });
    EXPECT_EQ(wheel.advance(499ms), 0u);
    EXPECT_EQ(fired, 0);
    EXPECT_EQ(wheel.advance(1ms), 1u);
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(wheel.pending(), 0u);
}

TEST(TimerWheel, SubMillisecondStartRoundsUp) {
    timer_wheel wheel(t0);
    wheel.advance_to(t0 + 300us);
    bool fired = false;
    wheel.schedule_after(1ms, [&] { fired = true; });  // due at t0 + 1.3 ms
    wheel.advance_to(t0 + 1ms + 299us);
    EXPECT_FALSE(fired);
    wheel.advance_to(t0 + 2ms);
    EXPECT_TRUE(fired);
}

TEST(TimerWheel, CancelPreventsFiringAndStaleIdIsHarmless) {
    timer_wheel wheel(t0);
    int fired = 0;
    auto a = wheel.schedule_after(10ms, [&] { fired += 1; });
    auto b = wheel.schedule_after(10ms, [&] { fired += 10; });
    EXPECT_TRUE(wheel.cancel(a));
    EXPECT_FALSE(wheel.cancel(a));
    wheel.advance(20ms);
    EXPECT_EQ(fired, 10);
    EXPECT_FALSE(wheel.cancel(b));  // already fired
    // The slot of b is reused; the old id must not cancel the new timer.
    auto c = wheel.schedule_after(5ms, [&] { fired += 100; });
    EXPECT_FALSE(wheel.cancel(b));
    wheel.advance(5ms);
    EXPECT_EQ(fired, 110);
    EXPECT_FALSE(wheel.cancel(c));
    EXPECT_FALSE(wheel.cancel(timer_id{}));
}

TEST(TimerWheel, SameTickRunsInScheduleOrder) {
    timer_wheel wheel(t0);
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) {
        wheel.schedule_after(100ms, [&order, i] { order.push_back(i); });
    }
    wheel.advance(1s);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(TimerWheel, ExpiryOrderAcrossLevels) {
    timer_wheel wheel(t0);
    std::vector<int> order;
    const std::vector<milliseconds> delays{40h, 1ms, 4096ms, 63ms, 64ms, 262144ms, 65ms, 31 * 24h};
    for (std::size_t i = 0; i < delays.size(); ++i) {
        wheel.schedule_after(delays[i], [&order, i] { order.push_back(static_cast<int>(i)); });
    }
    wheel.advance(32 * 24h);
    EXPECT_EQ(order, (std::vector<int>{1, 3, 4, 6, 2, 5, 0, 7}));
}

TEST(TimerWheel, CallbackSeesItsDueTimeSoRelativeRearmsDoNotDrift) {
    timer_wheel wheel(t0);
    std::vector<milliseconds> seen;
    std::function<void()> tick = [&] {
        seen.push_back(std::chrono::duration_cast<milliseconds>(wheel.now() - t0));
        if (seen.size() < 4) {
            wheel.schedule_after(500ms, tick);
        }
    };
    wheel.schedule_after(500ms, tick);
    wheel.advance(10s);  // one big jump
    EXPECT_EQ(seen, (std::vector<milliseconds>{500ms, 1000ms, 1500ms, 2000ms}));
    EXPECT_EQ(wheel.now(), t0 + 10s);
}

TEST(TimerWheel, ZeroDelayFromCallbackRunsOnTheNextTickNotInALoop) {
    timer_wheel wheel(t0);
    int runs = 0;
    std::function<void()> again = [&] {
        ++runs;
        wheel.schedule_after(0ms, again);
    };
    wheel.schedule_after(0ms, again);
    EXPECT_EQ(wheel.advance(5ms), 5u);
    EXPECT_EQ(runs, 5);
}

TEST(TimerWheel, CancelFromCallbackOfATimerDueInTheSameTick) {
    timer_wheel wheel(t0);
    timer_id second;
    bool second_fired = false;
    wheel.schedule_after(7ms, [&] { EXPECT_TRUE(wheel.cancel(second)); });
    second = wheel.schedule_after(7ms, [&] { second_fired = true; });
    wheel.advance(10ms);
    EXPECT_FALSE(second_fired);
    EXPECT_EQ(wheel.pending(), 0u);
}

TEST(TimerWheel, PastDeadlineFiresOnNextAdvance) {
    timer_wheel wheel(t0);
    wheel.advance(1s);
    bool fired = false;
    wheel.schedule_at(t0, [&] { fired = true; });
    wheel.advance(1ms);
    EXPECT_TRUE(fired);
}

TEST(TimerWheel, BeyondTheRangeStillFiresOnTime) {
    timer_wheel wheel(t0);
    bool fired = false;
    const auto far = 2000 * 24h;  // beyond 2^36 ms
    wheel.schedule_after(far, [&] { fired = true; });
    wheel.advance(far - 1ms);
    EXPECT_FALSE(fired);
    wheel.advance(1ms);
    EXPECT_TRUE(fired);
}

TEST(TimerWheel, NextWakeupIsNeverLaterThanTheEarliestTimer) {
    timer_wheel wheel(t0);
    EXPECT_FALSE(wheel.next_wakeup().has_value());
    wheel.schedule_after(30ms, [] {});
    EXPECT_EQ(wheel.next_wakeup(), t0 + 30ms);
    wheel.schedule_after(5000ms, [] {});
    EXPECT_EQ(wheel.next_wakeup(), t0 + 30ms);
    wheel.advance(30ms);
    auto next = wheel.next_wakeup();
    ASSERT_TRUE(next.has_value());
    EXPECT_LE(*next, t0 + 5000ms);
    EXPECT_GT(*next, t0 + 30ms);
}

// Compares the wheel against a sorted reference under random schedule/cancel/advance.
TEST(TimerWheel, RandomisedAgainstReference) {
    std::mt19937_64 rng(42);
    timer_wheel wheel(t0);
    struct ref_timer {
        time_point due;
        int id;
        timer_id handle;
        bool live;
    };
    std::vector<ref_timer> ref;
    std::vector<std::pair<int, time_point>> fired;
    int next_id = 0;
    for (int round = 0; round < 3000; ++round) {
        const int op = static_cast<int>(rng() % 10);
        if (op < 5) {
            const std::uint64_t scale[] = {10, 1000, 100000, 10000000, 5000000000};
            auto delay = milliseconds(1 + rng() % scale[rng() % 5]);
            const int id = next_id++;
            auto due = wheel.now() + delay;
            auto h = wheel.schedule_at(
                due, [&fired, &wheel, id] { fired.emplace_back(id, wheel.now()); });
            ref.push_back({due, id, h, true});
        } else if (op < 7 && !ref.empty()) {
            auto& r = ref[rng() % ref.size()];
            const bool cancelled = wheel.cancel(r.handle);
            EXPECT_EQ(cancelled, r.live);
            r.live = false;
        } else {
            const std::uint64_t scale[] = {3, 100, 10000, 10000000, 3000000000};
            const auto before = fired.size();
            wheel.advance(milliseconds(rng() % scale[rng() % 5]));
            for (auto i = before; i < fired.size(); ++i) {
                auto& r = ref[static_cast<std::size_t>(fired[i].first)];
                ASSERT_TRUE(r.live) << "timer " << r.id << " fired twice or after cancel";
                EXPECT_EQ(fired[i].second, r.due) << "timer " << r.id;
                r.live = false;
            }
            for (auto& r : ref) {
                if (r.live) {
                    EXPECT_GT(r.due, wheel.now()) << "timer " << r.id << " overdue";
                }
            }
            for (auto i = before + 1; i < fired.size(); ++i) {
                EXPECT_LE(fired[i - 1].second, fired[i].second);
            }
        }
    }
}

}  // namespace
}  // namespace sbc::sip
