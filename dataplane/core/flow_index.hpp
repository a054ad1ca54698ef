#pragma once
// The flow lookup index: packed IPv4 key (dpdk port, local address, local UDP port) -> value
// (slot | rtcp bit). One writer (the main lcore), any number of lock-free readers (workers).
//
// An entry is 8 bytes: a 32-bit signature of the key and the value, published with one atomic
// store. The key itself is not kept: it is in the slot (leg_rt::key64), and a reader verifies
// every hit against it anyway (an erased entry may be reused at once, and the slot itself is only
// reused after a grace period, dataplane/core/qsbr.hpp); two keys sharing a signature are told
// apart by that check (find()). Each key has a first and a second bucket of seven entries (one
// cache line); insert() fills the first and uses the second only when the first is full, and
// counts that in the first bucket, so a lookup reads one line unless its first bucket overflowed
// (a few per cent of buckets at the 50 % load the table is sized for). When both are full, a key
// that lives in its first bucket moves to its own second one to make room (one cuckoo step).
// IPv6 keys are not indexed yet (the control path refuses IPv6 flows with unsupported_family).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "dataplane/core/table_memory.hpp"

namespace sbc::dp {

inline constexpr uint32_t no_slot = UINT32_MAX;
inline constexpr uint32_t rtcp_bit = 1u << 31;  // value flag: the key is the leg's RTCP port

// Never 0 for a valid key: UDP port 0 is not a media port.
constexpr uint64_t pack_key(uint16_t dpdk_port, uint32_t ipv4_host, uint16_t udp_port) {
    return static_cast<uint64_t>(ipv4_host) << 32 | static_cast<uint64_t>(dpdk_port) << 16 |
           udp_port;
}

class flow_index {
  public:
    static constexpr size_t entries_per_bucket = 7;
    static constexpr size_t bucket_bytes = 64;

    // Room for `max_keys` keys at <= 50 % load.
    explicit flow_index(uint32_t max_keys, const table_memory& mem = {});

    // Readers. lookup(): the value of the first entry with the key's signature, or no_slot; the
    // caller verifies it. find(): the first such value for which verify(value) is true.
    uint32_t lookup(uint64_t key) const {
        return find(key, [](uint32_t) { return true; });
    }
    template <class Verify>
    uint32_t find(uint64_t key, Verify&& verify) const;
    // The first bucket's line (the second is read only when the first overflowed).
    void prefetch(uint64_t key) const;

    // Writer. The caller makes sure the key is not indexed yet (find()). insert() returns false
    // when no room can be made (table_full); `key_of(value)` gives the key of an indexed value
    // (to move it). erase() removes the entry of `key` with `value`, false when there is none.
    template <class KeyOf>
    bool insert(uint64_t key, uint32_t value, KeyOf&& key_of);
    bool erase(uint64_t key, uint32_t value);
    uint32_t size() const { return size_; }

    // The 32-bit signature an entry keeps of `key` (tests).
    static uint32_t signature(uint64_t key) { return mix(key).sig; }

  private:
    struct alignas(64) bucket {
        std::atomic<uint64_t> e[entries_per_bucket];  // sig << 32 | value; 0 = empty
        std::atomic<uint32_t> overflow;  // keys whose first bucket this is, in their second
        uint32_t pad;
    };
    static_assert(sizeof(bucket) == bucket_bytes);

    struct place {
        uint32_t first;
        uint32_t second;
        uint32_t sig;  // never 0
    };
    static place mix(uint64_t key) {
        // Murmur3 finaliser: cheap and good enough for packed addresses. The low half picks the
        // first bucket, the high half is the signature (never 0: 0 marks an empty entry).
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdULL;
        key ^= key >> 33;
        key *= 0xc4ceb9fe1a85ec53ULL;
        key ^= key >> 33;
        const auto high = static_cast<uint32_t>(key >> 32);
        return {static_cast<uint32_t>(key), 0, high != 0 ? high : 1u};
    }
    place place_of(uint64_t key) const {
        place p = mix(key);
        p.first &= mask_;
        p.second = (p.first ^ (p.sig * 0x9E3779B1u)) & mask_;
        return p;
    }
    // A free entry of bucket `b`, or nullptr.
    std::atomic<uint64_t>* free_entry(uint32_t b) {
        for (auto& e : buckets_[b].e) {
            if (e.load(std::memory_order_relaxed) == 0) {
                return &e;
            }
        }
        return nullptr;
    }
    template <class Verify>
    static uint32_t scan(const bucket& b, uint32_t sig, Verify& verify) {
        for (const auto& e : b.e) {
            const uint64_t v = e.load(std::memory_order_acquire);
            if (static_cast<uint32_t>(v >> 32) == sig && verify(static_cast<uint32_t>(v))) {
                return static_cast<uint32_t>(v);
            }
        }
        return no_slot;
    }

    uint32_t mask_;
    table_array<bucket> buckets_;
    uint32_t size_ = 0;
};

template <class Verify>
uint32_t flow_index::find(uint64_t key, Verify&& verify) const {
    const place p = place_of(key);
    const bucket& b = buckets_[p.first];
    const uint32_t v = scan(b, p.sig, verify);
    if (v != no_slot || b.overflow.load(std::memory_order_acquire) == 0) {
        return v;
    }
    return scan(buckets_[p.second], p.sig, verify);
}

template <class KeyOf>
bool flow_index::insert(uint64_t key, uint32_t value, KeyOf&& key_of) {
    if (key == 0) {
        return false;
    }
    const place p = place_of(key);
    const uint64_t entry = static_cast<uint64_t>(p.sig) << 32 | value;
    bucket& first = buckets_[p.first];
    if (auto* e = free_entry(p.first)) {
        e->store(entry, std::memory_order_release);
        ++size_;
        return true;
    }
    // Readers look in the second bucket only while the first counts an overflow: count first.
    if (auto* e = free_entry(p.second)) {
        first.overflow.fetch_add(1, std::memory_order_release);
        e->store(entry, std::memory_order_release);
        ++size_;
        return true;
    }
    // Both full: a key living in its first bucket (this one) moves to its own second bucket,
    // copied there (and counted) before the new entry replaces it, so readers always find it.
    for (auto& e : first.e) {
        const uint64_t old = e.load(std::memory_order_relaxed);
        const place q = place_of(key_of(static_cast<uint32_t>(old)));
        if (q.first != p.first || q.second == p.first) {
            continue;  // itself overflowed here, or no other bucket
        }
        if (auto* to = free_entry(q.second)) {
            first.overflow.fetch_add(1, std::memory_order_release);
            to->store(old, std::memory_order_release);
            e.store(entry, std::memory_order_release);
            ++size_;
            return true;
        }
    }
    return false;
}

}  // namespace sbc::dp
