#pragma once
// Which dialled numbers make an INVITE an emergency call, per realm ([realm.*] emergency_numbers,
// 911 and 933 by default): each pattern is an ECMAScript regex matched against the whole user
// part of the Request-URI (a plain number matches itself), without its user parameters
// ("911;phone-context=+1" is 911). A Request-URI of the RFC 5031 emergency service URN
// (urn:service:sos and its sub-services) is an emergency call on any realm.

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "config/appliance.hpp"
#include "sip/uri.hpp"

namespace sbc::cp::e911 {

class emergency_numbers {
  public:
    // Patterns of a realm; a loaded config's patterns all compile (config/rules.cpp).
    explicit emergency_numbers(const std::vector<std::string>& patterns);

    // The pattern the Request-URI matched ("933", "urn:service:sos"), nullopt when none did.
    std::optional<std::string> match(const sip::uri& request_uri) const;

  private:
    struct rule {
        std::string text;
        std::regex re;
    };
    std::vector<rule> rules_;
};

// The dialled number of a Request-URI: the user part of a sip:/sips: URI or the number of a
// tel: URI, without user parameters; "" when there is none.
std::string_view dialled_number(const sip::uri& u);

}  // namespace sbc::cp::e911
