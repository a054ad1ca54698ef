#pragma once
// Batched SRTP/SRTCP protect and unprotect over plain buffers (no DPDK here): the dataplane
// points each packet at its RTP/RTCP header inside an mbuf. One engine object per lcore.

#include <cstdint>
#include <memory>

#include "dataplane/srtp/common.hpp"
#include "dataplane/srtp/status.hpp"
#include "dataplane/srtp/stream.hpp"

namespace sbc::srtp {

namespace detail {
struct engine_state;
}

// One packet of a burst. In: data, len, capacity, strm. Out: len, result, events.
struct packet {
    uint8_t* data;      // first byte of the RTP/RTCP header (the UDP payload); changed in place
    stream* strm;       // the stream of this packet's flow and direction
    uint16_t len;       // bytes at data; on ok, the new length (protect adds, unprotect removes)
    uint16_t capacity;  // bytes writable at data (>= len); protect needs len + *_overhead()
    status result;      // per packet; on failure len is unchanged, the bytes are unspecified
    uint8_t events;     // event_bits, only on ok
    uint16_t pad_;
};
static_assert(sizeof(packet) == 24);

// Packets of one call are processed in chunks of this many; any n is accepted.
inline constexpr uint16_t burst_chunk = 64;

class engine {
  public:
    // Start-up, once per lcore: ipsecmb allocates an IMB_MGR for the best instruction set the
    // CPU has; libsrtp initialises libsrtp2. Throws std::runtime_error naming the failure.
    explicit engine(engine_kind k);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    engine_kind kind() const noexcept { return kind_; }
    // The instruction set ipsec-mb picked ("avx512", "avx2", "avx", "sse") or "libsrtp2".
    const char* arch() const noexcept;

  private:
    friend struct detail::engine_state;
    friend uint16_t protect_rtp(engine&, packet*, uint16_t) noexcept;
    friend uint16_t unprotect_rtp(engine&, packet*, uint16_t) noexcept;
    friend uint16_t protect_rtcp(engine&, packet*, uint16_t) noexcept;
    friend uint16_t unprotect_rtcp(engine&, packet*, uint16_t) noexcept;

    engine_kind kind_;
    std::unique_ptr<detail::engine_state> st_;
};

// Each processes n packets in place and returns how many are ok; every packet gets a result.
// Packets of the same stream must be in arrival order: the stream state is updated in order,
// and on unprotect only after the packet authenticated (a forged packet never moves ROC, s_l,
// the replay window or the key). The stream's keys must have been made for the engine's kind
// (otherwise crypto_error). Nothing here throws, allocates, locks or logs.
uint16_t protect_rtp(engine& e, packet* pkts, uint16_t n) noexcept;
uint16_t unprotect_rtp(engine& e, packet* pkts, uint16_t n) noexcept;
// SRTCP (RFC 3711 §3.4): protect always encrypts (E = 1); unprotect accepts E = 0 too.
uint16_t protect_rtcp(engine& e, packet* pkts, uint16_t n) noexcept;
uint16_t unprotect_rtcp(engine& e, packet* pkts, uint16_t n) noexcept;

}  // namespace sbc::srtp
