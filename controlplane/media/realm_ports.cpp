#include "controlplane/media/realm_ports.hpp"

namespace sbc::cp::media {

realm_ports::realm_ports(const config::appliance& cfg) {
    for (const config::realm* r : {&cfg.realm.access, &cfg.realm.core}) {
        of(*r);
    }
}

port_pool& realm_ports::of(const config::realm& r) {
    auto it = pools_.find(r.name);
    if (it == pools_.end()) {
        it = pools_.emplace(r.name, port_pool(r.media_port_min, r.media_port_max)).first;
    }
    return it->second;
}

cp::result<realm_ports::pair> realm_ports::allocate(const config::realm& a,
                                                    const config::realm& b) {
    port_pool& pa = of(a);
    port_pool& pb = of(b);
    auto port_a = pa.allocate();
    auto port_b = port_a ? pb.allocate() : std::nullopt;
    if (!port_a || !port_b) {
        if (port_a) {
            pa.release(*port_a);
        }
        return cp::fail("realm " + (port_a ? b.name : a.name));
    }
    return pair{*port_a, *port_b};
}

void realm_ports::release(const config::realm& r, uint16_t port) {
    of(r).release(port);
}

nlohmann::json realm_ports::json() const {
    nlohmann::json ports = nlohmann::json::object();
    for (const auto& [realm, pool] : pools_) {
        ports[realm] = {{"capacity", pool.capacity()}, {"used", pool.used()}};
    }
    return ports;
}

}  // namespace sbc::cp::media
