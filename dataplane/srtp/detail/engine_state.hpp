#pragma once
// Per-lcore engine state: the ipsec-mb manager and per-packet scratch for one chunk.

#include <intel-ipsec-mb.h>

#include <cstdint>
#include <memory>

#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/engine.hpp"

namespace sbc::srtp::detail {

// What one packet of a chunk needs while its job is in flight.
struct alignas(64) attempt {
    uint8_t iv[16];
    uint8_t tag_calc[32];  // computed tag (HMAC-SHA1 gives 20 bytes)
    uint8_t tag_rx[16];    // received tag, copied aside before the ROC takes its place
    uint8_t trailer[24];   // original last bytes, to retry under a second key
    uint8_t aad[16];       // SRTCP GCM: header and E||index
    key_set* cand[2];
    int64_t index;  // RTP packet index or SRTCP index
    uint32_t ssrc;
    uint16_t header_len;   // first encrypted byte
    uint16_t payload_end;  // first byte after the payload (MKI, tag or ROC) for cand[tried]
    uint8_t ncand;
    uint8_t tried;  // candidate in flight / last tried
    uint8_t state;  // attempt_state
    uint8_t e_flag;
    uint8_t out_of_place;
    uint8_t trailer_len;
    uint8_t cipher;  // AES-CM: (de)cipher [header_len, payload_end) in the cipher pass

    const key_set& key() const noexcept { return *cand[tried]; }
};

enum attempt_state : uint8_t {
    st_skip = 0,       // no job: the packet already has its result
    st_pending = 1,    // job to submit
    st_auth_ok = 2,    // tag matched (protect: job done)
    st_auth_fail = 3,  // tag mismatch
    st_error = 4,      // ipsec-mb refused the job
};

inline constexpr size_t oop_slot = 65536;  // out-of-place output for a trial, any UDP size

struct engine_state {
    IMB_MGR* mgr = nullptr;
    const char* arch = "none";
    attempt att[burst_chunk];
    IMB_JOB jobs[burst_chunk];  // the synchronous cipher/hash bursts (AES-CM + HMAC-SHA1)
    // Out-of-place plaintext while a packet is tried under the first of two keys. Virtual
    // memory: pages are only touched during a key roll.
    std::unique_ptr<uint8_t[]> oop;

    uint8_t* slot(unsigned i) noexcept { return oop.get() + size_t{i} * oop_slot; }
};

// Implemented in ipsecmb_rtp.cpp / ipsecmb_rtcp.cpp / libsrtp_engine.cpp; n <= burst_chunk.
uint16_t ipsecmb_protect_rtp(engine_state& e, packet* p, uint16_t n) noexcept;
uint16_t ipsecmb_unprotect_rtp(engine_state& e, packet* p, uint16_t n) noexcept;
uint16_t ipsecmb_protect_rtcp(engine_state& e, packet* p, uint16_t n) noexcept;
uint16_t ipsecmb_unprotect_rtcp(engine_state& e, packet* p, uint16_t n) noexcept;
uint16_t libsrtp_protect_rtp(engine_state& e, packet* p, uint16_t n) noexcept;
uint16_t libsrtp_unprotect_rtp(engine_state& e, packet* p, uint16_t n) noexcept;
uint16_t libsrtp_protect_rtcp(engine_state& e, packet* p, uint16_t n) noexcept;
uint16_t libsrtp_unprotect_rtcp(engine_state& e, packet* p, uint16_t n) noexcept;

// Runs every job filled by `fill(job, i)` for the packets i with att[i].state == st_pending
// under an AEAD key, through the job manager, then flushes; `done(job)` sees each completed job
// (in submission order).
template <class Fill, class Done>
inline void run_gcm_jobs(engine_state& e, uint16_t n, Fill&& fill, Done&& done) noexcept {
    IMB_MGR* mgr = e.mgr;
    for (uint16_t i = 0; i < n; ++i) {
        if (e.att[i].state != st_pending || !e.att[i].key().aead) {
            continue;
        }
        IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
        fill(job, i);
#ifdef NDEBUG
        job = IMB_SUBMIT_JOB_NOCHECK(mgr);
#else
        job = IMB_SUBMIT_JOB(mgr);
#endif
        while (job != nullptr) {
            done(job);
            job = IMB_GET_COMPLETED_JOB(mgr);
        }
    }
    IMB_JOB* job;
    while ((job = IMB_FLUSH_JOB(mgr)) != nullptr) {
        done(job);
    }
}

}  // namespace sbc::srtp::detail
