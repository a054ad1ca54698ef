#include "dataplane/core/srtp_records.hpp"

#include <new>

namespace sbc::dp {

srtp_records::srtp_records(uint32_t capacity, const table_memory& mem)
    : mem_(mem),
      capacity_(capacity),
      chunks_(std::make_unique<std::atomic<srtp_record*>[]>((capacity + chunk_records - 1) /
                                                            chunk_records)) {}

srtp_records::~srtp_records() {
    for (uint32_t c = 0; c < chunks_made_; ++c) {
        srtp_record* chunk = chunks_[c].load(std::memory_order_relaxed);
        for (uint32_t i = 0; i < chunk_records; ++i) {
            chunk[i].~srtp_record();
        }
        mem_.free(chunk);
    }
}

uint32_t srtp_records::acquire() {
    if (free_.empty()) {
        const uint32_t first = chunks_made_ * chunk_records;
        if (first >= capacity_) {
            return no_slot;
        }
        void* mem = mem_.allocate(chunk_records * sizeof(srtp_record), alignof(srtp_record));
        if (mem == nullptr) {
            return no_slot;
        }
        auto* chunk = static_cast<srtp_record*>(mem);
        for (uint32_t i = 0; i < chunk_records; ++i) {
            new (&chunk[i]) srtp_record();
        }
        // Published before any leg names a record in it.
        chunks_[chunks_made_++].store(chunk, std::memory_order_release);
        for (uint32_t i = chunk_records; i-- > 0;) {
            if (first + i < capacity_) {
                free_.push_back(first + i);
            }
        }
    }
    const uint32_t i = free_.back();
    free_.pop_back();
    ++in_use_;
    return i;
}

void srtp_records::release(uint32_t i) {
    srtp_record& r = (*this)[i];
    r.rx.clear();
    r.tx.clear();
    free_.push_back(i);
    --in_use_;
}

}  // namespace sbc::dp
