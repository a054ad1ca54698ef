#include "controlplane/cloudlink/push_sender.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/counters_json.hpp"

namespace sbc::cp::cloudlink {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto window = std::chrono::seconds(60);

std::uint64_t push_counters::*counter_for(outcome o) {
    switch (o) {
        case outcome::ok:
            return &push_counters::sent;
        case outcome::token_rejected:
        case outcome::refresh_refused:
        case outcome::clock_skew:
            return &push_counters::failed_token;
        case outcome::rate_limited:
            return &push_counters::failed_cloudlink_busy;
        case outcome::unknown_device:
            return &push_counters::failed_unknown_device;
        case outcome::unreachable:
            return &push_counters::failed_unavailable;
        default:
            return &push_counters::failed_other;
    }
}

}  // namespace

push_sender::push_sender(sip::io_loop& loop, api& cloud, link_client& link,
                         const config::push_section& cfg)
    : loop_(loop), cloud_(cloud), link_(link), cfg_(cfg) {}

push_sender::~push_sender() {
    life_.end();
}

bool push_sender::over_limit(const std::string& key) {
    const auto now = loop_.now();
    if (sends_.size() >= max_devices_tracked && sends_.count(key) == 0) {
        // Forget devices whose last push left the window; a table full of live ones drops one.
        for (auto it = sends_.begin(); it != sends_.end();) {
            it = it->second.empty() || now - it->second.back() > window ? sends_.erase(it)
                                                                        : std::next(it);
        }
        if (sends_.size() >= max_devices_tracked) {
            sends_.erase(sends_.begin());
        }
    }
    auto& times = sends_[key];
    while (!times.empty() && now - times.front() >= window) {
        times.pop_front();
    }
    if (times.size() >= cfg_.max_per_device_per_minute) {
        return true;
    }
    times.push_back(now);
    return false;
}

void push_sender::push(const push_device& device, const std::string& call_id,
                       const std::string& caller, done_fn done) {
    ++counters_.requested;
    const auto started = loop_.now();
    auto fail_now = [&](outcome why, std::string message, std::uint64_t push_counters::*counter) {
        ++(counters_.*counter);
        push_result r;
        r.why = why;
        r.message = std::move(message);
        // Never inside the caller's own call: it may still be setting up the state it waits in.
        loop_.post(
            life_.guard([this, device, call_id, started, r, done = std::move(done)]() mutable {
                finish(device, call_id, started, std::move(r), std::move(done));
            }));
    };
    if (!cfg_.enable) {
        fail_now(outcome::rejected, "push is disabled ([push] enable = false)",
                 &push_counters::failed_disabled);
        return;
    }
    std::string key(device.provider());
    key.append(1, '\n').append(device.prid());
    if (over_limit(key)) {
        fail_now(outcome::rate_limited,
                 "more than " + std::to_string(cfg_.max_per_device_per_minute) +
                     " pushes to this device within a minute ([push] max_per_device_per_minute)",
                 &push_counters::failed_rate_limited);
        return;
    }
    const auto token = link_.usable_token();
    if (!token) {
        const auto why = token.error().why;
        fail_now(why, token.error().message,
                 why == outcome::token_rejected ? &push_counters::failed_token
                 : why == outcome::rate_limited ? &push_counters::failed_cloudlink_busy
                                                : &push_counters::failed_not_linked);
        return;
    }
    push_target target{std::string(device.provider()), std::string(device.prid()),
                       std::string(device.param()), call_id, caller};
    cloud_.push(*token, target, cfg_.request_timeout_ms,
                life_.guard([this, device, call_id, started, done = std::move(done)](api_result a) {
                    link_.heard(a);
                    if (a.result == outcome::token_rejected) {
                        link_.token_rejected();
                    } else if (a.result == outcome::rate_limited) {
                        link_.slow_down(a.retry_after_s.value_or(1));
                    }
                    ++(counters_.*counter_for(a.result));
                    push_result r;
                    r.sent = a.result == outcome::ok;
                    r.why = a.result;
                    r.push_id = a.push_id;
                    r.message = r.sent ? "push " + a.push_id : a.message;
                    finish(device, call_id, started, std::move(r), std::move(done));
                }));
}

void push_sender::finish(const push_device& device, const std::string& call_id,
                         std::chrono::steady_clock::time_point started, push_result r,
                         done_fn done) {
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(loop_.now() - started);
    if (!r.sent) {
        spdlog::warn("push for call {} to {} failed: {}", call_id, device.summary(), r.message);
    }
    recent_.push_front({{"device", device.summary()},
                        {"call_id", call_id},
                        {"result", r.sent ? "sent" : outcome_name(r.why)},
                        {"message", r.message},
                        {"took_ms", r.took.count()}});
    if (recent_.size() > recent_kept) {
        recent_.pop_back();
    }
    done(r);
}

nlohmann::json push_sender::counters_json() const {
    return cp::counters_json(counters_);
}

nlohmann::json push_sender::recent() const {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : recent_) {
        j.push_back(r);
    }
    return j;
}

}  // namespace sbc::cp::cloudlink
