#pragma once
// Internal to sip/: the first scan of parse(): start line and header-line boundaries, names
// classified, as offsets into the bytes as given (message.cpp then copies the text and validates).

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace sbc::sip::detail {

// A header line found by the scan.
struct line_entry {
    uint32_t start;      // the line, and its name
    uint32_t raw_size;   // including the final line end
    uint32_t value_off;  // the LWS-trimmed value
    uint32_t value_size;
    uint32_t name_size;
    header_id id;
    bool folded;  // continued on more lines (RFC 3261 §7.3.1): parse() unfolds it
};

// Header lines found by the scan, in order: on the stack for the usual counts.
class line_index {
  public:
    line_index() = default;
    line_index(const line_index&) = delete;
    line_index& operator=(const line_index&) = delete;

    std::size_t size() const { return size_; }
    const line_entry& operator[](std::size_t i) const { return data_[i]; }
    void push_back(const line_entry& e) {
        if (size_ == inline_capacity) {
            heap_.assign(data_, data_ + size_);
        }
        if (size_ >= inline_capacity) {
            heap_.push_back(e);
            data_ = heap_.data();
        } else {
            inline_[size_] = e;
        }
        ++size_;
    }

  private:
    static constexpr std::size_t inline_capacity = 64;
    line_entry inline_[inline_capacity];
    line_entry* data_ = inline_;
    std::size_t size_ = 0;
    std::vector<line_entry> heap_;
};

struct head_scan {
    error_code fatal = error_code::none;       // start line unusable: no answer, stop here
    error_code start_note = error_code::none;  // version; the Request-URI is checked later
    error_code scan_note = error_code::none;   // first fault among the header lines
    // The header scan_note is about, for control_character: its id and its name as written.
    header_id note_id = header_id::other;
    std::string_view note_name;
    bool folds = false;  // some header line is folded
    // LFs the scan stepped over from the start line on, and how many had a CR before them.
    std::size_t line_ends = 0, crlf_ends = 0;
    bool request = false;
    uint16_t status = 0;
    std::string_view start_line, method, ruri_text, version, reason;  // views into the bytes
    std::size_t head_size = 0;
    std::array<uint16_t, header_id_count> first{};  // 1 + index of the first line of each id
    std::array<uint8_t, header_id_count> counts{};  // lines of each id, saturated at 255
    line_index lines;
};

inline header_field field_at(const line_entry& e, const char* text) {
    return header_field{std::string_view(text + e.start, e.name_size),
                        std::string_view(text + e.value_off, e.value_size),
                        std::string_view(text + e.start, e.raw_size), e.id};
}

// Scans `all` from `pos` (past any leading CRLFs): the start line, then the header lines up to
// the empty line (also after a fatal start line, for request_fields). `all` is at most 4 GiB.
void scan_head(std::string_view all, std::size_t pos, const parse_limits& lim, head_scan& h);

}  // namespace sbc::sip::detail
