#include "sip/transport/callback_guard.hpp"

#include <cstdio>
#include <string>

#include "common/hex.hpp"

namespace sbc::sip {

namespace {

// what() may carry peer bytes: one line, control characters and non-ASCII as \xHH.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 512)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\') {
            out.push_back(c);
        } else {
            append_escaped_byte(out, u);
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
