#include "config/address.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace sbc::config {
namespace {

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

uint8_t hex_value(char c) {
    if (c <= '9') {
        return static_cast<uint8_t>(c - '0');
    }
    return static_cast<uint8_t>((c | 0x20) - 'a' + 10);
}

std::optional<uint32_t> parse_decimal(std::string_view text) {
    uint32_t value = 0;
    if (text.empty() || text.size() > 9) {
        return std::nullopt;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

bool is_dns_name(std::string_view text) {
    if (text.empty() || text.size() > 253) {
        return false;
    }
    if (text.back() == '.') {
        text.remove_suffix(1);
    }
    bool all_numeric = true;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t dot = text.find('.', start);
        if (dot == std::string_view::npos) {
            dot = text.size();
        }
        std::string_view label = text.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (char c : label) {
            bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            bool digit = c >= '0' && c <= '9';
            if (!alpha && !digit && c != '-') {
                return false;
            }
            all_numeric = all_numeric && digit;
        }
        start = dot + 1;
    }
    // "10.1.2" is neither a valid IPv4 literal nor a sensible name.
    return !all_numeric;
}

}  // namespace

bool ip_address::is_unspecified() const {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

std::optional<ip_address> parse_ip(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    std::string z(text);
    ip_address out;
    if (inet_pton(AF_INET, z.c_str(), out.bytes.data()) == 1) {
        out.family = AF_INET;
        return out;
    }
    if (inet_pton(AF_INET6, z.c_str(), out.bytes.data()) == 1) {
        out.family = AF_INET6;
        return out;
    }
    return std::nullopt;
}

bool ip_prefix::contains(const ip_address& address) const {
    if (address.family != network.family) {
        return false;
    }
    unsigned full = length / 8;
    unsigned rest = length % 8;
    if (!std::equal(network.bytes.begin(), network.bytes.begin() + full, address.bytes.begin())) {
        return false;
    }
    if (rest == 0) {
        return true;
    }
    auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (network.bytes[full] & mask) == (address.bytes[full] & mask);
}

std::optional<ip_prefix> parse_cidr(std::string_view text, bool allow_host_bits) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto address = parse_ip(text.substr(0, slash));
    auto length = parse_decimal(text.substr(slash + 1));
    if (!address || !length || text.size() - slash - 1 > 3) {
        return std::nullopt;
    }
    uint32_t max = address->family == AF_INET ? 32 : 128;
    if (*length > max) {
        return std::nullopt;
    }
    ip_prefix out{*address, static_cast<uint8_t>(*length)};
    if (!allow_host_bits) {
        for (uint32_t bit = *length; bit < max; ++bit) {
            if (out.network.bytes[bit / 8] & (0x80 >> (bit % 8))) {
                return std::nullopt;
            }
        }
    }
    return out;
}

std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view text) {
    if (text.size() != 17) {
        return std::nullopt;
    }
    std::array<uint8_t, 6> out{};
    for (std::size_t i = 0; i < 6; ++i) {
        char hi = text[i * 3];
        char lo = text[i * 3 + 1];
        if (!is_hex(hi) || !is_hex(lo) || (i < 5 && text[i * 3 + 2] != ':')) {
            return std::nullopt;
        }
        out[i] = static_cast<uint8_t>(hex_value(hi) << 4 | hex_value(lo));
    }
    return out;
}

bool is_host(std::string_view text) {
    return parse_ip(text).has_value() || is_dns_name(text);
}

bool is_https_url(std::string_view text) {
    constexpr std::string_view scheme = "https://";
    if (text.substr(0, scheme.size()) != scheme) {
        return false;
    }
    std::string_view rest = text.substr(scheme.size());
    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view path = rest.substr(authority.size());
    for (char c : path) {
        if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\') {
            return false;
        }
    }
    std::string_view host = authority;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        auto v6 = parse_ip(authority.substr(1, close - 1));
        if (!v6 || v6->family != AF_INET6) {
            return false;
        }
        host = {};
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':') {
            return false;
        }
    } else {
        auto colon = authority.find(':');
        host = authority.substr(0, colon);
        authority.remove_prefix(host.size());
        if (!is_host(host)) {
            return false;
        }
    }
    if (!authority.empty()) {
        auto port = parse_decimal(authority.substr(1));
        if (!port || *port == 0 || *port > 65535) {
            return false;
        }
    }
    return true;
}

std::optional<std::vector<uint32_t>> parse_lcore_list(std::string_view text, uint32_t limit) {
    std::vector<uint32_t> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) {
            comma = text.size();
        }
        std::string_view item = text.substr(start, comma - start);
        auto dash = item.find('-');
        auto first = parse_decimal(item.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : parse_decimal(item.substr(dash + 1));
        if (!first || !last || *first > *last || *last >= limit) {
            return std::nullopt;
        }
        for (uint32_t lcore = *first; lcore <= *last; ++lcore) {
            if (std::find(out.begin(), out.end(), lcore) != out.end()) {
                return std::nullopt;
            }
            out.push_back(lcore);
        }
        start = comma + 1;
    }
    return out;
}

}  // namespace sbc::config
