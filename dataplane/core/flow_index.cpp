#include "dataplane/core/flow_index.hpp"

namespace sbc::dp {

flow_index::flow_index(uint32_t max_entries) {
    // Two buckets of four per key at <= 50 % load: both full is practically impossible.
    uint32_t n = 1;
    while (n * 4 < max_entries * 2) {
        n <<= 1;
    }
    buckets_ = std::make_unique<bucket[]>(n);
    for (uint32_t b = 0; b < n; ++b) {
        for (auto& e : buckets_[b].e) {
            e.key.store(0, std::memory_order_relaxed);
            e.value.store(0, std::memory_order_relaxed);
        }
    }
    mask_ = n - 1;
}

uint32_t flow_index::lookup(uint64_t key) const {
    const uint64_t h = hash(key);
    for (uint32_t b : {first(h), second(h)}) {
        const bucket& bk = buckets_[b];
        for (const auto& e : bk.e) {
            if (e.key.load(std::memory_order_acquire) == key) {
                return e.value.load(std::memory_order_relaxed);
            }
        }
    }
    return no_slot;
}

void flow_index::prefetch(uint64_t key) const {
    const uint64_t h = hash(key);
    __builtin_prefetch(&buckets_[first(h)]);
    __builtin_prefetch(&buckets_[second(h)]);
}

bool flow_index::insert(uint64_t key, uint32_t value) {
    if (key == 0 || lookup(key) != no_slot) {
        return false;
    }
    const uint64_t h = hash(key);
    bucket* candidates[2] = {&buckets_[first(h)], &buckets_[second(h)]};
    // The emptier bucket first keeps both short (two-choice balancing).
    int used[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
        for (auto& e : candidates[i]->e) {
            used[i] += e.key.load(std::memory_order_relaxed) != 0;
        }
    }
    const int order[2] = {used[0] <= used[1] ? 0 : 1, used[0] <= used[1] ? 1 : 0};
    for (int i : order) {
        for (auto& e : candidates[i]->e) {
            if (e.key.load(std::memory_order_relaxed) == 0) {
                e.value.store(value, std::memory_order_relaxed);
                e.key.store(key, std::memory_order_release);
                ++size_;
                return true;
            }
        }
    }
    return false;
}

bool flow_index::erase(uint64_t key) {
    const uint64_t h = hash(key);
    for (uint32_t b : {first(h), second(h)}) {
        for (auto& e : buckets_[b].e) {
            if (e.key.load(std::memory_order_relaxed) == key) {
                e.key.store(0, std::memory_order_release);
                --size_;
                return true;
            }
        }
    }
    return false;
}

}  // namespace sbc::dp
