#pragma once
// The SRTP state of the legs that carry SRTP: a leg's two streams in one record, given out by the
// main lcore when a leg first becomes SRTP and taken back with its slot (after the grace
// period). Plain RTP legs, the core side of most calls, have none. Records come in chunks that
// are allocated as the number of SRTP legs grows and kept: a worker reaches a record through the
// chunk table (a few lines, hot) from the index in the leg's runtime line.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/core/flow_index.hpp"
#include "dataplane/core/table_memory.hpp"
#include "dataplane/srtp/stream.hpp"

namespace sbc::dp {

struct alignas(64) srtp_record {
    srtp::stream rx{srtp::direction::inbound};   // what the leg's peer sends: the leg's rx lcore
    srtp::stream tx{srtp::direction::outbound};  // what goes to the leg's peer: the partner's
};
static_assert(sizeof(srtp_record) == 256);

class srtp_records {
  public:
    static constexpr uint32_t chunk_shift = 8;  // 256 records, 64 KiB, per chunk
    static constexpr uint32_t chunk_records = 1u << chunk_shift;

    srtp_records(uint32_t capacity, const table_memory& mem);
    ~srtp_records();
    srtp_records(const srtp_records&) = delete;
    srtp_records& operator=(const srtp_records&) = delete;

    // Any lcore, for a record the caller was given (through a published leg).
    srtp_record& operator[](uint32_t i) const {
        return chunks_[i >> chunk_shift].load(std::memory_order_acquire)[i & (chunk_records - 1)];
    }

    // Main lcore. A record with empty streams, or no_slot (capacity reached or no memory).
    uint32_t acquire();
    // Main lcore, once no worker can see the record any more: its keys are freed.
    void release(uint32_t i);

    uint32_t in_use() const { return in_use_; }
    // Bytes of records allocated so far (chunks are kept).
    size_t allocated_bytes() const {
        return size_t{chunks_made_} * chunk_records * sizeof(srtp_record);
    }

  private:
    table_memory mem_;
    uint32_t capacity_;
    std::unique_ptr<std::atomic<srtp_record*>[]> chunks_;
    uint32_t chunks_made_ = 0;
    std::vector<uint32_t> free_;
    uint32_t in_use_ = 0;
};

}  // namespace sbc::dp
