#include "controlplane/log_text.hpp"

#include "common/hex.hpp"

namespace sbc::cp {

namespace {

// Length of the well-formed UTF-8 sequence at `s[i]` (RFC 3629 §4 table: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF && cont(1)) {
        cp = (char32_t(c & 0x1F) << 6) | (b(1) & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
        if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) {
            return 0;
        }
        cp = (char32_t(c & 0x0F) << 12) | (char32_t(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
        if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) {
            return 0;
        }
        cp = (char32_t(c & 0x07) << 18) | (char32_t(b(1) & 0x3F) << 12) |
             (char32_t(b(2) & 0x3F) << 6) | (b(3) & 0x3F);
        return 4;
    }
    return 0;
}

void escape_byte(std::string& out, unsigned char c) {
    append_escaped_byte(out, c);
}

}  // namespace

std::string log_text(std::string_view bytes, std::size_t max_bytes) {
    const std::string_view shown = bytes.substr(0, std::min(bytes.size(), max_bytes));
    std::string out;
    out.reserve(shown.size() + 16);
    for (std::size_t i = 0; i < shown.size();) {
        const auto c = static_cast<unsigned char>(shown[i]);
        if (c >= 0x20 && c < 0x7F) {
            if (c == '\\') {
                out.append("\\\\");
            } else {
                out.push_back(static_cast<char>(c));
            }
            ++i;
            continue;
        }
        char32_t cp = 0;
        const std::size_t n = c >= 0x80 ? utf8_sequence(shown, i, cp) : 0;
        const bool control = cp < 0xA0 || cp == 0x2028 || cp == 0x2029;
        if (n == 0 || control) {
            escape_byte(out, c);
            ++i;
            continue;
        }
        out.append(shown.substr(i, n));
        i += n;
    }
    if (bytes.size() > shown.size()) {
        out.append("...(+").append(std::to_string(bytes.size() - shown.size())).append(" bytes)");
    }
    return out;
}

bool log_limiter::allow(std::uint64_t& held_back) {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_ >= std::chrono::seconds(1)) {
        window_ = now;
        in_window_ = 0;
    }
    if (in_window_ >= per_second_) {
        ++held_back_;
        return false;
    }
    ++in_window_;
    held_back = held_back_;
    held_back_ = 0;
    return true;
}

}  // namespace sbc::cp
