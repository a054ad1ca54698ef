#pragma once
// Per-direction SRTP state of one flow: keys (current, pending, retiring) and the runtime
// record (SSRC, ROC, highest sequence, replay windows, SRTCP index). Written by the one lcore
// that owns the direction (DESIGN: "per-direction crypto state is written only by the lcore
// that receives that direction"); nothing here locks.

#include <cstdint>

#include "dataplane/shm/contract.hpp"
#include "dataplane/srtp/common.hpp"
#include "dataplane/srtp/key_set.hpp"
#include "dataplane/srtp/master_key.hpp"

namespace sbc::srtp {

namespace detail {
struct stream_access;
}

// Replay window width in packets (RFC 3711 §3.3.2 asks for at least 64; libsrtp uses 128).
inline constexpr uint32_t replay_window = 128;

// Index state of one SSRC (RFC 3711 §3.3.1) and its replay window (§3.3.2). The window is
// four 32-bit words (bit i of the 128: index (roc << 16 | s_l) - i was accepted), so that the
// record packs into 28 bytes.
struct rtp_index_state {
    uint32_t window[4];
    uint32_t ssrc;
    uint32_t roc;  // rollover counter of the highest index
    uint16_t s_l;  // highest sequence number accepted
    uint8_t valid;
    uint8_t pad;
};
static_assert(sizeof(rtp_index_state) == 28);

// SRTCP (RFC 3711 §3.4): rx keeps the highest index and a window; tx the last index sent.
struct rtcp_index_state {
    uint32_t window[4];  // bit i of the 128: index - i was accepted (rx)
    uint32_t ssrc;
    uint32_t index;
    uint8_t valid;
    uint8_t pad[3];
};
static_assert(sizeof(rtcp_index_state) == 28);

class alignas(64) stream {
  public:
    explicit stream(direction d = direction::inbound) noexcept;
    ~stream();  // frees its key sets
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    direction dir() const noexcept { return static_cast<direction>(dead_dir_ & dir_bit); }

    // ---- control path: the owning lcore between bursts, or before the stream is in use ----

    // Installs a key; frees whatever it displaces. The same master key as the current one
    // changes nothing (a re-INVITE that repeats the key keeps ROC, window and key). A stream
    // without a key takes it as current. Otherwise an outbound stream switches at once; an
    // inbound stream keeps the current key and also tries the new one ("pending") until a
    // packet authenticates under it (event key_switched). From then on the old key
    // ("retiring") is accepted only for packets older than that first one, so packets in
    // flight across the roll are not lost, and nothing newer is accepted under it. ROC, s_l and
    // replay state carry over whatever the key (same SSRC, same index space).
    void install(key_set_ptr k) noexcept;
    // make_key_set() + install(). Returns the error and leaves the stream unchanged on failure.
    key_error set_key(const shm::srtp_key& k, engine_kind e);
    // Drops keys and all index state: the stream is as constructed.
    void clear() noexcept;
    // Keeps keys, forgets SSRC, ROC, replay windows and the SRTCP index.
    void forget_index() noexcept;
    // Restores the index state of `ssrc` (sbcd's record after a dataplane restart).
    void restore_index(uint32_t ssrc, uint32_t roc, uint16_t s_l) noexcept;

    // ---- introspection (sbcctl, snapshots, tests) ----

    bool has_key() const noexcept { return key_ != nullptr; }
    bool key_pending() const noexcept { return pending_ != nullptr; }
    bool key_retiring() const noexcept { return retiring_ != nullptr; }
    const key_set* current_key() const noexcept { return key_; }
    bool has_ssrc() const noexcept { return rtp_.valid != 0; }
    uint32_t ssrc() const noexcept { return rtp_.ssrc; }
    uint32_t roc() const noexcept { return rtp_.roc; }
    uint16_t highest_seq() const noexcept { return rtp_.s_l; }
    uint32_t srtcp_index() const noexcept { return rtcp_.index; }
    // Bytes protect_rtp()/protect_rtcp() append with the current key (0 without a key).
    uint16_t rtp_overhead() const noexcept;
    uint16_t rtcp_overhead() const noexcept;

    // Bytes at the start of the record that an RTP packet of the current SSRC reads and writes
    // (keys, retire point, index and replay window); the rest is for SSRC changes and SRTCP.
    static constexpr size_t hot_bytes = 64;

  private:
    friend struct detail::stream_access;
    static void check_layout() noexcept;
    void free_dead() noexcept;

    // Key sets are 64-byte aligned: the low bits of dead_dir_ are free for the direction.
    static constexpr uintptr_t dir_bit = 1;
    key_set* dead() const noexcept { return reinterpret_cast<key_set*>(dead_dir_ & ~dir_bit); }
    void set_dead(key_set* k) noexcept {
        dead_dir_ = reinterpret_cast<uintptr_t>(k) | (dead_dir_ & dir_bit);
    }

    // Read by every packet, first cache line.
    key_set* key_ = nullptr;       // current
    key_set* pending_ = nullptr;   // inbound: installed, not yet seen on the wire
    key_set* retiring_ = nullptr;  // inbound: previous key, for packets older than the switch
    uint64_t retire_below_ = 0;    // first RTP index under key_ (UINT64_MAX: none seen yet)
    rtp_index_state rtp_{};
    uint32_t rtcp_retire_below_ = 0;  // first SRTCP index under key_ (UINT32_MAX: none yet)
    // Second line: the SSRC before the current one (A -> B -> A keeps A's ROC and window),
    // SRTCP, and the key the packet path retired (freed by the next install/clear) with the
    // stream's direction in its low bit.
    rtp_index_state rtp_prev_{};
    rtcp_index_state rtcp_{};
    uintptr_t dead_dir_;
};
static_assert(sizeof(stream) == 128, "stream runtime record: two cache lines, keys apart");
static_assert(alignof(stream) == 64);

}  // namespace sbc::srtp
