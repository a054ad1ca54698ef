#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sip/transport/callback_guard.hpp"

namespace sbc::sip {

using sip_clock = std::chrono::steady_clock;
using time_point = sip_clock::time_point;
using std::chrono::milliseconds;

// Identifies a scheduled timer; 0 is "no timer". Stale ids (fired or cancelled) are harmless.
struct timer_id {
    std::uint64_t value = 0;
    explicit operator bool() const { return value != 0; }
    friend bool operator==(timer_id, timer_id) = default;
};

// What the transaction layer and the transports need from a clock: the time, and callbacks at
// a time. The io_loop drives a timer_wheel from the monotonic clock; tests drive one by hand.
class timer_service {
  public:
    using callback = std::function<void()>;
    virtual ~timer_service() = default;
    virtual time_point now() const = 0;
    virtual timer_id schedule_at(time_point when, callback cb) = 0;
    virtual bool cancel(timer_id id) = 0;

    timer_id schedule_after(milliseconds delay, callback cb) {
        return schedule_at(now() + delay, std::move(cb));
    }
};

// Hierarchical timing wheel (Varghese & Lauck; the layout of the classic Linux timer wheel):
// 1 ms ticks, 6 levels of 64 slots, so O(1) schedule/cancel and a range of 2^36 ms (~795 days);
// later expiries park in the top level and are re-filed when it turns. Occupancy bitmaps let
// advance() jump over empty stretches, so a fake clock can leap a month in one call.
class timer_wheel final : public timer_service {
  public:
    explicit timer_wheel(time_point start = time_point{});
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    time_point now() const override { return now_; }
    timer_id schedule_at(time_point when, callback cb) override;
    bool cancel(timer_id id) override;

    // Moves the clock to `to` (never backwards) and runs every timer due by then, in expiry
    // order. Callbacks may schedule and cancel timers, including ones due in this same call.
    // Returns the number of callbacks run.
    std::size_t advance_to(time_point to);
    std::size_t advance(milliseconds by) { return advance_to(now_ + by); }

    // A time no later than the earliest pending expiry (exact for timers under 64 ms away;
    // otherwise the tick where their slot is re-filed), or nullopt when nothing is pending.
    std::optional<time_point> next_wakeup() const;
    std::size_t pending() const { return pending_; }

    // Runs each callback under `guard` (not owned). Without one an exception propagates out of
    // advance_to(), and timers due at the same tick run up to 64 ms late. The io_loop sets its
    // own.
    void set_guard(callback_guard* guard) { guard_ = guard; }

  private:
    static constexpr int level_bits = 6;
    static constexpr int levels = 6;
    static constexpr std::uint32_t slots = 1u << level_bits;
    static constexpr std::uint32_t none = UINT32_MAX;

    struct node {
        std::uint64_t expiry = 0;  // tick
        callback cb;
        std::uint32_t prev = none;
        std::uint32_t next = none;
        std::uint32_t generation = 1;
        std::uint16_t bucket = 0;  // level * slots + slot
        bool armed = false;
    };

    std::uint64_t tick_of(time_point t) const;
    void file(std::uint32_t index);
    void unlink(std::uint32_t index);
    void expire_slot(std::uint32_t slot, std::size_t& ran);
    std::optional<std::uint64_t> next_tick() const;

    callback_guard* guard_ = nullptr;
    time_point origin_;
    time_point now_;
    std::uint64_t tick_ = 0;  // last processed tick
    std::size_t pending_ = 0;
    std::vector<node> nodes_;
    std::vector<std::uint32_t> free_;
    std::array<std::uint32_t, levels * slots> heads_;
    std::array<std::uint32_t, levels * slots> tails_;
    std::array<std::uint64_t, levels> occupied_{};
};

}  // namespace sbc::sip
