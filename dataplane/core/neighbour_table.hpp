#pragma once
// Next-hop MAC addresses by (dpdk port, IPv4). One writer (the main lcore: static neighbours
// from settings, neigh_set commands, and what workers learn from ARP, which they send to the
// main lcore as notices), lock-free readers. Entries are never removed; a full table ignores
// learning (static entries and neigh_set are refused then).

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/shm/address.hpp"

namespace sbc::dp {

class neighbour_table {
  public:
    static constexpr uint32_t capacity = 4096;

    neighbour_table() : slots_(std::make_unique<slot[]>(capacity)) {}

    // Reader. False when unknown.
    bool lookup(uint16_t port, uint32_t ipv4_host, shm::mac_address& mac) const {
        const uint64_t key = make_key(port, ipv4_host);
        for (uint32_t i = 0, p = hash(key); i < max_probe; ++i, p = (p + 1) & (capacity - 1)) {
            const uint64_t k = slots_[p].key.load(std::memory_order_acquire);
            if (k == key) {
                const uint64_t v = slots_[p].value.load(std::memory_order_relaxed);
                for (int b = 0; b < 6; ++b) {
                    mac[b] = static_cast<uint8_t>(v >> (8 * (5 - b)));
                }
                return true;
            }
            if (k == 0) {
                return false;
            }
        }
        return false;
    }

    // Writer. `is_static` entries are not overwritten by learning. False when full.
    bool set(uint16_t port, uint32_t ipv4_host, const shm::mac_address& mac, bool is_static) {
        if (ipv4_host == 0) {
            return false;
        }
        const uint64_t key = make_key(port, ipv4_host);
        uint64_t v = 0;
        for (int b = 0; b < 6; ++b) {
            v = v << 8 | mac[b];
        }
        if (is_static) {
            v |= static_bit;
        }
        for (uint32_t i = 0, p = hash(key); i < max_probe; ++i, p = (p + 1) & (capacity - 1)) {
            const uint64_t k = slots_[p].key.load(std::memory_order_relaxed);
            if (k == key) {
                const uint64_t old = slots_[p].value.load(std::memory_order_relaxed);
                if ((old & static_bit) && !is_static) {
                    return true;  // learning never overrides configuration
                }
                if (old != v) {
                    slots_[p].value.store(v, std::memory_order_relaxed);
                    version_.fetch_add(1, std::memory_order_release);
                }
                return true;
            }
            if (k == 0) {
                slots_[p].value.store(v, std::memory_order_relaxed);
                slots_[p].key.store(key, std::memory_order_release);
                ++size_;
                return true;
            }
        }
        return false;
    }

    uint32_t size() const { return size_; }
    // Bumped whenever an entry's MAC changes (a new entry changes no answer already given):
    // readers that remember answers check it.
    uint32_t version() const { return version_.load(std::memory_order_acquire); }

  private:
    static constexpr uint64_t static_bit = 1ULL << 48;
    static constexpr uint32_t max_probe = 64;
    struct slot {
        std::atomic<uint64_t> key{0};
        std::atomic<uint64_t> value{0};
    };
    static uint64_t make_key(uint16_t port, uint32_t ip) {
        return static_cast<uint64_t>(port) << 32 | ip;
    }
    static uint32_t hash(uint64_t key) {
        return static_cast<uint32_t>((key * 0x9E3779B97F4A7C15ULL) >> 52) & (capacity - 1);
    }
    std::unique_ptr<slot[]> slots_;
    uint32_t size_ = 0;
    std::atomic<uint32_t> version_{0};
};

}  // namespace sbc::dp
