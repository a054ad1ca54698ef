#pragma once
// Where the flow tables live. By default on the heap; the process hands in DPDK's allocator when
// it has hugepages, so the tables sit on 2 MiB / 1 GiB pages (fewer TLB misses per packet at
// many flows) and on the ports' NUMA node. No DPDK here: the allocator is two plain functions.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace sbc::dp {

struct table_memory {
    // Zeroed memory of `bytes` aligned to `align` (a power of two, <= 4096), or nullptr.
    void* (*alloc)(size_t bytes, size_t align, void* ctx) = nullptr;
    void (*release)(void* p, void* ctx) = nullptr;
    void* ctx = nullptr;
    const char* name = "the heap";  // what the process prints at start

    void* allocate(size_t bytes, size_t align) const {
        if (alloc != nullptr) {
            return alloc(bytes, align, ctx);
        }
        void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align);
        if (p != nullptr) {
            std::memset(p, 0, bytes);
        }
        return p;
    }
    void free(void* p) const {
        if (p == nullptr) {
            return;
        }
        if (release != nullptr) {
            release(p, ctx);
        } else {
            std::free(p);
        }
    }
};

// `n` default-constructed Ts from a table_memory (throws std::bad_alloc when it has none left:
// tables are made at start-up, where that is a start-up failure).
template <typename T>
class table_array {
  public:
    table_array(size_t n, const table_memory& mem) : mem_(mem), size_(n) {
        p_ = static_cast<T*>(mem_.allocate(n * sizeof(T) == 0 ? alignof(T) : n * sizeof(T),
                                           alignof(T) < 64 ? 64 : alignof(T)));
        if (p_ == nullptr) {
            throw std::bad_alloc();
        }
        for (size_t i = 0; i < n; ++i) {
            new (&p_[i]) T();
        }
    }
    ~table_array() {
        for (size_t i = 0; i < size_; ++i) {
            p_[i].~T();
        }
        mem_.free(p_);
    }
    table_array(const table_array&) = delete;
    table_array& operator=(const table_array&) = delete;

    T& operator[](size_t i) { return p_[i]; }
    const T& operator[](size_t i) const { return p_[i]; }
    T* data() { return p_; }
    size_t size() const { return size_; }

  private:
    table_memory mem_;
    T* p_;
    size_t size_;
};

}  // namespace sbc::dp
