#pragma once
// Peer bytes in sbcd's log lines. A log line is one line: a CR or LF from a peer (a Call-ID, a
// Reason, an SDP line quoted in a refusal) would start a forged line of its own (log
// injection), an ESC would drive the terminal of whoever tails the log, and a 20 kB SDP line
// would flood it. log_text() makes any bytes safe to log: printable ASCII and well-formed UTF-8
// stay (C1 controls and U+2028/U+2029 excepted), a backslash becomes "\\", every other byte
// "\xNN", and text beyond `max_bytes` is cut with a note of how much was left out. The rule is
// in controlplane/README.md ("Peer bytes").

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sbc::cp {

inline constexpr std::size_t log_text_max = 256;

std::string log_text(std::string_view bytes, std::size_t max_bytes = log_text_max);

// Lines about what peers did (a refused message, a caught exception) are limited: a peer that
// can make sbcd log must not get to flood the log. allow() says whether a line may go out now
// (at most `per_second` a second); `held_back` is then how many were not logged since the last.
class log_limiter {
  public:
    explicit log_limiter(unsigned per_second = 5) : per_second_(per_second) {}
    bool allow(std::uint64_t& held_back);

  private:
    unsigned per_second_;
    unsigned in_window_ = 0;
    std::chrono::steady_clock::time_point window_{};
    std::uint64_t held_back_ = 0;
};

}  // namespace sbc::cp
