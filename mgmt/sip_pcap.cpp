#include "mgmt/sip_pcap.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <optional>
#include <vector>

namespace sbc::mgmt {

namespace {

struct endpoint {
    int family = AF_INET;
    std::array<std::uint8_t, 16> ip{};
    std::uint16_t port = 0;
};

std::optional<endpoint> parse_endpoint(std::string_view text) {
    endpoint e;
    std::string host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
        e.family = AF_INET6;
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
    }
    if (inet_pton(e.family, host.c_str(), e.ip.data()) != 1 || port.empty() || port.size() > 5) {
        return std::nullopt;
    }
    unsigned p = 0;
    for (char c : port) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p > 65535) {
        return std::nullopt;
    }
    e.port = static_cast<std::uint16_t>(p);
    return e;
}

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}

// RFC 1071 one's complement sum over `data`, added to `sum`.
std::uint32_t sum16(const std::uint8_t* data, std::size_t n, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    }
    if (n % 2 == 1) {
        sum += static_cast<std::uint32_t>(data[n - 1] << 8);
    }
    return sum;
}

std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

template <class T>
void put_le(std::ostream& out, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        out.put(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
    }
}

}  // namespace

sip_pcap_writer::sip_pcap_writer(std::ostream& out) : out_(out) {
    put_le<std::uint32_t>(out_, 0xa1b23c4d);  // nanosecond timestamps
    put_le<std::uint16_t>(out_, 2);
    put_le<std::uint16_t>(out_, 4);
    put_le<std::int32_t>(out_, 0);
    put_le<std::uint32_t>(out_, 0);
    put_le<std::uint32_t>(out_, 65535);
    put_le<std::uint32_t>(out_, 101);  // LINKTYPE_RAW
}

bool sip_pcap_writer::write(const pcap_message& m) {
    const auto src = parse_endpoint(m.source);
    const auto dst = parse_endpoint(m.destination);
    if (!src || !dst || src->family != dst->family) {
        return false;
    }
    // A UDP datagram carries at most 65,507 bytes over IPv4; SIP messages sbcd takes are
    // smaller (sip.max_message_size), anything beyond is cut.
    const std::string_view payload = m.bytes.substr(0, 65000);
    const auto udp_len = static_cast<std::uint16_t>(8 + payload.size());
    const std::size_t addr_len = src->family == AF_INET ? 4 : 16;

    // The UDP checksum over the pseudo-header (RFC 768; RFC 8200 §8.1 for IPv6).
    std::vector<std::uint8_t> udp;
    put16(udp, src->port);
    put16(udp, dst->port);
    put16(udp, udp_len);
    put16(udp, 0);
    udp.insert(udp.end(), payload.begin(), payload.end());
    std::uint32_t sum = sum16(src->ip.data(), addr_len);
    sum = sum16(dst->ip.data(), addr_len, sum);
    sum += 17 + udp_len;
    sum = sum16(udp.data(), udp.size(), sum);
    std::uint16_t check = fold(sum);
    if (check == 0) {
        check = 0xffff;
    }
    udp[6] = static_cast<std::uint8_t>(check >> 8);
    udp[7] = static_cast<std::uint8_t>(check);

    std::vector<std::uint8_t> ip;
    if (src->family == AF_INET) {
        ip = {0x45, 0};
        put16(ip, static_cast<std::uint16_t>(20 + udp_len));
        put16(ip, 0);       // identification
        put16(ip, 0x4000);  // don't fragment
        ip.push_back(64);
        ip.push_back(17);
        put16(ip, 0);
        ip.insert(ip.end(), src->ip.begin(), src->ip.begin() + 4);
        ip.insert(ip.end(), dst->ip.begin(), dst->ip.begin() + 4);
        const std::uint16_t hcheck = fold(sum16(ip.data(), ip.size()));
        ip[10] = static_cast<std::uint8_t>(hcheck >> 8);
        ip[11] = static_cast<std::uint8_t>(hcheck);
    } else {
        ip = {0x60, 0, 0, 0};
        put16(ip, udp_len);
        ip.push_back(17);
        ip.push_back(64);
        ip.insert(ip.end(), src->ip.begin(), src->ip.end());
        ip.insert(ip.end(), dst->ip.begin(), dst->ip.end());
    }
    const auto len = static_cast<std::uint32_t>(ip.size() + udp.size());
    put_le<std::uint32_t>(out_, static_cast<std::uint32_t>(m.time_ns / 1000000000));
    put_le<std::uint32_t>(out_, static_cast<std::uint32_t>(m.time_ns % 1000000000));
    put_le<std::uint32_t>(out_, len);
    put_le<std::uint32_t>(out_, len);
    out_.write(reinterpret_cast<const char*>(ip.data()), static_cast<std::streamsize>(ip.size()));
    out_.write(reinterpret_cast<const char*>(udp.data()), static_cast<std::streamsize>(udp.size()));
    return static_cast<bool>(out_);
}

}  // namespace sbc::mgmt
