#pragma once
// The contract between sbcd and sbc-dataplane: the layout of the shared-memory region
// /dev/shm/sbc-<instance>, and the fixed-size POD commands and events that cross it.
// Any layout change here bumps `contract_version`; both sides refuse to attach on a mismatch.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/srtp_suite.hpp"

namespace sbc::shm {

// 6: v5 of branch dpports (kernel ring drops in port_counters) and v5 of branch dppath
// (128-byte flow_counters, per-flow drops for the flow reasons only) in one layout.
inline constexpr uint32_t contract_version = 6;
inline constexpr uint64_t region_magic = 0x314D485343425300ULL;  // "\0SBCSHM1"

// ---- addresses -------------------------------------------------------------------------------

enum class addr_family : uint8_t { none = 0, ipv4 = 4, ipv6 = 6 };

// An IPv4 or IPv6 address in network byte order. IPv4 uses bytes[0..3]; the rest stay zero so
// that keys compare and hash the same whichever way they were built. IPv6 is designed in now
// and carried by every command; the packet path may refuse it (nack) until implemented.
struct ip_address {
    addr_family family;
    uint8_t pad[3];
    uint8_t bytes[16];
};
static_assert(sizeof(ip_address) == 20);

struct endpoint {
    ip_address addr;
    uint16_t port;  // host byte order
    uint16_t pad;
};
static_assert(sizeof(endpoint) == 24);

// A flow (one audio leg) is keyed by (DPDK port, local media address, local media port):
// one port per audio leg. RTCP uses local_port + 1, or the same port with rtcp-mux.
struct flow_key {
    uint16_t dpdk_port;
    uint16_t local_port;  // host byte order
    ip_address local_addr;
};
static_assert(sizeof(flow_key) == 24);

// ---- media parameters ------------------------------------------------------------------------

enum class media_protocol : uint8_t { rtp = 0, srtp = 1 };
enum class rtcp_mode : uint8_t { bypass = 0, generate = 1 };

// SDES crypto suites (RFC 4568 §6.2, RFC 6188, RFC 7714): the one table in common/. Its values
// are this contract's: pinned here, so a change to the table cannot silently change the layout.
using srtp_suite = sbc::srtp_suite;
static_assert(static_cast<uint8_t>(srtp_suite::none) == 0 &&
              static_cast<uint8_t>(srtp_suite::aes_cm_128_hmac_sha1_80) == 1 &&
              static_cast<uint8_t>(srtp_suite::aes_cm_128_hmac_sha1_32) == 2 &&
              static_cast<uint8_t>(srtp_suite::aes_256_cm_hmac_sha1_80) == 3 &&
              static_cast<uint8_t>(srtp_suite::aes_256_cm_hmac_sha1_32) == 4 &&
              static_cast<uint8_t>(srtp_suite::aead_aes_128_gcm) == 5 &&
              static_cast<uint8_t>(srtp_suite::aead_aes_256_gcm) == 6);

struct srtp_key {
    srtp_suite suite;
    uint8_t master_key_len;   // 16 or 32
    uint8_t master_salt_len;  // 14 (AES-CM) or 12 (GCM)
    uint8_t mki_len;          // 0 = no MKI on the wire
    uint32_t mki;
    uint8_t master_key[32];
    uint8_t master_salt[14];
    uint8_t pad[2];
};
static_assert(sizeof(srtp_key) == 56);

// How a leg learns its peer's address (NAT latching). See dataplane/README for the rules.
enum class latch_policy : uint8_t {
    srtp_authenticated = 0,  // first packet that passes SRTP authentication; re-latch likewise
    sdp_address = 1,  // RTP-only leg: the SDP address; re-latch only under the documented rules
    fixed = 2,        // never move from the SDP address
};

struct pt_rewrite {
    uint8_t from;
    uint8_t to;
};

struct flow_spec {
    flow_key key;      // this leg: where its peer sends to us
    flow_key partner;  // the other leg of the call: packets from this leg leave from there
    endpoint peer;     // expected remote address from SDP (family none = learn by latching)
    media_protocol protocol;
    rtcp_mode rtcp;
    uint8_t rtcp_mux;
    latch_policy latch;
    uint32_t rtcp_generation_timeout_ms;
    uint32_t idle_timeout_ms;
    uint32_t ssrc_hint;  // SSRC the peer is expected to send (0 = any)
    srtp_key rx;         // unprotects what the peer sends us (the peer's a=crypto)
    srtp_key tx;         // protects what we send to the peer (our a=crypto)
    uint8_t pt_rewrite_count;
    uint8_t media_flags;  // media_flag bits
    uint8_t pad[2];
    pt_rewrite pt_rewrites[8];  // applied to RTP sent to this leg's peer
    uint32_t clock_rate;        // RTP clock of the main payload in Hz (0 = 8000), for RTCP jitter
    uint32_t pad2;
    uint64_t cookie;  // sbcd's leg id, echoed in every event about this flow
};
static_assert(sizeof(flow_spec) == 240, "flow_spec fills the command union");

// flow_spec.media_flags
enum media_flag : uint8_t {
    // Hold (a=recvonly/inactive from this leg's peer, or c=0.0.0.0): nothing is sent to this
    // leg's peer; packets for it are dropped as `held`. Latch, ROC and replay state are kept.
    hold = 1u << 0,
};

// ---- commands (sbcd -> dataplane) ------------------------------------------------------------

enum class command_type : uint16_t {
    nop = 0,
    flow_add = 1,
    flow_update = 2,
    flow_del = 3,
    key_roll = 4,
    neigh_set = 5,
    snapshot = 6,
    rx_start = 7,  // starts polling the ports when sbc-dataplane was started with hold_rx
};

enum command_flags : uint16_t {
    exist_ok = 1u << 0,    // flow_add on an existing flow is an update, not an error
    missing_ok = 1u << 1,  // flow_del/update on a missing flow is acknowledged, not refused
};

enum class key_direction : uint8_t { rx = 0, tx = 1 };

struct key_roll_spec {
    flow_key key;
    key_direction direction;
    uint8_t pad[7];
    srtp_key key_material;
};

struct neigh_spec {
    uint16_t dpdk_port;
    uint8_t mac[6];
    ip_address addr;
};

struct command {
    command_type type;
    uint16_t flags;
    uint32_t pad;
    uint64_t seq;  // strictly increasing per producer; echoed in ack/nack
    union {
        flow_spec flow;      // flow_add, flow_update
        flow_key key;        // flow_del
        key_roll_spec roll;  // key_roll
        neigh_spec neigh;    // neigh_set
        uint8_t raw[240];
    };
};
static_assert(sizeof(command) == 256, "command is one fixed-size slot");

// ---- events (dataplane -> sbcd) --------------------------------------------------------------

enum class event_type : uint16_t {
    ack = 1,
    nack = 2,
    latched = 3,          // key, addr = the newly latched peer
    ssrc_changed = 4,     // key, ssrc = new SSRC
    flow_idle = 5,        // key, count = idle milliseconds
    auth_fail_burst = 6,  // key, addr = offending source, count = failures in the burst
    snapshot_flow = 7,    // key, addr = latched peer, cookie; one per installed flow
    snapshot_end = 8,     // seq of the snapshot command, count = flows reported
    key_switched = 9,     // key, rx: the first packet authenticated under a rolled key
};

#define SBC_NACK_REASONS(X)                                        \
    X(none, "none")                                                \
    X(unknown_command, "unknown command type")                     \
    X(exists, "flow exists and exist_ok not set")                  \
    X(missing, "flow missing and missing_ok not set")              \
    X(table_full, "flow table full")                               \
    X(bad_port, "no such dpdk port")                               \
    X(bad_address, "local address is not a media address")         \
    X(unsupported_family, "address family not supported")          \
    X(bad_key, "key or salt length does not match the suite")      \
    X(unsupported_suite, "srtp suite not supported by the engine") \
    X(partner_missing, "partner flow not installed")               \
    X(bad_spec, "invalid flow parameters")

enum class nack_reason : uint16_t {
#define SBC_X(name, text) name,
    SBC_NACK_REASONS(SBC_X)
#undef SBC_X
};

inline constexpr const char* nack_reason_text[] = {
#define SBC_X(name, text) text,
    SBC_NACK_REASONS(SBC_X)
#undef SBC_X
};

struct event {
    event_type type;
    nack_reason reason;
    uint32_t count;
    uint64_t seq;  // for ack/nack/snapshot_end: the command's seq
    flow_key key;
    endpoint addr;
    uint32_t ssrc;
    uint32_t slot;  // ack of flow_add/flow_update, snapshot_flow: index into the flow counters
    uint64_t cookie;
};
static_assert(sizeof(event) == 80);

// ---- counters --------------------------------------------------------------------------------

// Every dropped packet has exactly one reason from this table; the enum, the counters in the
// region and the labels sbcctl prints are all generated from it so they cannot drift. The
// reasons a packet can have once its flow is known come first: they are counted per flow as
// well (flow_counters::drops), the others per lcore only.
#define SBC_FLOW_DROP_REASONS(X)                          \
    X(bad_rtp, "malformed rtp header")                    \
    X(bad_rtcp, "malformed rtcp packet")                  \
    X(auth_fail, "srtp authentication failed")            \
    X(replay, "srtp replay")                              \
    X(unlatched_source, "source is not the latched peer") \
    X(no_partner, "partner leg not installed")            \
    X(no_peer, "partner's peer address unknown")          \
    X(held, "partner leg on hold")                        \
    X(no_neighbour, "next hop mac unknown")               \
    X(crypto_error, "crypto engine error")
#define SBC_DROP_REASONS(X)                                 \
    SBC_FLOW_DROP_REASONS(X)                                \
    X(no_flow, "no flow for destination")                   \
    X(not_ipv4, "not ipv4 (ipv6 not implemented)")          \
    X(not_udp, "not udp")                                   \
    X(bad_header, "malformed l2/l3/l4 header")              \
    X(ip_fragment, "ip fragment")                           \
    X(not_for_us, "destination mac is not ours")            \
    X(tx_full, "tx queue full")                             \
    X(no_room, "no tailroom for the srtp tag")              \
    X(arp_ignored, "arp not for a media address")           \
    X(other_ethertype, "ethertype not handled")             \
    X(wrong_lcore, "flow direction owned by another lcore") \
    X(no_mbuf, "mbuf pool empty")
enum class drop_reason : uint16_t {
#define SBC_X(name, text) name,
    SBC_DROP_REASONS(SBC_X)
#undef SBC_X
        count_
};
inline constexpr size_t drop_reason_count = static_cast<size_t>(drop_reason::count_);
inline constexpr size_t flow_drop_reason_count = 0
#define SBC_X(name, text) +1
    SBC_FLOW_DROP_REASONS(SBC_X)
#undef SBC_X
    ;
// Whether `r` is counted per flow too.
constexpr bool counted_per_flow(drop_reason r) {
    return static_cast<size_t>(r) < flow_drop_reason_count;
}

inline constexpr const char* drop_reason_name[] = {
#define SBC_X(name, text) #name,
    SBC_DROP_REASONS(SBC_X)
#undef SBC_X
};
inline constexpr const char* drop_reason_text[] = {
#define SBC_X(name, text) text,
    SBC_DROP_REASONS(SBC_X)
#undef SBC_X
};

inline constexpr uint32_t max_ports = 8;
inline constexpr uint32_t max_lcores = 16;

struct alignas(64) port_counters {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_missed, rx_errors, tx_errors;
    uint8_t mac[6];
    uint8_t up;
    uint8_t pad;
    // Loss before the SBC read a packet, which the ethdev counters of the kernel-backed virtual
    // ports do not show: the kernel ring's drops (af_packet PACKET_STATISTICS tp_drops, af_xdp
    // XDP_STATISTICS rx_dropped + rx_ring_full), and packets the port had no mbuf for.
    uint64_t rx_kernel_drops, rx_nombuf;
    uint32_t rx_ring_frames;  // receive ring per queue, as set up
    uint32_t pad2;
};
static_assert(sizeof(port_counters) == 128);

// Written by one lcore only; readers tolerate torn reads of a counter set.
struct alignas(64) lcore_counters {
    uint64_t loops, busy_loops;
    uint64_t rx_packets, tx_packets;
    uint64_t busy_cycles;  // TSC cycles spent in loops that handled packets
    uint64_t arp_replies, arp_requests, rtcp_generated, events_lost;
    uint64_t drops[drop_reason_count];
};

// One per flow slot (the slot index comes with the flow_add ack). `key`, `cookie` and
// `generation` are written by the main lcore when the flow is installed (generation is odd while
// the slot is in use), `rtcp_generated` by the lcore that generates RTCP for the partner, the
// rest by the lcore that receives the leg. Readers check the key. The first line holds what
// the packet path writes for every packet (and the first per-flow drop counters).
struct alignas(64) flow_counters {
    uint64_t rx_packets, rx_bytes;    // RTP received from this leg's peer
    uint64_t fwd_packets, fwd_bytes;  // of those, relayed to the partner's peer
    uint64_t last_rx_ns;              // CLOCK_MONOTONIC of the last accepted RTP packet
    uint32_t rtcp_rx_packets, rtcp_fwd_packets;
    uint32_t rtcp_generated;
    uint32_t generation;
    uint32_t drops[flow_drop_reason_count];  // indexed by drop_reason (counted_per_flow ones)
    flow_key key;
    uint64_t cookie;
};
static_assert(offsetof(flow_counters, drops) == 56, "per-packet counters in the first line");
static_assert(sizeof(flow_counters) == 128);

// A flow's count of drops for `r` (0 for reasons counted per lcore only).
inline uint32_t flow_drops(const flow_counters& c, drop_reason r) {
    return counted_per_flow(r) ? c.drops[static_cast<size_t>(r)] : 0;
}

enum class dataplane_state : uint32_t { starting = 0, running = 1, stopping = 2 };

struct alignas(64) region_header {
    uint64_t magic;
    uint32_t version;
    uint32_t header_size;
    uint64_t region_size;
    uint64_t cmd_ring_offset;
    uint64_t evt_ring_offset;
    uint64_t counters_offset;
    uint32_t command_size;  // sizeof(command) as built by the creator
    uint32_t event_size;
    int32_t dataplane_pid;
    std::atomic<uint32_t> state;          // dataplane_state
    std::atomic<uint64_t> heartbeat_ns;   // CLOCK_MONOTONIC, refreshed by the dataplane main loop
    std::atomic<int32_t> controller_pid;  // sbcd that attached last (0 = none)
    uint32_t port_count;
    uint32_t lcore_count;
    uint32_t tsc_hz_khz;
    char instance[32];
    uint64_t flow_counters_offset;
    uint32_t max_flows;  // slots in the flow counters array
    uint32_t worker_count;
};

struct counters_block {
    port_counters ports[max_ports];
    lcore_counters lcores[max_lcores];
    uint64_t commands_done, commands_nacked;
    uint64_t flows_installed;
    uint64_t events_lost;  // events dropped because the event ring was full
};

}  // namespace sbc::shm
