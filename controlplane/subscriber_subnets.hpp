#pragma once
// Remote-subscriber subnets ([[remote_subscribers.subnet]]): which sources may use the access
// realm, and the certificate profile presented to and the media profile used for each. The most
// specific subnet containing a source wins (so `0.0.0.0/0` can sit beside narrower entries);
// a source outside every subnet is refused.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config/appliance.hpp"
#include "sip/transport/socket_address.hpp"

namespace sbc::cp {

struct ip_prefix {
    int family = 0;  // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> bytes{};
    unsigned length = 0;  // prefix bits

    // "198.51.100.0/24", "2001:db8::/32"; nullopt when malformed.
    static std::optional<ip_prefix> parse(std::string_view cidr);
    bool contains(const sip::socket_address& a) const;
};

struct subscriber_subnet {
    ip_prefix prefix;
    std::string cidr;  // as configured, for status and logs
    std::string certificate_profile;
    std::string media_profile;
};

class subscriber_subnets {
  public:
    subscriber_subnets() = default;
    // Empty when remote subscribers are disabled. The loader has validated every CIDR.
    static subscriber_subnets from_config(const config::appliance& cfg);

    void add(subscriber_subnet s);
    // The most specific subnet that contains `source`, or nullptr.
    const subscriber_subnet* match(const sip::socket_address& source) const;
    const std::vector<subscriber_subnet>& all() const { return subnets_; }

  private:
    std::vector<subscriber_subnet> subnets_;  // most specific first
};

}  // namespace sbc::cp
