// A parsed message's single allocation: [state][lazy cache][rest of the lazy cache][header
// index][text + padding]. Freed blocks are kept per thread for reuse, so that parsing in steady
// state does not call malloc.
#include <array>
#include <new>
#include <utility>

#include "sip/message.hpp"
#include "sip/message_cache.hpp"
#include "sip/scan.hpp"

namespace sbc::sip {

using detail::message_lazy_cache;
using detail::message_lazy_rest;
using detail::message_state;

namespace {

constexpr std::size_t align_up(std::size_t n, std::size_t a) {
    return (n + a - 1) / a * a;
}

constexpr std::size_t lazy_offset = align_up(sizeof(message_state), alignof(message_lazy_cache));
constexpr std::size_t rest_offset =
    align_up(lazy_offset + sizeof(message_lazy_cache), alignof(message_lazy_rest));
constexpr std::size_t headers_offset =
    align_up(rest_offset + sizeof(message_lazy_rest), alignof(header_field));
static_assert(alignof(message_state) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
static_assert(alignof(message_lazy_cache) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
static_assert(alignof(message_lazy_rest) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
static_assert(std::is_trivially_copyable_v<header_field>);

// Set once the pool of this thread is gone (a message destroyed later, e.g. a static one at exit,
// goes straight back to the allocator).
thread_local bool pool_gone = false;

// Blocks freed on this thread, most recent last. A block is reused for a message that needs at
// least half of it, so a large one does not stay pinned by small messages; the pool holds a few
// blocks of at most max_block bytes, so what it keeps is bounded.
class block_pool {
  public:
    block_pool() = default;
    block_pool(const block_pool&) = delete;
    block_pool& operator=(const block_pool&) = delete;
    ~block_pool();

    // A block of at least `size` bytes; `size` becomes its real size.
    void* take(std::size_t& size) {
        for (std::size_t i = count_; i-- > 0;) {
            if (blocks_[i].size >= size && blocks_[i].size / 2 <= size) {
                void* memory = blocks_[i].memory;
                size = blocks_[i].size;
                blocks_[i] = blocks_[--count_];
                return memory;
            }
        }
        size = align_up(size, granule);
        return ::operator new(size);
    }

    void give(void* memory, std::size_t size) {
        if (count_ < blocks_.size() && size <= max_block) {
            blocks_[count_++] = {memory, size};
            return;
        }
        ::operator delete(memory);
    }

  private:
    static constexpr std::size_t granule = 1024;
    static constexpr std::size_t max_block = std::size_t{32} * 1024;
    struct block {
        void* memory;
        std::size_t size;
    };
    std::array<block, 8> blocks_{};
    std::size_t count_ = 0;
};

thread_local block_pool pool;

block_pool::~block_pool() {
    pool_gone = true;
    for (std::size_t i = 0; i < count_; ++i) {
        ::operator delete(blocks_[i].memory);
    }
}

// The state of every message that was not parsed (default-constructed or moved from).
constinit message_state empty_state{};

}  // namespace

namespace detail {

message_state* allocate_message(std::size_t headers, std::size_t text_size) {
    std::size_t size = headers_offset + headers * sizeof(header_field) + text_size + text_padding;
    void* memory = pool_gone ? ::operator new(size) : pool.take(size);
    auto* s = new (memory) message_state();
    s->allocation = size;
    s->header_count = headers;
    s->headers = header_slots(s);
    return s;
}

header_field* header_slots(message_state* s) {
    return reinterpret_cast<header_field*>(reinterpret_cast<char*>(s) + headers_offset);
}

char* text_slot(message_state* s) {
    return reinterpret_cast<char*>(header_slots(s) + s->header_count);
}

void free_message(message_state* s) {
    if (s->lazy != nullptr) {
        s->lazy->~message_lazy_cache();
    }
    if (s->lazy_rest != nullptr) {
        s->lazy_rest->~message_lazy_rest();
    }
    const std::size_t size = s->allocation;
    s->~message_state();
    if (pool_gone) {
        ::operator delete(s);
        return;
    }
    pool.give(s, size);
}

}  // namespace detail

message::message() : s_(&empty_state) {}

message::~message() {
    if (s_ != &empty_state) {
        detail::free_message(s_);
    }
}

message::message(message&& o) noexcept : s_(std::exchange(o.s_, &empty_state)) {}

message& message::operator=(message&& o) noexcept {
    if (this != &o) {
        if (s_ != &empty_state) {
            detail::free_message(s_);
        }
        s_ = std::exchange(o.s_, &empty_state);
    }
    return *this;
}

message_lazy_cache* message::cache() const {
    if (s_ == &empty_state) {
        return nullptr;
    }
    if (s_->lazy == nullptr) {
        s_->lazy = new (reinterpret_cast<char*>(s_) + lazy_offset) message_lazy_cache();
    }
    return s_->lazy;
}

message_lazy_rest* message::cache_rest() const {
    if (s_ == &empty_state) {
        return nullptr;
    }
    if (s_->lazy_rest == nullptr) {
        s_->lazy_rest = new (reinterpret_cast<char*>(s_) + rest_offset) message_lazy_rest();
    }
    return s_->lazy_rest;
}

}  // namespace sbc::sip
