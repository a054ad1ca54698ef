// A parsed message's single allocation: [state][lazy cache][rest of the lazy cache][header
// index][text + padding]. Freed blocks are kept per thread for reuse, so that parsing in steady
// state does not call malloc; a kept block keeps its lazy caches, reset (sip/message_cache.hpp),
// so that their lists keep their buffers too.
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

message_lazy_cache* lazy_at(void* block) {
    return reinterpret_cast<message_lazy_cache*>(static_cast<char*>(block) + lazy_offset);
}

message_lazy_rest* rest_at(void* block) {
    return reinterpret_cast<message_lazy_rest*>(static_cast<char*>(block) + rest_offset);
}

// A block whose lazy caches (those that were built in it) are reset but alive.
struct kept_block {
    void* memory = nullptr;
    std::size_t size = 0;
    bool lazy = false;
    bool rest = false;
};

// Destroys the block's live caches and frees it.
void release(const kept_block& b) {
    if (b.lazy) {
        lazy_at(b.memory)->~message_lazy_cache();
    }
    if (b.rest) {
        rest_at(b.memory)->~message_lazy_rest();
    }
    ::operator delete(b.memory);
}

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

    // A block of at least `size` bytes (a new one has no live caches).
    kept_block take(std::size_t size) {
        for (std::size_t i = count_; i-- > 0;) {
            if (blocks_[i].size >= size && blocks_[i].size / 2 <= size) {
                const kept_block b = blocks_[i];
                blocks_[i] = blocks_[--count_];
                return b;
            }
        }
        size = align_up(size, granule);
        return {::operator new(size), size, false, false};
    }

    void give(const kept_block& b) {
        if (count_ < blocks_.size() && b.size <= max_block) {
            blocks_[count_++] = b;
            return;
        }
        release(b);
    }

  private:
    static constexpr std::size_t granule = 1024;
    static constexpr std::size_t max_block = std::size_t{32} * 1024;
    std::array<kept_block, 8> blocks_{};
    std::size_t count_ = 0;
};

thread_local block_pool pool;

block_pool::~block_pool() {
    pool_gone = true;
    for (std::size_t i = 0; i < count_; ++i) {
        release(blocks_[i]);
    }
}

// The state of every message that was not parsed (default-constructed or moved from).
constinit message_state empty_state{};

}  // namespace

namespace detail {

message_state* allocate_message(std::size_t headers, std::size_t text_size) {
    const std::size_t size =
        headers_offset + headers * sizeof(header_field) + text_size + text_padding;
    const kept_block b =
        pool_gone ? kept_block{::operator new(size), size, false, false} : pool.take(size);
    auto* s = new (b.memory) message_state();
    s->allocation = b.size;
    s->lazy = b.lazy ? lazy_at(b.memory) : nullptr;
    s->lazy_rest = b.rest ? rest_at(b.memory) : nullptr;
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
    const kept_block b{s, s->allocation, s->lazy != nullptr, s->lazy_rest != nullptr};
    s->~message_state();
    if (pool_gone) {
        release(b);
        return;
    }
    if (b.lazy) {
        lazy_at(b.memory)->reset();
    }
    if (b.rest) {
        rest_at(b.memory)->reset();
    }
    pool.give(b);
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
