#include "controlplane/dataplane_client/dataplane_client.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <thread>

namespace sbc::cp {

namespace {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t first_seq() {
    // Later than any sequence number an earlier sbcd used, so stale replies never match.
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

dp_errc from_attach(shm::attach_error e) {
    switch (e) {
        case shm::attach_error::none:
            return dp_errc::none;
        case shm::attach_error::missing:
            return dp_errc::missing;
        case shm::attach_error::too_small:
        case shm::attach_error::bad_magic:
            return dp_errc::bad_region;
        case shm::attach_error::version_mismatch:
            return dp_errc::version_mismatch;
        case shm::attach_error::not_running:
            return dp_errc::not_running;
        case shm::attach_error::system:
            break;
    }
    return dp_errc::system;
}

bool process_alive(int pid) {
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace

const char* to_string(dp_errc e) {
    switch (e) {
        case dp_errc::none:
            return "ok";
        case dp_errc::missing:
            return "dataplane region missing";
        case dp_errc::version_mismatch:
            return "contract version mismatch";
        case dp_errc::not_running:
            return "dataplane not running";
        case dp_errc::bad_region:
            return "bad dataplane region";
        case dp_errc::controller_busy:
            return "another controller is attached";
        case dp_errc::system:
            return "system error";
        case dp_errc::not_attached:
            return "not attached";
        case dp_errc::not_controller:
            return "attached as observer";
        case dp_errc::ring_full:
            return "command ring full";
        case dp_errc::timeout:
            return "timed out";
    }
    return "?";
}

const char* dp_event::nack_text() const {
    const auto r = static_cast<size_t>(raw.reason);
    return r < std::size(shm::nack_reason_text) ? shm::nack_reason_text[r] : "unknown reason";
}

size_t dataplane_client::key_hash::operator()(const shm::flow_key& k) const {
    uint64_t h = k.dpdk_port * 0x9E3779B97F4A7C15ULL ^ k.local_port;
    for (uint8_t b : k.local_addr.bytes) {
        h = (h ^ b) * 0x100000001b3ULL;
    }
    return static_cast<size_t>(h ^ static_cast<uint8_t>(k.local_addr.family));
}

dataplane_client::~dataplane_client() {
    detach();
}

dataplane_client::dataplane_client(dataplane_client&& o) noexcept
    : region_(std::move(o.region_)),
      mode_(o.mode_),
      next_seq_(o.next_seq_),
      pending_(std::move(o.pending_)),
      held_(std::move(o.held_)),
      slots_(std::move(o.slots_)) {}

dataplane_client& dataplane_client::operator=(dataplane_client&& o) noexcept {
    if (this != &o) {
        detach();
        region_ = std::move(o.region_);
        mode_ = o.mode_;
        next_seq_ = o.next_seq_;
        pending_ = std::move(o.pending_);
        held_ = std::move(o.held_);
        slots_ = std::move(o.slots_);
    }
    return *this;
}

dp_status dataplane_client::attach(std::string_view instance, attach_mode mode) {
    detach();
    shm::attach_error err = shm::attach_error::none;
    std::string message;
    shm::region r = shm::region::attach(instance, true, err, message);
    if (!r.valid()) {
        return {from_attach(err), message};
    }
    if (mode == attach_mode::controller) {
        auto& owner = r.header().controller_pid;
        const int self = getpid();
        int current = owner.load(std::memory_order_acquire);
        if (current != 0 && current != self && process_alive(current)) {
            return {dp_errc::controller_busy, "dataplane " + std::string(instance) +
                                                  " already has a controller (pid " +
                                                  std::to_string(current) + ")"};
        }
        if (!owner.compare_exchange_strong(current, self, std::memory_order_acq_rel)) {
            return {dp_errc::controller_busy,
                    "dataplane " + std::string(instance) + " was claimed by another controller"};
        }
    }
    region_ = std::move(r);
    mode_ = mode;
    next_seq_ = first_seq();
    pending_.clear();
    held_.clear();
    slots_.clear();
    return {};
}

dp_status dataplane_client::attach_with_retry(std::string_view instance, const retry_policy& p,
                                              attach_mode mode) {
    const auto deadline = std::chrono::steady_clock::now() + p.deadline;
    auto delay = p.initial_delay;
    for (;;) {
        dp_status st = attach(instance, mode);
        if (st || (st.code != dp_errc::missing && st.code != dp_errc::not_running &&
                   st.code != dp_errc::bad_region)) {
            return st;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return {dp_errc::timeout, "gave up attaching after " +
                                          std::to_string(p.deadline.count()) +
                                          " ms: " + st.message};
        }
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(delay, deadline - now));
        delay = std::min(delay * 2, p.max_delay);
    }
}

void dataplane_client::detach() {
    if (!region_.valid()) {
        return;
    }
    if (mode_ == attach_mode::controller) {
        int self = getpid();
        region_.header().controller_pid.compare_exchange_strong(self, 0);
    }
    region_ = shm::region();
    pending_.clear();
    held_.clear();
    slots_.clear();
}

bool dataplane_client::dataplane_restarted() const {
    return attached() && region_.replaced();
}

submit_result dataplane_client::submit(shm::command c) {
    if (!attached()) {
        return {0, dp_errc::not_attached};
    }
    if (mode_ != attach_mode::controller) {
        return {0, dp_errc::not_controller};
    }
    c.seq = next_seq_ + 1;
    if (!region_.command_ring().push(c)) {
        return {0, dp_errc::ring_full};
    }
    ++next_seq_;
    shm::flow_key key{};
    switch (c.type) {
        case shm::command_type::flow_add:
        case shm::command_type::flow_update:
            key = c.flow.key;
            break;
        case shm::command_type::flow_del:
            key = c.key;
            break;
        case shm::command_type::key_roll:
            key = c.roll.key;
            break;
        default:
            break;
    }
    pending_[c.seq] = {c.type, key};
    return {c.seq, dp_errc::none};
}

submit_result dataplane_client::flow_add(const shm::flow_spec& spec, uint16_t flags) {
    shm::command c{};
    c.type = shm::command_type::flow_add;
    c.flags = flags;
    c.flow = spec;
    return submit(c);
}

submit_result dataplane_client::flow_update(const shm::flow_spec& spec, uint16_t flags) {
    shm::command c{};
    c.type = shm::command_type::flow_update;
    c.flags = flags;
    c.flow = spec;
    return submit(c);
}

submit_result dataplane_client::flow_del(const shm::flow_key& key, uint16_t flags) {
    shm::command c{};
    c.type = shm::command_type::flow_del;
    c.flags = flags;
    c.key = key;
    return submit(c);
}

submit_result dataplane_client::key_roll(const shm::flow_key& key, shm::key_direction dir,
                                         const shm::srtp_key& material, uint16_t flags) {
    shm::command c{};
    c.type = shm::command_type::key_roll;
    c.flags = flags;
    c.roll.key = key;
    c.roll.direction = dir;
    c.roll.key_material = material;
    return submit(c);
}

submit_result dataplane_client::neigh_set(uint16_t dpdk_port, const shm::ip_address& addr,
                                          const shm::mac_address& mac) {
    shm::command c{};
    c.type = shm::command_type::neigh_set;
    c.neigh.dpdk_port = dpdk_port;
    c.neigh.addr = addr;
    std::memcpy(c.neigh.mac, mac.data(), 6);
    return submit(c);
}

submit_result dataplane_client::snapshot() {
    shm::command c{};
    c.type = shm::command_type::snapshot;
    return submit(c);
}

submit_result dataplane_client::rx_start() {
    shm::command c{};
    c.type = shm::command_type::rx_start;
    return submit(c);
}

uint32_t dataplane_client::free_command_slots() const {
    return attached() ? region_.command_ring().free_slots() : 0;
}

dp_event dataplane_client::match(const shm::event& ev) {
    dp_event out;
    out.raw = ev;
    if (out.is_reply()) {
        auto it = pending_.find(ev.seq);
        if (it != pending_.end()) {
            out.command = it->second.type;
            out.matched = true;
            if (ev.type == shm::event_type::ack && ev.slot != UINT32_MAX &&
                (it->second.type == shm::command_type::flow_add ||
                 it->second.type == shm::command_type::flow_update)) {
                slots_[it->second.key] = ev.slot;
            }
            if (ev.type == shm::event_type::ack && it->second.type == shm::command_type::flow_del) {
                slots_.erase(it->second.key);
            }
            pending_.erase(it);
        }
    } else if (ev.type == shm::event_type::snapshot_flow && ev.slot != UINT32_MAX) {
        slots_[ev.key] = ev.slot;
    }
    return out;
}

size_t dataplane_client::poll_events(const std::function<void(const dp_event&)>& on_event,
                                     size_t max) {
    size_t n = 0;
    while (!held_.empty() && n < max) {
        dp_event e = held_.front();
        held_.erase(held_.begin());
        on_event(e);
        ++n;
    }
    if (!attached() || mode_ != attach_mode::controller) {
        return n;
    }
    auto ring = region_.event_ring();
    shm::event buf[64];
    while (n < max) {
        const uint32_t want = static_cast<uint32_t>(std::min<size_t>(64, max - n));
        const uint32_t got = ring.pop_burst(buf, want);
        for (uint32_t i = 0; i < got; ++i) {
            on_event(match(buf[i]));
        }
        n += got;
        if (got < want) {
            break;
        }
    }
    return n;
}

std::vector<dp_event> dataplane_client::poll_events(size_t max) {
    std::vector<dp_event> out;
    poll_events([&out](const dp_event& e) { out.push_back(e); }, max);
    return out;
}

std::optional<dp_event> dataplane_client::wait_for(uint64_t seq,
                                                   std::chrono::milliseconds timeout) {
    for (size_t i = 0; i < held_.size(); ++i) {
        if (held_[i].is_reply() && held_[i].raw.seq == seq) {
            dp_event e = held_[i];
            held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
            return e;
        }
    }
    if (!attached() || mode_ != attach_mode::controller) {
        return std::nullopt;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto ring = region_.event_ring();
    for (;;) {
        shm::event ev;
        bool any = false;
        while (ring.pop(ev)) {
            any = true;
            dp_event e = match(ev);
            if (e.is_reply() && ev.seq == seq) {
                return e;
            }
            held_.push_back(e);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        if (!any) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
}

flow_table dataplane_client::read_flow_table(std::chrono::milliseconds timeout) {
    flow_table out;
    const submit_result snap = snapshot();
    if (!snap.ok()) {
        out.error = snap.error;
        return out;
    }
    if (!wait_for(snap.seq, timeout)) {
        out.error = dp_errc::timeout;
        return out;
    }
    // The snapshot's flows came before its end and wait_for() held them: take them out, keep
    // the rest in arrival order.
    auto rest = std::stable_partition(held_.begin(), held_.end(), [&](const dp_event& e) {
        return !(e.raw.type == shm::event_type::snapshot_flow && e.raw.seq == snap.seq);
    });
    out.flows.reserve(static_cast<size_t>(held_.end() - rest));
    for (auto it = rest; it != held_.end(); ++it) {
        out.flows.push_back(it->raw);
    }
    held_.erase(rest, held_.end());
    return out;
}

std::optional<std::chrono::nanoseconds> dataplane_client::heartbeat_age() const {
    if (!attached()) {
        return std::nullopt;
    }
    const uint64_t hb = region_.header().heartbeat_ns.load(std::memory_order_acquire);
    if (hb == 0) {
        return std::nullopt;
    }
    const uint64_t now = monotonic_ns();
    return std::chrono::nanoseconds(now > hb ? now - hb : 0);
}

bool dataplane_client::alive(std::chrono::milliseconds max_age) const {
    const auto age = heartbeat_age();
    return age && *age <= max_age && state() == shm::dataplane_state::running;
}

shm::dataplane_state dataplane_client::state() const {
    if (!attached()) {
        return shm::dataplane_state::stopping;
    }
    return static_cast<shm::dataplane_state>(
        region_.header().state.load(std::memory_order_acquire));
}

int dataplane_client::dataplane_pid() const {
    return attached() ? region_.header().dataplane_pid : 0;
}

std::vector<port_stats> dataplane_client::ports() const {
    std::vector<port_stats> out;
    if (!attached()) {
        return out;
    }
    const uint32_t n = std::min(region_.header().port_count, shm::max_ports);
    for (uint32_t i = 0; i < n; ++i) {
        out.push_back({static_cast<uint16_t>(i), region_.counters().ports[i]});
    }
    return out;
}

std::vector<shm::lcore_counters> dataplane_client::lcores() const {
    std::vector<shm::lcore_counters> out;
    if (!attached()) {
        return out;
    }
    const uint32_t n = std::min(region_.header().lcore_count, shm::max_lcores);
    for (uint32_t i = 0; i < n; ++i) {
        out.push_back(region_.counters().lcores[i]);
    }
    return out;
}

std::optional<shm::flow_counters> dataplane_client::flow_counters(const shm::flow_key& key) const {
    if (!attached()) {
        return std::nullopt;
    }
    const shm::flow_counters* fc = region_.flows();
    const uint32_t n = region_.header().max_flows;
    auto usable = [&](uint32_t i) { return (fc[i].generation & 1u) != 0 && fc[i].key == key; };
    auto it = slots_.find(key);
    if (it != slots_.end() && it->second < n && usable(it->second)) {
        return fc[it->second];
    }
    for (uint32_t i = 0; i < n; ++i) {
        if (usable(i)) {
            slots_[key] = i;
            return fc[i];
        }
    }
    return std::nullopt;
}

uint64_t dataplane_client::events_lost() const {
    return attached() ? region_.counters().events_lost : 0;
}

uint64_t dataplane_client::commands_done() const {
    return attached() ? region_.counters().commands_done : 0;
}

uint32_t dataplane_client::flows_installed() const {
    return attached() ? static_cast<uint32_t>(region_.counters().flows_installed) : 0;
}

}  // namespace sbc::cp
