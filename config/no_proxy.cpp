#include "config/no_proxy.hpp"

#include <sys/socket.h>

#include <cctype>

namespace sbc::config {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + unsigned(c - '0');
    }
    if (value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

ip_prefix full_prefix(const ip_address& a) {
    return {a, static_cast<std::uint8_t>(a.family == AF_INET6 ? 128 : 32)};
}

}  // namespace

std::optional<no_proxy_entry> parse_no_proxy_entry(std::string_view text) {
    text = trim(text);
    if (text.empty()) {
        return std::nullopt;
    }
    no_proxy_entry e;
    if (text == "*") {
        return e;
    }
    std::string_view host = text;
    // "[v6]" or "[v6]:port"; a bare IPv6 literal (several colons) has no port.
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return std::nullopt;
            }
            auto port = parse_port(rest.substr(1));
            if (!port) {
                return std::nullopt;
            }
            e.port = *port;
        }
    } else if (const auto colon = text.rfind(':');
               colon != std::string_view::npos && text.find(':') == colon) {
        auto port = parse_port(text.substr(colon + 1));
        if (!port) {
            return std::nullopt;
        }
        e.port = *port;
        host = text.substr(0, colon);
    }
    if (auto ip = parse_ip(host)) {
        e.what = no_proxy_entry::kind::address;
        e.prefix = full_prefix(*ip);
        return e;
    }
    if (host.find('/') != std::string_view::npos) {
        // curl accepts host bits in a NO_PROXY CIDR (10.1.2.3/8 is 10.0.0.0/8); so do we.
        auto prefix = parse_cidr(host, true);
        if (!prefix) {
            return std::nullopt;
        }
        e.what = no_proxy_entry::kind::address;
        e.prefix = *prefix;
        return e;
    }
    if (!host.empty() && host.front() == '.') {
        host.remove_prefix(1);
    }
    if (host.empty() || !is_host(host)) {
        return std::nullopt;
    }
    e.what = no_proxy_entry::kind::domain;
    e.domain = lower(host);
    return e;
}

bool no_proxy_entry::matches(std::string_view host, std::uint16_t dest_port) const {
    if (port != 0 && port != dest_port) {
        return false;
    }
    switch (what) {
        case kind::any:
            return true;
        case kind::address: {
            if (!host.empty() && host.front() == '[' && host.back() == ']') {
                host = host.substr(1, host.size() - 2);
            }
            auto ip = parse_ip(host);
            return ip && prefix.contains(*ip);
        }
        case kind::domain: {
            const std::string h = lower(host);
            if (h == domain) {
                return true;
            }
            return h.size() > domain.size() && h.ends_with(domain) &&
                   h[h.size() - domain.size() - 1] == '.';
        }
    }
    return false;
}

bool no_proxy_list::bypass(std::string_view host, std::uint16_t port) const {
    for (const auto& e : entries) {
        if (e.matches(host, port)) {
            return true;
        }
    }
    return false;
}

no_proxy_list parse_no_proxy(std::string_view text) {
    no_proxy_list out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view item = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        if (item.empty()) {
            continue;
        }
        if (auto e = parse_no_proxy_entry(item)) {
            out.entries.push_back(std::move(*e));
        } else {
            out.rejected.emplace_back(item);
        }
    }
    return out;
}

}  // namespace sbc::config
