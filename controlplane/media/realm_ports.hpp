#pragma once
// The media port pools of the realms (one per realm, from its media_port_min..max): a call takes
// one port in each leg's realm, both or none, and gives them back when it ends.
//
// The last calls.emergency_port_reserve ports of every pool are the emergency calls' (issue 13:
// an emergency call is never refused for lack of media ports): an ordinary call is refused while
// taking its ports would leave fewer than the reserve free; an emergency call takes any port.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "controlplane/media/port_pool.hpp"
#include "controlplane/result.hpp"

namespace sbc::cp::media {

class realm_ports {
  public:
    explicit realm_ports(const config::appliance& cfg);

    // A port in `a`'s realm and one in `b`'s, or the status naming the realm that ran out.
    struct pair {
        uint16_t a = 0, b = 0;
    };
    cp::result<pair> allocate(const config::realm& a, const config::realm& b,
                              bool emergency = false);
    void release(const config::realm& r, uint16_t port);
    // A specific port of `r`'s pool (one a flow found at start uses); false when it is taken or
    // outside the pool.
    bool take(const config::realm& r, uint16_t port);

    // {"<realm>": {"capacity": n, "used": n, "emergency_reserve": n}, ...}
    nlohmann::json json() const;

  private:
    port_pool& of(const config::realm& r);

    std::map<std::string, port_pool, std::less<>> pools_;
    std::size_t reserve_ = 0;  // calls.emergency_port_reserve
};

}  // namespace sbc::cp::media
