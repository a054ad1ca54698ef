#pragma once
// The bytes of a state record's value (issue 15): little-endian integers and length-prefixed
// strings, written by the owner of the record (binding_record.hpp for bindings) and read back at
// start. The reader never trusts the bytes: a record cut short, a length past its end or a value
// out of range makes it fail (ok() false, why() the first cause) instead of reading past the
// buffer — a journal can hold a record of a newer sbcd, or one a bug or a disk damaged in a way
// the journal's CRC could not see.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sbc::cp::state {

// Deadlines are kept as wall-clock times in milliseconds since the epoch: the steady clock of the
// sbcd that wrote them means nothing to the next one.
using wall_time = std::chrono::system_clock::time_point;

class record_writer {
  public:
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        }
    }
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        }
    }
    void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
    void wall(wall_time t) {
        i64(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
    }
    // u32 length, then the bytes (SIP strings can hold anything a peer sent; they are kept as is).
    void str(std::string_view s) {
        u32(static_cast<uint32_t>(s.size()));
        out_.append(s);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

class record_reader {
  public:
    explicit record_reader(std::string_view in) : in_(in) {}

    uint8_t u8() {
        if (!need(1, "a byte")) {
            return 0;
        }
        return static_cast<uint8_t>(in_[at_++]);
    }
    uint32_t u32() { return static_cast<uint32_t>(uint_n(4, "a 32-bit number")); }
    uint64_t u64() { return uint_n(8, "a 64-bit number"); }
    int64_t i64() { return static_cast<int64_t>(u64()); }
    // Within a century of 1970 (far wider than any deadline sbcd writes): a time further away
    // would overflow the clocks' arithmetic when a restarted sbcd converts it.
    wall_time wall() {
        constexpr int64_t century_ms = int64_t(100) * 366 * 24 * 3600 * 1000;
        const int64_t ms = i64();
        if (ok_ && (ms > century_ms || ms < -century_ms)) {
            fail("a time " + std::to_string(ms) + " ms from 1970");
        }
        if (!ok_) {
            return {};
        }
        return wall_time(
            std::chrono::duration_cast<wall_time::duration>(std::chrono::milliseconds(ms)));
    }
    // A string of at most `max` bytes (a longer one is not one we wrote).
    std::string str(size_t max) {
        const uint32_t n = u32();
        if (!ok_) {
            return {};
        }
        if (n > max) {
            fail("a string of " + std::to_string(n) + " bytes (at most " + std::to_string(max) +
                 ")");
            return {};
        }
        if (!need(n, "a string")) {
            return {};
        }
        std::string s(in_.substr(at_, n));
        at_ += n;
        return s;
    }
    bool boolean() {
        const uint8_t v = u8();
        if (ok_ && v > 1) {
            fail("a flag of value " + std::to_string(v));
        }
        return v == 1;
    }

    // The first thing that was wrong, with where.
    void fail(std::string why) {
        if (ok_) {
            ok_ = false;
            why_ = why + " at byte " + std::to_string(at_);
        }
    }
    bool ok() const { return ok_; }
    // Everything was read and nothing is left over (trailing bytes: not a record we wrote).
    bool finished() {
        if (ok_ && at_ != in_.size()) {
            fail(std::to_string(in_.size() - at_) + " bytes left over");
        }
        return ok_;
    }
    const std::string& why() const { return why_; }

  private:
    bool need(size_t n, const char* what) {
        if (!ok_) {
            return false;
        }
        if (in_.size() - at_ < n) {
            fail(std::string("cut short reading ") + what);
            return false;
        }
        return true;
    }
    uint64_t uint_n(int n, const char* what) {
        if (!need(static_cast<size_t>(n), what)) {
            return 0;
        }
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) {
            v |= uint64_t(static_cast<uint8_t>(in_[at_ + i])) << (8 * i);
        }
        at_ += static_cast<size_t>(n);
        return v;
    }

    std::string_view in_;
    size_t at_ = 0;
    bool ok_ = true;
    std::string why_;
};

}  // namespace sbc::cp::state
