#pragma once
// The per-lcore packet path over plain buffers: classify a burst (ARP, media for a flow,
// RTCP by port + 1 or rtcp-mux, drops with a named reason), unprotect SRTP/SRTCP in one batch,
// latch, choose the other leg, protect for it in one batch, rewrite L2/L3/L4, count. Also
// generates RTCP for silent sides. Nothing here allocates, locks, throws, logs or makes a
// virtual call per packet; the crypto engine batches per burst.

#include <cstdint>

#include "dataplane/core/pkt.hpp"
#include "dataplane/core/rewrite.hpp"
#include "dataplane/core/tables.hpp"
#include "dataplane/shm/spsc_ring.hpp"
#include "dataplane/srtp/engine.hpp"

namespace sbc::dp {

inline constexpr uint16_t max_burst = 64;

// TSC cycles per stage of one path::process_profiled() call (benchmarks).
struct stage_profile {
    static constexpr size_t count = 6;
    static constexpr const char* names[count] = {"classify", "flow",    "unprotect",
                                                 "forward",  "protect", "rewrite"};
    uint64_t cycles[count];
};

class path {
  public:
    // `lcore`: this lcore's owner id (0..workers-1), also its reclamation reader id.
    // `notices`: events and internal notices for the main lcore.
    path(tables& t, srtp::engine& engine, uint16_t lcore, shm::lcore_counters* counters,
         shm::spsc_ring<shm::event>* notices);

    // Every packet gets a verdict; drops are counted (lcore and flow counters) here.
    void process(pkt_desc* pkts, uint16_t n, uint64_t now_tsc);
    // The same, with the TSC cycles of each stage added to `prof` (benchmarks only).
    void process_profiled(pkt_desc* pkts, uint16_t n, uint64_t now_tsc, stage_profile& prof);

    // Looks at the next slice of legs this lcore owns and writes due RTCP reports into
    // `bufs` (empty buffers: len 0, room = capacity). Returns how many it filled, from 0.
    uint16_t generate_rtcp(pkt_desc* bufs, uint16_t n, uint64_t now_tsc);
    // Worker 0 only: turns the main lcore's solicit requests into ARP requests in `bufs` (empty
    // buffers as for generate_rtcp). Returns how many it filled; skips next hops resolved
    // meanwhile or asked for within the last second.
    uint16_t send_solicits(pkt_desc* bufs, uint16_t n, uint64_t now_tsc);
    // Whether send_solicits() has work (so the caller allocates buffers only then).
    bool solicits_pending() const {
        return lcore_ == 0 && t_.solicits.produced() != t_.solicits.consumed();
    }
    // Whether generate_rtcp() would look at legs now (so the caller allocates buffers only then).
    bool rtcp_scan_due(uint64_t now_tsc) const { return now_tsc >= next_rtcp_scan_; }

  private:
    template <bool Profile>
    void process_impl(pkt_desc* pkts, uint16_t n, uint64_t now_tsc, stage_profile* prof);

    struct meta {
        uint8_t* payload;
        uint8_t* end;  // end of the writable buffer
        const leg_ctl* ctl;
        srtp::stream* rx;  // the leg's inbound SRTP stream (SRTP legs)
        uint32_t slot;
        uint32_t partner;
        uint32_t src_ip;
        uint32_t dst_ip;
        uint16_t src_port;
        uint16_t dst_port;
        uint16_t payload_len;
        uint8_t rtcp;
        uint8_t alive;  // still going somewhere (drop() clears it)
        uint8_t mac[6];
        uint8_t tos;
        uint8_t crypto;  // the payload went through protect or unprotect
        uint64_t key;    // index key of the destination
        uint32_t index_value;
        cksum::udp_origin origin;  // for an incremental UDP checksum when the payload is kept
    };

    // The stages of a burst, in order (path.cpp). Each is one loop over the packets still
    // going (`live`: indexes into pkts and meta_), and each prefetches for every packet what
    // the next one reads, so the cache misses of many flows overlap (ipsec-secgw
    // prepare_traffic, l3fwd). Those that drop packets return how many are left in `live`.
    uint16_t parse_burst(pkt_desc* pkts, uint16_t n, uint16_t* live);       // classify
    uint16_t lookup_burst(pkt_desc* pkts, uint16_t* live, uint16_t nlive);  // classify
    void prefetch_controls(const uint16_t* live, uint16_t nlive) const;     // classify
    uint16_t check_flows(pkt_desc* pkts, uint16_t* live, uint16_t nlive);
    void unprotect_burst(pkt_desc* pkts, const uint16_t* live, uint16_t nlive, uint64_t now_tsc);
    uint16_t forward_burst(pkt_desc* pkts, uint16_t* live, uint16_t nlive, uint64_t now_tsc);
    void protect_burst(pkt_desc* pkts, const uint16_t* live, uint16_t nlive);
    void rewrite_burst(pkt_desc* pkts, const uint16_t* live, uint16_t nlive);

    // One packet of a stage.
    bool parse(pkt_desc& p, meta& m);
    bool lookup(pkt_desc& p, meta& m);
    bool check_flow(pkt_desc& p, meta& m);
    void note_accepted(pkt_desc& p, meta& m, uint64_t now_tsc);
    bool choose_destination(pkt_desc& p, meta& m, uint64_t now_tsc);
    void rewrite(pkt_desc& p, meta& m);

    void drop(pkt_desc& p, meta& m, shm::drop_reason r);
    void emit(const shm::event& ev);
    void flow_event(shm::event_type type, const leg_ctl& ctl, uint32_t slot, uint32_t ip,
                    uint16_t port, uint32_t ssrc, uint32_t count);
    void handle_arp(pkt_desc& p, meta& m);
    bool next_hop(uint16_t port, uint32_t local_ip, uint32_t local_mask, uint32_t dst, uint8_t* mac,
                  uint32_t& nh);
    void arp_solicit(pkt_desc& p, uint16_t port, uint32_t local_ip, uint32_t nh, uint64_t now_tsc);
    void learn_source(const pkt_desc& p, const meta& m);
    void note_neighbour(uint16_t port, uint32_t ip, const uint8_t* mac);
    void note_auth_failure(meta& m, uint64_t now_tsc);

    tables& t_;
    srtp::engine& engine_;
    uint16_t lcore_;
    shm::lcore_counters* ctr_;
    shm::spsc_ring<shm::event>* notices_;
    uint64_t relatch_idle_ns_;
    uint64_t auth_event_tsc_;
    uint64_t now_ns_ = 0;  // CLOCK_MONOTONIC of the burst being processed
    uint32_t rtcp_cursor_ = 0;
    uint64_t next_rtcp_scan_ = 0;
    struct arp_pending {
        uint64_t key;
        uint64_t tsc;
    };
    arp_pending arp_sent_[64] = {};
    // The next hops this lcore sent to last, checked against the neighbour table's version: a
    // call's packets go to a few next hops (the access realm's gateway, the PBX), so the table's
    // probe is skipped for nearly every packet.
    struct next_hop_memo {
        uint64_t key;  // port << 32 | next hop; 0 = empty
        uint32_t version;
        uint8_t mac[6];
        uint8_t pad[2];
    };
    next_hop_memo next_hops_[16] = {};
    uint16_t rtcp_in_burst_ = 0;  // RTCP packets among the live ones (check_flows)
    meta meta_[max_burst];
    srtp::packet crypto_[max_burst];
    uint16_t crypto_idx_[max_burst];
};

}  // namespace sbc::dp
