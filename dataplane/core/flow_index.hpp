#pragma once
// The flow lookup index: packed IPv4 key (dpdk port, local address, local UDP port) -> value
// (slot | rtcp bit). One writer (the main lcore), any number of lock-free readers (workers).
// Two candidate buckets of four entries per key; an entry is published by storing its key
// last with release, and erased by storing 0. An erased entry may be reused at once, so a
// reader can see a value that belongs to a newer key: callers verify the slot's own key (the
// slot itself is only reused after a grace period, dataplane/core/qsbr.hpp).
// IPv6 keys are not indexed yet (the control path refuses IPv6 flows with unsupported_family).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

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
    explicit flow_index(uint32_t max_entries);

    // Readers.
    uint32_t lookup(uint64_t key) const;
    void prefetch(uint64_t key) const;

    // Writer. insert() returns false when both candidate buckets are full (table_full) or the
    // key exists; erase() returns false when the key is absent.
    bool insert(uint64_t key, uint32_t value);
    bool erase(uint64_t key);
    uint32_t size() const { return size_; }

    // Bytes of one entry; the table is sized for at most 50 % load.
    static constexpr size_t entry_bytes = 16;

  private:
    struct entry {
        std::atomic<uint64_t> key;
        std::atomic<uint32_t> value;
        uint32_t pad;
    };
    struct alignas(64) bucket {
        entry e[4];
    };
    static_assert(sizeof(bucket) == 64);
    static_assert(sizeof(entry) == entry_bytes);

    static uint64_t hash(uint64_t key) {
        // Murmur3 finaliser: cheap and good enough for packed addresses.
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdULL;
        key ^= key >> 33;
        key *= 0xc4ceb9fe1a85ec53ULL;
        key ^= key >> 33;
        return key;
    }
    uint32_t first(uint64_t h) const { return static_cast<uint32_t>(h) & mask_; }
    uint32_t second(uint64_t h) const { return static_cast<uint32_t>(h >> 32) & mask_; }

    std::unique_ptr<bucket[]> buckets_;
    uint32_t mask_;
    uint32_t size_ = 0;
};

}  // namespace sbc::dp
