#include "dataplane/shm/address.hpp"

#include <arpa/inet.h>

#include <cstdio>

namespace sbc::shm {

bool parse_ip(std::string_view text, ip_address& out) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
        return false;
    }
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    ip_address a{};
    if (inet_pton(AF_INET, buf, a.bytes) == 1) {
        a.family = addr_family::ipv4;
        out = a;
        return true;
    }
    if (inet_pton(AF_INET6, buf, a.bytes) == 1) {
        a.family = addr_family::ipv6;
        out = a;
        return true;
    }
    return false;
}

std::string to_string(const ip_address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    switch (a.family) {
        case addr_family::ipv4:
            inet_ntop(AF_INET, a.bytes, buf, sizeof buf);
            return buf;
        case addr_family::ipv6:
            inet_ntop(AF_INET6, a.bytes, buf, sizeof buf);
            return buf;
        case addr_family::none:
            break;
    }
    return "-";
}

std::string to_string(const endpoint& e) {
    std::string out;
    const bool v6 = e.addr.family == addr_family::ipv6;
    if (v6) {
        out.push_back('[');
    }
    out.append(to_string(e.addr));
    if (v6) {
        out.push_back(']');
    }
    out.push_back(':');
    out.append(std::to_string(e.port));
    return out;
}

std::string to_string(const flow_key& k) {
    std::string out("port");
    out.append(std::to_string(k.dpdk_port));
    out.push_back('/');
    out.append(to_string(make_endpoint(k.local_addr, k.local_port)));
    return out;
}

bool parse_mac(std::string_view text, mac_address& out) {
    if (text.size() != 17) {
        return false;
    }
    mac_address m{};
    for (size_t i = 0; i < 6; ++i) {
        uint8_t v = 0;
        for (size_t j = 0; j < 2; ++j) {
            const char c = text[i * 3 + j];
            uint8_t d = 0;
            if (c >= '0' && c <= '9') {
                d = static_cast<uint8_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                d = static_cast<uint8_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                d = static_cast<uint8_t>(c - 'A' + 10);
            } else {
                return false;
            }
            v = static_cast<uint8_t>(v << 4 | d);
        }
        if (i < 5 && text[i * 3 + 2] != ':') {
            return false;
        }
        m[i] = v;
    }
    out = m;
    return true;
}

std::string to_string(const mac_address& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    return buf;
}

}  // namespace sbc::shm
