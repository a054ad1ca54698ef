#pragma once
// Everything the main lcore and the workers share: flow index, leg records, neighbours, media
// addresses, counters, the reclamation domain. Allocated once at start-up; no DPDK here.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/core/flow_index.hpp"
#include "dataplane/core/key_mail.hpp"
#include "dataplane/core/legs.hpp"
#include "dataplane/core/neighbour_table.hpp"
#include "dataplane/core/qsbr.hpp"
#include "dataplane/settings.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::dp {

struct port_info {
    bool present = false;
    shm::mac_address mac{};
    std::vector<media_address> media;  // addresses owned on this port
    uint32_t gateway = 0;              // host order, 0 = none
    bool tx_ip_cksum = false;          // the port fills IPv4 header checksums
    bool tx_udp_cksum = false;         // the port fills UDP checksums
};

template <typename T>
struct aligned_array {
    explicit aligned_array(size_t n) : p(new T[n]()), size(n) {}
    std::unique_ptr<T[]> p;
    size_t size;
    T& operator[](size_t i) { return p[i]; }
    const T& operator[](size_t i) const { return p[i]; }
};

struct tables {
    tables(const settings& s, uint32_t readers, shm::flow_counters* counters);

    uint32_t max_flows;
    flow_index index;
    aligned_array<leg_rt> legs;
    aligned_array<leg_rare> rare;
    stream_array rx_streams;  // unprotect what the leg's peer sends (leg's rx lcore)
    stream_array tx_streams;  // protect what goes to the leg's peer (partner's rx lcore)
    neighbour_table neighbours;
    port_info ports[shm::max_ports];
    shm::flow_counters* counters;  // max_flows entries: the region's, or owned_counters
    std::unique_ptr<shm::flow_counters[]> owned_counters;
    qsbr rcu;
    std::atomic<bool> rx_enabled{true};
    uint64_t tsc_hz = 1'000'000'000;
    uint64_t unix_ns_at_tsc0 = 0;  // wall clock = this + tsc * 1e9 / tsc_hz (RTCP SR NTP time)
    srtp::engine_kind engine = srtp::engine_kind::ipsecmb;
    uint32_t relatch_idle_ms = 2000;
    uint32_t auth_fail_event_ms = 1000;

    // True when `ip` is a media address on `port`.
    bool is_media_address(uint16_t port, uint32_t ip) const {
        if (port >= shm::max_ports) {
            return false;
        }
        for (const auto& m : ports[port].media) {
            if (shm::ipv4_value(m.addr) == ip) {
                return true;
            }
        }
        return false;
    }
};

}  // namespace sbc::dp
