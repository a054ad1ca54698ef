#pragma once
// Handing SRTP keys from the main lcore to the lcore that owns a stream. sbc::srtp streams are
// written only by their owning lcore (srtp/stream.hpp: install() "between bursts"), so the main
// lcore derives the key set (make_key_set: KDF, AES schedules; allocates) and leaves it in the
// leg's mailbox; the owner takes it with one exchange before it next uses the stream. A newer
// key posted before the old one was taken displaces (and frees) it.

#include <atomic>
#include <cstdint>

#include "dataplane/srtp/key_set.hpp"
#include "dataplane/srtp/stream.hpp"

namespace sbc::dp {

// Mailbox value meaning "drop the keys and the index state" (the leg became plain RTP).
inline srtp::key_set* const clear_keys = reinterpret_cast<srtp::key_set*>(uintptr_t{1});

struct key_mailbox {
    std::atomic<srtp::key_set*> rx{nullptr};
    std::atomic<srtp::key_set*> tx{nullptr};

    static void post(std::atomic<srtp::key_set*>& box, srtp::key_set* ks) {
        srtp::key_set* old = box.exchange(ks, std::memory_order_acq_rel);
        if (old != nullptr && old != clear_keys) {
            srtp::key_set_ptr drop(old);
        }
    }
    // Owner side: cheap when empty (one relaxed load).
    static void take(std::atomic<srtp::key_set*>& box, srtp::stream& s) {
        if (box.load(std::memory_order_relaxed) == nullptr) {
            return;
        }
        srtp::key_set* ks = box.exchange(nullptr, std::memory_order_acquire);
        if (ks == clear_keys) {
            s.clear();
        } else if (ks != nullptr) {
            s.install(srtp::key_set_ptr(ks));
        }
    }
    void drain() {
        post(rx, nullptr);
        post(tx, nullptr);
    }
};

}  // namespace sbc::dp
