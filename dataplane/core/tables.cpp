#include "dataplane/core/tables.hpp"

#include "dataplane/core/state_size.hpp"  // the per-direction size table is checked here

namespace sbc::dp {

tables::tables(const table_params& s, uint32_t readers, shm::flow_counters* region_counters)
    : max_flows(s.max_flows),
      index(s.max_flows * 2, s.memory),
      legs(s.max_flows, s.memory),
      rare(s.max_flows, s.memory),
      srtp(s.max_flows, s.memory),
      counters(region_counters),
      rcu(readers) {
    solicit_mem = std::make_unique<uint64_t[]>(
        (shm::spsc_ring<solicit_request>::bytes_for(solicit_capacity) + 7) / 8);
    solicits = shm::spsc_ring<solicit_request>::format(solicit_mem.get(), solicit_capacity);
    engine = s.engine;
    relatch_idle_ms = s.relatch_idle_ms;
    auth_fail_event_ms = s.auth_fail_event_ms;
    rx_enabled.store(!s.hold_rx, std::memory_order_relaxed);
    if (counters == nullptr) {
        owned_counters = std::make_unique<shm::flow_counters[]>(s.max_flows);
        counters = owned_counters.get();
    }
    for (uint32_t i = 0; i < max_flows; ++i) {
        legs[i].owner.store(no_owner, std::memory_order_relaxed);
        legs[i].ctl.store(nullptr, std::memory_order_relaxed);
        legs[i].srtp.store(no_slot, std::memory_order_relaxed);
    }
    for (const auto& m : s.media) {
        if (m.dpdk_port < shm::max_ports) {
            ports[m.dpdk_port].media.push_back(m);
        }
    }
    for (const auto& g : s.gateways) {
        if (g.dpdk_port < shm::max_ports) {
            ports[g.dpdk_port].gateway = shm::ipv4_value(g.addr);
        }
    }
    for (const auto& n : s.neighbours) {
        neighbours.set(n.dpdk_port, shm::ipv4_value(n.addr), n.mac, true);
    }
}

}  // namespace sbc::dp
