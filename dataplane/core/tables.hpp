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
#include "dataplane/core/media_address.hpp"
#include "dataplane/core/neighbour_table.hpp"
#include "dataplane/core/qsbr.hpp"
#include "dataplane/shm/contract.hpp"
#include "dataplane/shm/spsc_ring.hpp"
#include "dataplane/srtp/common.hpp"

namespace sbc::dp {

struct port_info {
    bool present = false;
    shm::mac_address mac{};
    std::vector<media_address> media;  // addresses owned on this port
    uint32_t gateway = 0;              // host order, 0 = none
    bool tx_ip_cksum = false;          // the port fills IPv4 header checksums
    bool tx_udp_cksum = false;         // the port fills UDP checksums
};

// A next hop a newly published flow will send to and that is not resolved yet: the main lcore
// asks worker 0 (which owns a tx queue on every port) to send the ARP request, so that the
// flow's first packet finds the neighbour instead of becoming the request itself.
struct solicit_request {
    uint32_t local_ip;  // host order: the ARP sender address
    uint32_t next_hop;  // host order: the address asked for
    uint16_t port;
    uint16_t pad;
};

// What the tables are built from: plain values, so that the core needs neither the process's
// settings nor the EAL (the process maps its settings onto these; tests and benches fill them).
struct table_params {
    uint32_t max_flows = 65536;  // legs (a call has two)
    srtp::engine_kind engine = srtp::engine_kind::ipsecmb;
    bool hold_rx = false;             // no packet is processed until rx_start
    uint32_t relatch_idle_ms = 2000;  // dataplane/README.md "Latching", R2
    uint32_t auth_fail_event_ms = 1000;
    std::vector<media_address> media;
    std::vector<gateway> gateways;
    std::vector<static_neighbour> neighbours;
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
    tables(const table_params& p, uint32_t readers, shm::flow_counters* counters);

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
    // Main lcore -> worker 0 (one writer, one reader); a full ring drops the request (the first
    // packet then asks, as without it).
    static constexpr uint32_t solicit_capacity = 256;
    std::unique_ptr<uint64_t[]> solicit_mem;
    shm::spsc_ring<solicit_request> solicits;
    uint32_t auth_fail_event_ms = 1000;

    // The next hop toward `dst` from the media address `local_ip` (prefix `local_mask`) on
    // `port`: `dst` itself when on-link or when the port has no gateway, else the gateway.
    uint32_t next_hop_ip(uint16_t port, uint32_t local_ip, uint32_t local_mask,
                         uint32_t dst) const {
        const uint32_t gw = ports[port].gateway;
        return ((dst ^ local_ip) & local_mask) == 0 || gw == 0 ? dst : gw;
    }

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
