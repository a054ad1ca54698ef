#include "controlplane/subscriber_subnets.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sbc::cp {

std::optional<ip_prefix> ip_prefix::parse(std::string_view cidr) {
    const auto slash = cidr.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string addr(cidr.substr(0, slash));
    const std::string_view len_text = cidr.substr(slash + 1);
    unsigned len = 0;
    auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (ec != std::errc() || end != len_text.data() + len_text.size() || len_text.empty()) {
        return std::nullopt;
    }
    ip_prefix p;
    if (::inet_pton(AF_INET, addr.c_str(), p.bytes.data()) == 1) {
        p.family = AF_INET;
        if (len > 32) {
            return std::nullopt;
        }
    } else if (::inet_pton(AF_INET6, addr.c_str(), p.bytes.data()) == 1) {
        p.family = AF_INET6;
        if (len > 128) {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    p.length = len;
    return p;
}

bool ip_prefix::contains(const sip::socket_address& a) const {
    if (a.family() != family) {
        return false;
    }
    const std::uint8_t* addr = nullptr;
    if (family == AF_INET) {
        addr = reinterpret_cast<const std::uint8_t*>(
            &reinterpret_cast<const sockaddr_in*>(a.sa())->sin_addr);
    } else {
        addr = reinterpret_cast<const std::uint8_t*>(
            &reinterpret_cast<const sockaddr_in6*>(a.sa())->sin6_addr);
    }
    const unsigned whole = length / 8;
    if (std::memcmp(addr, bytes.data(), whole) != 0) {
        return false;
    }
    const unsigned rest = length % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (addr[whole] & mask) == (bytes[whole] & mask);
}

subscriber_subnets subscriber_subnets::from_config(const config::appliance& cfg) {
    subscriber_subnets out;
    if (!cfg.remote_subscribers.enable) {
        return out;
    }
    for (const auto& s : cfg.remote_subscribers.subnets) {
        if (auto p = ip_prefix::parse(s.cidr)) {
            out.add({*p, s.cidr, s.certificate_profile, s.media_profile});
        }
    }
    return out;
}

void subscriber_subnets::add(subscriber_subnet s) {
    subnets_.push_back(std::move(s));
    std::stable_sort(subnets_.begin(), subnets_.end(), [](const auto& a, const auto& b) {
        return a.prefix.length > b.prefix.length;
    });
}

const subscriber_subnet* subscriber_subnets::match(const sip::socket_address& source) const {
    for (const auto& s : subnets_) {
        if (s.prefix.contains(source)) {
            return &s;
        }
    }
    return nullptr;
}

}  // namespace sbc::cp
