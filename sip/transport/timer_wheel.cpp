#include "sip/transport/timer_wheel.hpp"

#include <bit>
#include <cassert>

namespace sbc::sip {

namespace {

constexpr std::uint64_t span_of_levels(int n) {
    return std::uint64_t{1} << (6 * n);
}

}  // namespace

timer_wheel::timer_wheel(time_point start) : origin_(start), now_(start) {
    heads_.fill(none);
    tails_.fill(none);
}

std::uint64_t timer_wheel::tick_of(time_point t) const {
    if (t <= origin_) {
        return 0;
    }
    // Round up: a timer never fires before its time.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - origin_).count();
    return static_cast<std::uint64_t>((ns + 999'999) / 1'000'000);
}

timer_id timer_wheel::schedule_at(time_point when, callback cb) {
    std::uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(nodes_.size());
        nodes_.emplace_back();
    }
    node& n = nodes_[index];
    n.expiry = tick_of(when);
    n.cb = std::move(cb);
    n.armed = true;
    file(index);
    ++pending_;
    return timer_id{(std::uint64_t{n.generation} << 32) | (std::uint64_t{index} + 1)};
}

bool timer_wheel::cancel(timer_id id) {
    if (!id) {
        return false;
    }
    auto index = static_cast<std::uint32_t>((id.value & 0xffffffffu) - 1);
    auto generation = static_cast<std::uint32_t>(id.value >> 32);
    if (index >= nodes_.size()) {
        return false;
    }
    node& n = nodes_[index];
    if (!n.armed || n.generation != generation) {
        return false;
    }
    unlink(index);
    n.armed = false;
    n.cb = nullptr;
    ++n.generation;
    free_.push_back(index);
    --pending_;
    return true;
}

void timer_wheel::file(std::uint32_t index) {
    node& n = nodes_[index];
    const std::uint64_t base = tick_ + 1;  // next tick to process
    std::uint64_t e = n.expiry < base ? base : n.expiry;
    std::uint64_t delta = e - base;
    int level = 0;
    while (level < levels - 1 && delta >= span_of_levels(level + 1)) {
        ++level;
    }
    if (delta >= span_of_levels(levels)) {
        // Beyond the top level: park at its far edge; re-filed (with the true expiry) on cascade.
        e = base + span_of_levels(levels) - 1;
    }
    const auto slot = static_cast<std::uint32_t>((e >> (level_bits * level)) & (slots - 1));
    const auto bucket = static_cast<std::uint16_t>(level * slots + slot);
    n.bucket = bucket;
    n.next = none;
    n.prev = tails_[bucket];
    if (n.prev == none) {
        heads_[bucket] = index;
    } else {
        nodes_[n.prev].next = index;
    }
    tails_[bucket] = index;
    occupied_[level] |= std::uint64_t{1} << slot;
}

void timer_wheel::unlink(std::uint32_t index) {
    node& n = nodes_[index];
    const auto bucket = n.bucket;
    if (n.prev == none) {
        heads_[bucket] = n.next;
    } else {
        nodes_[n.prev].next = n.next;
    }
    if (n.next == none) {
        tails_[bucket] = n.prev;
    } else {
        nodes_[n.next].prev = n.prev;
    }
    n.prev = n.next = none;
    if (heads_[bucket] == none) {
        occupied_[bucket / slots] &= ~(std::uint64_t{1} << (bucket % slots));
    }
}

void timer_wheel::expire_slot(std::uint32_t slot, std::size_t& ran) {
    while (heads_[slot] != none) {
        const std::uint32_t index = heads_[slot];
        unlink(index);
        node& n = nodes_[index];
        callback cb = std::move(n.cb);
        n.cb = nullptr;
        n.armed = false;
        ++n.generation;
        free_.push_back(index);
        --pending_;
        ++ran;
        // May touch nodes_ (reallocate): n is not used past here.
        if (guard_ != nullptr) {
            guard_->run("timer", cb);
        } else {
            cb();
        }
    }
}

std::optional<std::uint64_t> timer_wheel::next_tick() const {
    std::optional<std::uint64_t> best;
    if (occupied_[0] != 0) {
        const std::uint64_t first = tick_ + 1;
        const auto r = std::rotr(occupied_[0], static_cast<int>(first & (slots - 1)));
        best = first + static_cast<std::uint64_t>(std::countr_zero(r));
    }
    for (int level = 1; level < levels; ++level) {
        if (occupied_[level] == 0) {
            continue;
        }
        const int shift = level_bits * level;
        const std::uint64_t block = (tick_ >> shift) + 1;  // next block boundary after tick_
        const auto r = std::rotr(occupied_[level], static_cast<int>(block & (slots - 1)));
        const std::uint64_t at = (block + static_cast<std::uint64_t>(std::countr_zero(r))) << shift;
        if (!best || at < *best) {
            best = at;
        }
    }
    return best;
}

std::optional<time_point> timer_wheel::next_wakeup() const {
    auto t = next_tick();
    if (!t) {
        return std::nullopt;
    }
    return origin_ + milliseconds(*t);
}

std::size_t timer_wheel::advance_to(time_point to) {
    std::size_t ran = 0;
    if (to < now_) {
        to = now_;
    }
    const std::uint64_t target =
        to <= origin_ ? 0
                      : static_cast<std::uint64_t>(
                            std::chrono::duration_cast<milliseconds>(to - origin_).count());
    for (;;) {
        const auto t = next_tick();
        if (!t || *t > target) {
            break;
        }
        // Process tick *t: cascade the levels whose lower indices all wrap to zero here, then
        // expire level 0. tick_ stays one behind while filing so "next tick" is *t.
        tick_ = *t - 1;
        for (int level = 1; level < levels; ++level) {
            if ((*t & (span_of_levels(level) - 1)) != 0) {
                break;
            }
            const auto saved = tick_;
            tick_ = *t;  // cascade() reads the slot index of the tick being processed
            const auto slot =
                static_cast<std::uint32_t>((tick_ >> (level_bits * level)) & (slots - 1));
            const std::size_t bucket = level * slots + slot;
            std::uint32_t index = heads_[bucket];
            heads_[bucket] = tails_[bucket] = none;
            occupied_[level] &= ~(std::uint64_t{1} << slot);
            tick_ = saved;
            while (index != none) {
                const std::uint32_t next = nodes_[index].next;
                file(index);
                index = next;
            }
        }
        tick_ = *t;
        const time_point at = origin_ + milliseconds(*t);
        if (at > now_) {
            now_ = at;  // callbacks see the time they were due, so relative re-arms stay exact
        }
        expire_slot(static_cast<std::uint32_t>(*t & (slots - 1)), ran);
    }
    if (target > tick_) {
        tick_ = target;
    }
    now_ = to;
    return ran;
}

}  // namespace sbc::sip
