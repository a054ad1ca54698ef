#include "dataplane/core/flow_index.hpp"

namespace sbc::dp {

namespace {

// Buckets for `max_keys` keys at <= 50 % load, a power of two.
uint32_t buckets_for(uint32_t max_keys) {
    uint32_t n = 1;
    while (n * flow_index::entries_per_bucket < uint64_t{max_keys} * 2) {
        n <<= 1;
    }
    return n;
}

}  // namespace

flow_index::flow_index(uint32_t max_keys, const table_memory& mem)
    : mask_(buckets_for(max_keys) - 1), buckets_(buckets_for(max_keys), mem) {
    for (size_t b = 0; b < buckets_.size(); ++b) {
        for (auto& e : buckets_[b].e) {
            e.store(0, std::memory_order_relaxed);
        }
        buckets_[b].overflow.store(0, std::memory_order_relaxed);
        buckets_[b].pad = 0;
    }
}

void flow_index::prefetch(uint64_t key) const {
    __builtin_prefetch(&buckets_[place_of(key).first]);
}

bool flow_index::erase(uint64_t key, uint32_t value) {
    const place p = place_of(key);
    const uint64_t entry = static_cast<uint64_t>(p.sig) << 32 | value;
    for (auto& e : buckets_[p.first].e) {
        if (e.load(std::memory_order_relaxed) == entry) {
            e.store(0, std::memory_order_release);
            --size_;
            return true;
        }
    }
    if (p.second == p.first) {
        return false;
    }
    for (auto& e : buckets_[p.second].e) {
        if (e.load(std::memory_order_relaxed) == entry) {
            e.store(0, std::memory_order_release);
            buckets_[p.first].overflow.fetch_sub(1, std::memory_order_release);
            --size_;
            return true;
        }
    }
    return false;
}

}  // namespace sbc::dp
