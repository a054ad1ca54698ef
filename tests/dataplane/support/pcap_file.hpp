#pragma once
// Minimal classic pcap (libpcap 2.4, Ethernet) reader and writer for the dataplane tests.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace sbc::test {

inline bool write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        return false;
    }
    const uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    std::fwrite(gh, sizeof gh, 1, f);
    uint32_t usec = 0;
    for (const auto& fr : frames) {
        const uint32_t rh[4] = {1700000000, usec, static_cast<uint32_t>(fr.size()),
                                static_cast<uint32_t>(fr.size())};
        usec += 20;
        std::fwrite(rh, sizeof rh, 1, f);
        std::fwrite(fr.data(), 1, fr.size(), f);
    }
    return std::fclose(f) == 0;
}

inline std::vector<std::vector<uint8_t>> read_pcap(const std::string& path) {
    std::vector<std::vector<uint8_t>> out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        return out;
    }
    uint32_t gh[6];
    if (std::fread(gh, sizeof gh, 1, f) != 1 || (gh[0] != 0xa1b2c3d4 && gh[0] != 0xa1b23c4d)) {
        std::fclose(f);
        return out;
    }
    uint32_t rh[4];
    while (std::fread(rh, sizeof rh, 1, f) == 1) {
        std::vector<uint8_t> fr(rh[2]);
        if (rh[2] > 65535 || std::fread(fr.data(), 1, fr.size(), f) != fr.size()) {
            break;
        }
        out.push_back(std::move(fr));
    }
    std::fclose(f);
    return out;
}

}  // namespace sbc::test
