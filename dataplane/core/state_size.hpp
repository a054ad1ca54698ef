#pragma once
// The dataplane's state per flow direction beyond the SRTP key sets: what the packet path keeps
// for one leg (what its peer sends us, relayed to the partner's peer). Checked at compile time,
// so the table in bench/dataplane/RESULTS.md ("State per flow direction") follows the layout.

#include <cstddef>

#include "dataplane/core/flow_index.hpp"
#include "dataplane/core/legs.hpp"
#include "dataplane/core/srtp_records.hpp"
#include "dataplane/shm/contract.hpp"
#include "dataplane/srtp/stream.hpp"

namespace sbc::dp::state_size {

// Read or written by every packet of the direction, one cache line each: the runtime record,
// the first line of the control record, the first line of the inbound SRTP stream (keys, index,
// replay window) and the first line of the flow counters.
inline constexpr size_t runtime = sizeof(leg_rt);
inline constexpr size_t control_hot = offsetof(leg_ctl, generation);
inline constexpr size_t stream_hot = srtp::stream::hot_bytes;
// The counters' first line: what every packet adds to (the rest are drop counters and the flow's
// identity).
inline constexpr size_t counters_hot = 64;
static_assert(offsetof(shm::flow_counters, drops) < counters_hot);
inline constexpr size_t hot = runtime + control_hot + stream_hot + counters_hot;
static_assert(runtime == 64 && control_hot == 64 && stream_hot == 64 && counters_hot == 64);
static_assert(hot == 256, "a direction's per-packet state is four cache lines");

// Everything the packet path keeps per direction (RTCP bypass). Every leg: index entries for
// the RTP and RTCP ports at <= 50 % load (the index is a power of two: up to twice that), the
// runtime line, authentication-failure accounting, the control record and the flow counters in
// the shared region. SRTP state exists only where SRTP is spoken (srtp_records): a direction has
// one stream per SRTP end, the inbound stream of its own leg when the leg's peer sends SRTP and
// the partner's outbound stream when the partner's peer receives it.
inline constexpr size_t index_entries =
    (2 * 2 * flow_index::bucket_bytes + flow_index::entries_per_bucket - 1) /
    flow_index::entries_per_bucket;
inline constexpr size_t base = index_entries + sizeof(leg_rt) + sizeof(leg_rare) + sizeof(leg_ctl) +
                               sizeof(shm::flow_counters);
inline constexpr size_t per_srtp_end = sizeof(srtp::stream);
static_assert(index_entries == 37 && sizeof(leg_rare) == 16 && sizeof(leg_ctl) == 128 &&
              sizeof(srtp::stream) == 128 && sizeof(shm::flow_counters) == 128);
static_assert(2 * per_srtp_end == sizeof(srtp_record), "a leg's record: one stream per direction");
inline constexpr size_t rtp_to_rtp = base;
inline constexpr size_t srtp_to_rtp = base + per_srtp_end;  // and RTP -> SRTP
inline constexpr size_t srtp_to_srtp = base + 2 * per_srtp_end;
static_assert(rtp_to_rtp == 373 && srtp_to_rtp == 501 && srtp_to_srtp == 629);
static_assert(srtp_to_rtp <= 512, "the appliance's call (SRTP softphone <-> RTP PBX)");

// Only legs that generate RTCP, or whose partner does.
inline constexpr size_t rtcp_statistics = sizeof(leg_rtcp_rt);
static_assert(rtcp_statistics == 128);

}  // namespace sbc::dp::state_size
