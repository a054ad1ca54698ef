#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sbc::sip {

// An IPv4 or IPv6 address and port, as the kernel wants it.
class socket_address {
  public:
    socket_address() = default;
    // "192.0.2.1:5060", "[2001:db8::1]:5061"; a bare IP gets `default_port`.
    static std::optional<socket_address> parse(std::string_view text,
                                               std::uint16_t default_port = 0);
    // A literal IPv4 or IPv6 address (IPv6 with or without brackets) and a port.
    static std::optional<socket_address> from_ip(std::string_view ip, std::uint16_t port);
    static socket_address from_sockaddr(const sockaddr* sa, socklen_t len);

    int family() const { return storage_.ss_family; }
    bool valid() const { return family() == AF_INET || family() == AF_INET6; }
    std::uint16_t port() const;
    void set_port(std::uint16_t port);
    std::string ip() const;         // "192.0.2.1", "2001:db8::1"
    std::string to_string() const;  // "192.0.2.1:5060", "[2001:db8::1]:5061"
    // The address bytes with the family, for per-source accounting (port ignored).
    std::string ip_key() const;
    bool is_any() const;  // 0.0.0.0 or ::

    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t size() const;
    static constexpr socklen_t capacity() { return sizeof(sockaddr_storage); }

    friend bool operator==(const socket_address& a, const socket_address& b);

  private:
    sockaddr_storage storage_{};
};

struct socket_address_hash {
    std::size_t operator()(const socket_address& a) const;
};

}  // namespace sbc::sip
