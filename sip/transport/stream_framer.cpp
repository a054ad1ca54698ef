#include "sip/transport/stream_framer.hpp"

#include <algorithm>
#include <cstring>

namespace sbc::sip {

namespace {

constexpr std::string_view frame_error_names[] = {
#define SBC_SIP_FRAME_ERROR_NAME(name, text) #name,
    SBC_SIP_FRAME_ERRORS(SBC_SIP_FRAME_ERROR_NAME)
#undef SBC_SIP_FRAME_ERROR_NAME
};

// Buffers larger than this are given back once they drain, so one large message does not pin
// memory on an idle connection.
constexpr std::size_t keep_capacity = std::size_t{64} * 1024;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// Length of a line without its terminator (LF or CRLF).
std::size_t line_length(const char* line, std::size_t with_lf) {
    std::size_t n = with_lf - 1;
    if (n > 0 && line[n - 1] == '\r') {
        --n;
    }
    return n;
}

}  // namespace

std::string_view frame_error_name(frame_error e) {
    return frame_error_names[static_cast<std::size_t>(e)];
}

std::span<char> stream_framer::prepare(std::size_t n) {
    if (consumed_ > 0) {
        begin_ += consumed_;
        consumed_ = 0;
    }
    if (begin_ == end_) {
        begin_ = end_ = 0;
        if (buf_.size() > keep_capacity && n <= keep_capacity) {
            std::vector<char>().swap(buf_);
        }
    }
    if (buf_.size() - end_ < n) {
        if (begin_ > 0) {
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (buf_.size() - end_ < n) {
            buf_.resize(std::max(end_ + n, buf_.size() * 2));
        }
    }
    return {buf_.data() + end_, buf_.size() - end_};
}

void stream_framer::append(std::string_view bytes) {
    if (bytes.empty()) {
        return;  // memcpy from/to a null pointer is undefined even for 0 bytes
    }
    auto space = prepare(bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

stream_frame stream_framer::fail(frame_error e, bool with_head) {
    return fail_after(e, with_head ? head_size_ : 0);
}

stream_frame stream_framer::fail_after(frame_error e, std::size_t lines) {
    error_ = e;
    stream_frame f;
    f.kind = frame_kind::error;
    f.error = e;
    f.head = std::string_view(buf_.data() + begin_, lines);
    return f;
}

std::optional<frame_error> stream_framer::scan_header_line(std::size_t line_start,
                                                           std::size_t line_end) {
    const std::string_view line(buf_.data() + begin_ + line_start, line_end - line_start);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;  // not ours to judge: the parser rejects it
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) {
        name.remove_suffix(1);
    }
    if (!iequals(name, "content-length") && !iequals(name, "l")) {
        return std::nullopt;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (is_wsp(value.front()))) {
        value.remove_prefix(1);
    }
    while (!value.empty() &&
           (is_wsp(value.back()) || value.back() == '\r' || value.back() == '\n')) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return frame_error::bad_content_length;
    }
    std::size_t n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') {
            return frame_error::bad_content_length;
        }
        // Saturate: anything this large fails the size check anyway.
        n = n > (SIZE_MAX / 20) ? SIZE_MAX / 2 : n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (content_length_ && *content_length_ != n) {
        return frame_error::bad_content_length;  // conflicting lengths: a smuggling attempt
    }
    content_length_ = n;
    return std::nullopt;
}

stream_frame stream_framer::next() {
    if (consumed_ > 0) {
        begin_ += consumed_;
        consumed_ = 0;
        search_ = line_start_ = field_start_ = headers_ = head_size_ = 0;
        content_length_.reset();
        start_line_seen_ = bad_length_ = false;
    }
    if (error_ != frame_error::none) {
        stream_frame f;
        f.kind = frame_kind::error;
        f.error = error_;
        return f;
    }
    const char* p = buf_.data() + begin_;
    const std::size_t avail = end_ - begin_;

    if (search_ == 0) {
        // Between messages: RFC 5626 §4.4.1 keep-alives. A CRLF that could be the first half of
        // a ping split across reads is taken as a pong; if the second half follows at once it
        // completes a ping.
        if (avail == 0 || (avail == 1 && p[0] == '\r')) {
            return stream_frame{};
        }
        if (p[0] == '\r' && p[1] == '\n') {
            stream_frame f;
            if (avail >= 4 && p[2] == '\r' && p[3] == '\n') {
                consumed_ = 4;
                after_crlf_ = false;
                f.kind = frame_kind::ping;
            } else if (after_crlf_) {
                consumed_ = 2;
                after_crlf_ = false;
                f.kind = frame_kind::ping;
            } else {
                consumed_ = 2;
                after_crlf_ = true;
                f.kind = frame_kind::pong;
            }
            return f;
        }
        after_crlf_ = false;
    }

    while (head_size_ == 0) {
        const void* lf = std::memchr(p + search_, '\n', avail - search_);
        if (lf == nullptr) {
            search_ = avail;
            const bool fold = start_line_seen_ && line_start_ < avail && is_wsp(p[line_start_]);
            const std::size_t field = fold ? field_start_ : line_start_;
            const std::size_t partial = avail - field;
            if (partial > limits_.max_line_length + 1) {  // +1: the CR of a CRLF not yet seen
                return fail_after(frame_error::line_too_long, start_line_seen_ ? field : 0);
            }
            if (avail > limits_.max_message_size) {
                return fail_after(frame_error::header_too_large, start_line_seen_ ? field : 0);
            }
            if (avail > limits_.max_pending_bytes) {
                return fail(frame_error::pending_overflow, false);
            }
            return stream_frame{};
        }
        const std::size_t line_end = static_cast<std::size_t>(static_cast<const char*>(lf) - p) + 1;
        const std::size_t len = line_length(p + line_start_, line_end - line_start_);
        if (len == 0) {
            head_size_ = line_end;
        } else if (!start_line_seen_) {
            start_line_seen_ = true;
            if (len > limits_.max_line_length) {
                return fail(frame_error::line_too_long, false);
            }
        } else if (is_wsp(p[line_start_])) {
            if (line_length(p + field_start_, line_end - field_start_) > limits_.max_line_length) {
                return fail_after(frame_error::line_too_long, field_start_);
            }
        } else {
            if (++headers_ > limits_.max_headers) {
                return fail_after(frame_error::too_many_headers, line_start_);
            }
            if (len > limits_.max_line_length) {
                return fail_after(frame_error::line_too_long, line_start_);
            }
            field_start_ = line_start_;
            // A bad Content-Length is answered (400), so finish the head before failing.
            if (scan_header_line(line_start_, line_end)) {
                bad_length_ = true;
            }
        }
        if (line_end > limits_.max_message_size) {
            return fail_after(frame_error::header_too_large, line_start_);
        }
        line_start_ = search_ = line_end;
    }

    if (bad_length_) {
        return fail(frame_error::bad_content_length, true);
    }
    if (!content_length_) {
        return fail(frame_error::missing_content_length, true);
    }
    if (*content_length_ > limits_.max_message_size - head_size_) {
        return fail(frame_error::body_too_large, true);
    }
    const std::size_t total = head_size_ + *content_length_;
    if (avail < total) {
        if (avail > limits_.max_pending_bytes) {
            return fail(frame_error::pending_overflow, false);
        }
        return stream_frame{};
    }
    consumed_ = total;
    stream_frame f;
    f.kind = frame_kind::message;
    f.bytes = std::string_view(p, total);
    f.head = std::string_view(p, head_size_);
    return f;
}

}  // namespace sbc::sip
