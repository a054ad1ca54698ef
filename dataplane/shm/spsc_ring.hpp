#pragma once
// Single-producer single-consumer ring of fixed-size POD slots that lives in shared memory.
// The producer owns `head`, the consumer owns `tail`; each reads the other's index with acquire
// and publishes its own with release, so a slot is fully written before it becomes visible.
// Nothing here allocates, locks or blocks: a full ring is reported to the caller.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sbc::shm {

struct alignas(64) ring_header {
    std::atomic<uint64_t> head;  // next slot the producer writes (written by the producer only)
    char pad0[64 - sizeof(std::atomic<uint64_t>)];
    std::atomic<uint64_t> tail;  // next slot the consumer reads (written by the consumer only)
    char pad1[64 - sizeof(std::atomic<uint64_t>)];
    uint32_t capacity;  // power of two
    uint32_t slot_size;
    uint64_t full_count;  // producer-side count of refused pushes
    char pad2[64 - 16];
};
static_assert(sizeof(ring_header) == 192);
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "shared-memory ring needs lock-free 64-bit atomics");

// A typed view over a ring_header followed by `capacity` slots of T.
template <typename T>
class spsc_ring {
    static_assert(std::is_trivially_copyable_v<T>, "ring slots must be POD");

  public:
    spsc_ring() = default;
    explicit spsc_ring(void* base) : hdr_(static_cast<ring_header*>(base)) {
        slots_ = reinterpret_cast<T*>(static_cast<char*>(base) + sizeof(ring_header));
    }

    static constexpr size_t bytes_for(uint32_t capacity) {
        return sizeof(ring_header) + static_cast<size_t>(capacity) * sizeof(T);
    }

    // Formats the memory at `base` as an empty ring. Only the creator of the region calls this.
    static spsc_ring format(void* base, uint32_t capacity) {
        auto* h = static_cast<ring_header*>(base);
        std::memset(base, 0, bytes_for(capacity));
        h->capacity = capacity;
        h->slot_size = sizeof(T);
        h->head.store(0, std::memory_order_relaxed);
        h->tail.store(0, std::memory_order_relaxed);
        return spsc_ring(base);
    }

    bool valid() const { return hdr_ != nullptr; }
    uint32_t capacity() const { return hdr_->capacity; }

    // Producer side. Returns false when the ring is full; the slot is not written.
    bool push(const T& item) {
        const uint64_t head = hdr_->head.load(std::memory_order_relaxed);
        const uint64_t tail = hdr_->tail.load(std::memory_order_acquire);
        if (head - tail >= hdr_->capacity) {
            hdr_->full_count++;
            return false;
        }
        slots_[head & (hdr_->capacity - 1)] = item;
        hdr_->head.store(head + 1, std::memory_order_release);
        return true;
    }

    // Producer side: free slots right now.
    uint32_t free_slots() const {
        const uint64_t head = hdr_->head.load(std::memory_order_relaxed);
        const uint64_t tail = hdr_->tail.load(std::memory_order_acquire);
        return hdr_->capacity - static_cast<uint32_t>(head - tail);
    }

    // Consumer side. Copies up to `max` items out; returns how many.
    uint32_t pop_burst(T* out, uint32_t max) {
        const uint64_t tail = hdr_->tail.load(std::memory_order_relaxed);
        const uint64_t head = hdr_->head.load(std::memory_order_acquire);
        uint32_t n = static_cast<uint32_t>(head - tail);
        if (n > max) {
            n = max;
        }
        for (uint32_t i = 0; i < n; ++i) {
            out[i] = slots_[(tail + i) & (hdr_->capacity - 1)];
        }
        hdr_->tail.store(tail + n, std::memory_order_release);
        return n;
    }

    bool pop(T& out) { return pop_burst(&out, 1) == 1; }

    uint64_t full_count() const { return hdr_->full_count; }
    uint64_t produced() const { return hdr_->head.load(std::memory_order_acquire); }
    uint64_t consumed() const { return hdr_->tail.load(std::memory_order_acquire); }

  private:
    ring_header* hdr_ = nullptr;
    T* slots_ = nullptr;
};

}  // namespace sbc::shm
