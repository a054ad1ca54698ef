#include "sip/transport/callback_guard.hpp"

#include <cstdio>
#include <string>

namespace sbc::sip {

namespace {

// what() may carry peer bytes: one line, control characters and non-ASCII as \xHH.
std::string printable(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : text.substr(0, 512)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\') {
            out.push_back(c);
        } else {
            out.append("\\x").push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        }
    }
    return out;
}

}  // namespace

callback_guard::callback_guard()
    : reporter_([](std::string_view label, std::string_view what) {
          const std::string line = printable(label) + " threw: " + printable(what);
          std::fprintf(stderr, "sip: %s\n", line.c_str());
      }) {}

void callback_guard::fault(std::string_view label, std::string_view what) noexcept {
    ++faults_;
    if (!reporter_) {
        return;
    }
    try {
        reporter_(label, what);
    } catch (...) {
        // The report is best effort; the count above is what the operator reads.
    }
}

}  // namespace sbc::sip
