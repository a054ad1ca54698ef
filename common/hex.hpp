#pragma once
// Bytes as lowercase hex: identifiers and digests (the installation identity, the SIP trace's
// pcap addresses) and the `\xHH` escape that every place showing peer bytes to an operator uses
// (log lines, sbcctl's terminal text, exception texts). One table instead of six.

#include <cstddef>
#include <string>
#include <string_view>

namespace sbc {

inline void append_hex(std::string& out, unsigned char b) {
    static constexpr char digits[] = "0123456789abcdef";
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
}

inline std::string hex(const unsigned char* bytes, std::size_t n) {
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        append_hex(out, bytes[i]);
    }
    return out;
}

inline std::string hex(std::string_view bytes) {
    return hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// `\xHH`: how a byte that must not reach a log or a terminal as itself is shown.
inline void append_escaped_byte(std::string& out, unsigned char b) {
    out.append("\\x");
    append_hex(out, b);
}

}  // namespace sbc
