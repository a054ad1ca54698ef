#include "sip/transport/socket_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstddef>
#include <cstring>

namespace sbc::sip {

std::optional<socket_address> socket_address::from_ip(std::string_view ip, std::uint16_t port) {
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') {
        ip = ip.substr(1, ip.size() - 2);
    }
    if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    char text[INET6_ADDRSTRLEN] = {};
    std::memcpy(text, ip.data(), ip.size());
    socket_address a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return a;
    }
    a.storage_ = {};
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return a;
    }
    return std::nullopt;
}

std::optional<socket_address> socket_address::parse(std::string_view text,
                                                    std::uint16_t default_port) {
    std::string_view host = text;
    std::uint16_t port = default_port;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(0, close + 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') {
                return std::nullopt;
            }
            port_text = text.substr(close + 2);
        }
    } else if (const auto colon = text.find(':');
               colon != std::string_view::npos &&
               text.find(':', colon + 1) == std::string_view::npos) {
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    if (!port_text.empty() || (host.size() < text.size())) {
        unsigned value = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value > 65535 ||
            port_text.empty()) {
            return std::nullopt;
        }
        port = static_cast<std::uint16_t>(value);
    }
    return from_ip(host, port);
}

socket_address socket_address::from_sockaddr(const sockaddr* sa, socklen_t len) {
    socket_address a;
    if (sa != nullptr && len > 0 && static_cast<std::size_t>(len) <= sizeof a.storage_) {
        std::memcpy(&a.storage_, sa, static_cast<std::size_t>(len));
    }
    return a;
}

std::uint16_t socket_address::port() const {
    if (family() == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    }
    if (family() == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    }
    return 0;
}

void socket_address::set_port(std::uint16_t port) {
    if (family() == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
    } else if (family() == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
    }
}

socklen_t socket_address::size() const {
    if (family() == AF_INET) {
        return sizeof(sockaddr_in);
    }
    if (family() == AF_INET6) {
        return sizeof(sockaddr_in6);
    }
    return 0;
}

std::string socket_address::ip() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text,
                  sizeof text);
    } else if (family() == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text,
                  sizeof text);
    }
    return text;
}

std::string socket_address::to_string() const {
    std::string out;
    const bool v6 = family() == AF_INET6;
    if (v6) {
        out.push_back('[');
    }
    out.append(ip());
    if (v6) {
        out.push_back(']');
    }
    out.push_back(':');
    out.append(std::to_string(port()));
    return out;
}

std::string socket_address::ip_key() const {
    std::string key;
    if (family() == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr;
        key.reserve(1 + sizeof in);
        key.push_back('4');
        key.append(reinterpret_cast<const char*>(&in), sizeof in);
    } else if (family() == AF_INET6) {
        const auto& in = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
        key.reserve(1 + sizeof in);
        key.push_back('6');
        key.append(reinterpret_cast<const char*>(&in), sizeof in);
    }
    return key;
}

bool socket_address::is_any() const {
    if (family() == AF_INET) {
        return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == INADDR_ANY;
    }
    if (family() == AF_INET6) {
        return IN6_IS_ADDR_UNSPECIFIED(
            &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    }
    return false;
}

bool operator==(const socket_address& a, const socket_address& b) {
    if (a.family() != b.family() || a.port() != b.port()) {
        return false;
    }
    if (a.family() == AF_INET) {
        return reinterpret_cast<const sockaddr_in*>(&a.storage_)->sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in*>(&b.storage_)->sin_addr.s_addr;
    }
    if (a.family() == AF_INET6) {
        return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&a.storage_)->sin6_addr,
                           &reinterpret_cast<const sockaddr_in6*>(&b.storage_)->sin6_addr,
                           sizeof(in6_addr)) == 0;
    }
    return true;
}

std::size_t socket_address_hash::operator()(const socket_address& a) const {
    std::size_t h =
        std::size_t{a.port()} * 0x9e3779b97f4a7c15ull + static_cast<std::size_t>(a.family());
    const auto* bytes = reinterpret_cast<const unsigned char*>(a.sa());
    const std::size_t n = a.family() == AF_INET ? sizeof(sockaddr_in) : a.size();
    const std::size_t from =
        a.family() == AF_INET ? offsetof(sockaddr_in, sin_addr) : offsetof(sockaddr_in6, sin6_addr);
    const std::size_t len = a.family() == AF_INET ? sizeof(in_addr) : sizeof(in6_addr);
    if (n > 0) {
        for (std::size_t i = from; i < from + len; ++i) {
            h = (h ^ bytes[i]) * 0x100000001b3ull;
        }
    }
    return h;
}

}  // namespace sbc::sip
