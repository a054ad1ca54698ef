#include "dataplane/srtp/stream.hpp"

#include <cstddef>
#include <utility>

#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"

namespace sbc::srtp {
namespace {

void free_key(key_set*& k) noexcept {
    key_set_ptr owned(k);
    k = nullptr;
}

}  // namespace

stream::stream(direction d) noexcept : dead_dir_(static_cast<uintptr_t>(d) & dir_bit) {
    static_assert(static_cast<uintptr_t>(direction::outbound) <= dir_bit);
}

void stream::check_layout() noexcept {
    static_assert(offsetof(stream, rtp_prev_) == hot_bytes, "the per-packet part is one line");
}

void stream::free_dead() noexcept {
    key_set* d = dead();
    free_key(d);
    set_dead(nullptr);
}

stream::~stream() {
    clear();
}

void stream::install(key_set_ptr k) noexcept {
    free_dead();
    if (!k) {
        return;
    }
    if (key_ != nullptr && same_key(key_->master(), k->master()) && key_->kind == k->kind) {
        return;  // a re-INVITE repeating the key: nothing changes (rtpengine #1443)
    }
    if (pending_ != nullptr && same_key(pending_->master(), k->master()) &&
        pending_->kind == k->kind) {
        return;  // the same pending key offered again
    }
    if (key_ == nullptr) {
        key_ = k.release();
        return;
    }
    if (dir() == direction::outbound) {
        // The peer learns our key from the answer; from the next packet on we use it.
        free_key(key_);
        free_key(pending_);
        key_ = k.release();
        return;
    }
    free_key(pending_);
    pending_ = k.release();
}

key_error stream::set_key(const shm::srtp_key& k, engine_kind e) {
    if (key_ != nullptr && same_key(key_->master(), k) && key_->kind == e) {
        return key_error::none;  // no derivation needed for a repeated key
    }
    key_error err = key_error::none;
    key_set_ptr ks = make_key_set(k, dir(), e, err);
    if (!ks) {
        return err;
    }
    install(std::move(ks));
    return key_error::none;
}

void stream::clear() noexcept {
    free_key(key_);
    free_key(pending_);
    free_key(retiring_);
    free_dead();
    retire_below_ = 0;
    rtcp_retire_below_ = 0;
    forget_index();
}

void stream::forget_index() noexcept {
    rtp_ = {};
    rtp_prev_ = {};
    rtcp_ = {};
}

void stream::restore_index(uint32_t ssrc, uint32_t roc, uint16_t s_l) noexcept {
    rtp_prev_ = {};
    rtp_ = {};
    rtp_.ssrc = ssrc;
    rtp_.roc = roc;
    rtp_.s_l = s_l;
    rtp_.valid = 1;
    // The window is unknown: treat s_l itself as seen, so a replay of it is refused.
    rtp_.window[0] = 1;
}

uint16_t stream::rtp_overhead() const noexcept {
    return key_ == nullptr ? 0 : static_cast<uint16_t>(key_->rtp_tag_len + key_->mki_len);
}

uint16_t stream::rtcp_overhead() const noexcept {
    return key_ == nullptr ? 0 : static_cast<uint16_t>(key_->rtcp_tag_len() + key_->mki_len + 4);
}

}  // namespace sbc::srtp
