#pragma once
// The embedded state store: an append-only journal in one file (issue 15).
//
// Why a journal and not SQLite or LMDB: sbcd writes one small record per call set-up, call end,
// REGISTER and de-registration, and reads the whole state only at start. An append is one
// write(2) — durable against a crash of sbcd as soon as it returns, since the page cache
// outlives the process — with no page management, no extra dependency and no second copy of the
// state in memory (the index keeps offsets, not values). What it costs is measured in
// bench/controlplane/state/RESULTS.md. Power loss is not covered: records not yet written back
// by the kernel are lost (fsync per record would cost milliseconds on a shared disk); a
// replicated store is the answer for that, behind the same interface.
//
// File: a 16-byte header ("SBCSTATE", format version, reserved), then records:
//   u32 length of what follows the CRC, u32 CRC-32C of it, u8 op (1 put, 2 erase), u8 kind,
//   u16 id length, id, value.
// On open a record that is cut short or fails its CRC ends the journal: it and whatever follows
// are logged with their offset and size and cut off (a torn write at the tail after a crash);
// a file of a newer format version is refused, untouched. When dead records (replaced or erased)
// outweigh live ones the journal is rewritten to a temporary file and renamed over the old one.
//
// Secrets: call records carry SDES master keys. The directory must belong to the user sbcd runs
// as and be closed to everyone else (mode 0700 or stricter; it is created so); the file is 0600.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "controlplane/state/state_store.hpp"

namespace sbc::cp::state {

inline constexpr uint32_t journal_format_version = 1;

struct journal_stats {
    uint64_t records_read = 0;   // at open
    uint64_t bytes_skipped = 0;  // a torn or corrupt tail cut off at open
    uint64_t compactions = 0;
    uint64_t file_bytes = 0;  // current size
    uint64_t live_bytes = 0;  // of the live records
};

class journal_store final : public state_store {
  public:
    // Opens (or creates) `dir`/state.journal. Errors: the directory is not private, the file is
    // of a newer format version or not a journal, I/O.
    static cp::result<std::unique_ptr<journal_store>> open(const std::string& dir);
    ~journal_store() override;
    journal_store(const journal_store&) = delete;
    journal_store& operator=(const journal_store&) = delete;

    cp::status put(record_kind kind, std::string_view id, std::string_view value) override;
    cp::status erase(record_kind kind, std::string_view id) override;
    void for_each(const visit_fn& fn) const override;
    size_t size() const override { return index_.size(); }

    const journal_stats& stats() const { return stats_; }
    const std::string& path() const { return path_; }
    // Rewrites the journal with only the live records (also done on its own, see above).
    cp::status compact();

    // Records larger than this are refused (a bug in the caller, or a corrupt length at open).
    static constexpr uint32_t max_record = 1u << 20;

  private:
    journal_store(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    cp::status load();
    cp::status append(uint8_t op, record_kind kind, std::string_view id, std::string_view value);

    // A live record in the file: where it starts, its whole size, where its value starts in it.
    struct where {
        uint64_t offset;
        uint32_t size;
        uint32_t value_at;
    };
    // The index key: the kind's byte, then the id.
    static std::string key_of(record_kind kind, std::string_view id);
    void index(uint8_t op, const std::string& key, const where& w);

    std::string path_;
    int fd_ = -1;
    uint64_t end_ = 0;
    std::unordered_map<std::string, where> index_;
    journal_stats stats_;
};

}  // namespace sbc::cp::state
