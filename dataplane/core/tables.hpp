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
#include "dataplane/core/srtp_records.hpp"
#include "dataplane/core/table_memory.hpp"
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
    bool rx_ptype_udp4 = false;  // the port's mbufs say Ethernet / IPv4 / UDP (pkt_desc offload)
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
    table_memory memory;  // the index, the legs' records and the SRTP records
};

struct tables {
    tables(const table_params& p, uint32_t readers, shm::flow_counters* counters);

    uint32_t max_flows;
    flow_index index;
    table_array<leg_rt> legs;
    table_array<leg_rare> rare;
    srtp_records srtp;  // SRTP legs only (leg_rt::srtp)
    neighbour_table neighbours;
    port_info ports[shm::max_ports];
    shm::flow_counters* counters;  // max_flows entries: the region's, or owned_counters
    std::unique_ptr<shm::flow_counters[]> owned_counters;
    qsbr rcu;
    std::atomic<bool> rx_enabled{true};
    uint64_t tsc_hz = 1'000'000'000;
    uint64_t unix_ns_at_tsc0 = 0;  // wall clock = this + tsc * 1e9 / tsc_hz (RTCP SR NTP time)
    uint64_t mono_ns_at_tsc0 = 0;  // CLOCK_MONOTONIC likewise (flow_counters::last_rx_ns)
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

    // The index value of `key` (RTP or RTCP port of a leg) checked against the slot's own key (the
    // index keeps only a signature), or no_slot.
    uint32_t find_flow(uint64_t key) const {
        return index.find(key, [&](uint32_t v) {
            const uint32_t s = v & ~rtcp_bit;
            return s < max_flows && legs[s].key64 == ((v & rtcp_bit) != 0 ? key - 1 : key);
        });
    }

    // Indexes `key` (a leg's RTP or RTCP port) with `value`; the keys of indexed values are the
    // slots' own (the main lcore sets key64 before it indexes a slot). False: table_full.
    bool index_flow(uint64_t key, uint32_t value) {
        return index.insert(key, value, [&](uint32_t v) {
            return legs[v & ~rtcp_bit].key64 + ((v & rtcp_bit) != 0 ? 1 : 0);
        });
    }

    // A leg's SRTP streams (unprotect what its peer sends / protect what goes to it), or nullptr
    // for a leg that never carried SRTP.
    srtp::stream* rx_stream(uint32_t slot) const {
        const uint32_t r = legs[slot].srtp.load(std::memory_order_acquire);
        return r == no_slot ? nullptr : &srtp[r].rx;
    }
    srtp::stream* tx_stream(uint32_t slot) const {
        const uint32_t r = legs[slot].srtp.load(std::memory_order_acquire);
        return r == no_slot ? nullptr : &srtp[r].tx;
    }

    // CLOCK_MONOTONIC nanoseconds at TSC `tsc`.
    uint64_t monotonic_ns(uint64_t tsc) const {
        return mono_ns_at_tsc0 + static_cast<uint64_t>(static_cast<unsigned __int128>(tsc) *
                                                       1'000'000'000u / (tsc_hz != 0 ? tsc_hz : 1));
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
