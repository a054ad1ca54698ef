// Media timeout (media.media_timeout_s): a call whose media is up and not held, where a leg's
// peer should be sending (sendrecv/sendonly) but nothing arrived for the timeout — counted from
// the later of the last packet and the moment media started or resumed — is reported once to
// the signalling layer, which ends it.

#include <spdlog/spdlog.h>

#include "controlplane/media/media_manager.hpp"

namespace sbc::cp::media {

namespace {

uint64_t ns_of(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace

void media_manager::find_media_timeouts(clock::time_point now) {
    if (!dp_.attached()) {
        return;  // without counters silence cannot be told from a dataplane restart
    }
    const uint64_t now_ns = ns_of(now);
    const uint64_t limit_ns = uint64_t{cfg_.media.media_timeout_s} * 1'000'000'000ULL;
    std::vector<session_id> timed_out;
    for (auto& [id, e] : sessions_) {
        const media_session& s = *e.session;
        if (e.timed_out || e.programming || !s.media_up()) {
            continue;
        }
        // A held call may be silent; the timeout counts again from the resume.
        if (s.held()) {
            e.was_held = true;
            continue;
        }
        if (e.was_held) {
            e.was_held = false;
            e.media_since = now;
        }
        for (side sd : {side::a, side::b}) {
            if (!s.expects_media_from(sd)) {
                continue;
            }
            uint64_t last = ns_of(e.media_since);
            // What a looped leg's peer sends arrives on the leg behind our own endpoint.
            if (auto fc = dp_.flow_counters(hairpin_.source_of(id, sd))) {
                last = std::max(last, fc->last_rx_ns);
            }
            if (now_ns > last && now_ns - last >= limit_ns) {
                timed_out.push_back(id);
                break;
            }
        }
    }
    for (session_id id : timed_out) {
        if (entry* e = lookup(id)) {
            e->timed_out = true;
            ++counters_.media_timeouts;
            spdlog::info("call {}: no media for {} s", id, cfg_.media.media_timeout_s);
            if (on_timeout_) {
                on_timeout_(id);
            }
        }
    }
}

}  // namespace sbc::cp::media
