#include "controlplane/media/realm_ports.hpp"

#include <tuple>

namespace sbc::cp::media {

realm_ports::realm_ports(const config::appliance& cfg)
    : reserve_(cfg.calls.emergency_port_reserve) {
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

cp::result<realm_ports::pair> realm_ports::allocate(const config::realm& a, const config::realm& b,
                                                    bool emergency) {
    port_pool& pa = of(a);
    port_pool& pb = of(b);
    if (!emergency) {
        // Both legs in one realm (a hairpin) take two of its ports.
        const std::size_t need_a = &pa == &pb ? 2 : 1;
        for (const auto& [pool, realm, need] :
             {std::tuple{&pa, &a, need_a}, std::tuple{&pb, &b, std::size_t{1}}}) {
            if (pool->available() >= need && pool->available() < need + reserve_) {
                return cp::fail("realm " + realm->name + " (its last " + std::to_string(reserve_) +
                                " ports are calls.emergency_port_reserve)");
            }
        }
    }
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

bool realm_ports::take(const config::realm& r, uint16_t port) {
    return of(r).take(port);
}

nlohmann::json realm_ports::json() const {
    nlohmann::json ports = nlohmann::json::object();
    for (const auto& [realm, pool] : pools_) {
        ports[realm] = {
            {"capacity", pool.capacity()}, {"used", pool.used()}, {"emergency_reserve", reserve_}};
    }
    return ports;
}

}  // namespace sbc::cp::media
