#pragma once
// Loads message files from tests/sip: LF line ends become CRLF (SIP's line end), and
// <hex>..</hex> spans (the RFC 4475 §2.2 notation) become raw octets untouched by that conversion.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sbc::sip::testing {

inline std::filesystem::path source_dir() {
    const char* dir = std::getenv("SBC_SOURCE_DIR");
    return dir ? std::filesystem::path(dir) : std::filesystem::path(SBC_TEST_SOURCE_DIR);
}

inline std::string decode_message_file(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 5, "<hex>") == 0) {
            std::size_t end = text.find("</hex>", i);
            for (std::size_t j = i + 5; j + 1 < end; j += 2) {
                out.push_back(char(std::stoi(text.substr(j, 2), nullptr, 16)));
            }
            i = end + 6;
            continue;
        }
        if (text[i] == '\n' && (out.empty() || out.back() != '\r')) {
            out += "\r\n";
        } else {
            out.push_back(text[i]);
        }
        ++i;
    }
    return out;
}

inline std::string load_message(const std::filesystem::path& relative) {
    std::ifstream in(source_dir() / relative, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return decode_message_file(ss.str());
}

}  // namespace sbc::sip::testing
