#include "controlplane/dataplane_link.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "dataplane/shm/address.hpp"

namespace sbc::cp {

namespace {

const char* state_name(shm::dataplane_state s) {
    switch (s) {
        case shm::dataplane_state::starting:
            return "starting";
        case shm::dataplane_state::running:
            return "running";
        case shm::dataplane_state::stopping:
            return "stopping";
    }
    return "unknown";
}

}  // namespace

dataplane_link::~dataplane_link() {
    stop();
}

dp_status dataplane_link::attach_at_startup(const retry_policy& policy) {
    dp_status st = client_.attach_with_retry(instance_, policy, attach_mode::controller);
    if (!st) {
        last_error_ = st.message;
    }
    return st;
}

void dataplane_link::start(std::chrono::milliseconds poll_interval) {
    poll_timer_ = loop_.run_every(poll_interval, [this] { tick(); });
}

void dataplane_link::stop() {
    if (poll_timer_ != 0) {
        loop_.cancel_every(poll_timer_);
        poll_timer_ = 0;
    }
}

void dataplane_link::tick() {
    if (lost_) {
        try_reattach();
        return;
    }
    if (client_.dataplane_restarted() || !client_.alive(std::chrono::milliseconds(3000))) {
        lost_ = true;
        last_error_ =
            client_.dataplane_restarted() ? "dataplane restarted" : "dataplane heartbeat stopped";
        spdlog::warn("{}: detaching and waiting for it to come back", last_error_);
        client_.detach();
        next_reattach_ = std::chrono::steady_clock::now();
        reattach_backoff_ = std::chrono::milliseconds(50);
        return;
    }
    client_.poll_events([this](const dp_event& ev) {
        for (auto& h : event_handlers_) {
            h(ev);
        }
    });
}

void dataplane_link::try_reattach() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_reattach_) {
        return;
    }
    dp_status st = client_.attach(instance_, attach_mode::controller);
    if (!st) {
        last_error_ = st.message;
        next_reattach_ = now + reattach_backoff_;
        reattach_backoff_ = std::min(reattach_backoff_ * 2, std::chrono::milliseconds(1000));
        return;
    }
    lost_ = false;
    last_error_.clear();
    ++reattaches_;
    spdlog::info("re-attached to dataplane {} (pid {}); replaying flows", instance_,
                 client_.dataplane_pid());
    for (auto& h : reattach_handlers_) {
        h();
    }
}

nlohmann::json dataplane_link::status_json() const {
    nlohmann::json j;
    j["attached"] = attached();
    j["reattaches"] = reattaches_;
    if (!attached()) {
        j["error"] = last_error_.empty() ? "not attached" : last_error_;
        return j;
    }
    j["pid"] = client_.dataplane_pid();
    j["state"] = state_name(client_.state());
    if (auto age = client_.heartbeat_age()) {
        j["heartbeat_age_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(*age).count();
    }
    j["contract_version"] = client_.header()->version;
    j["flows"] = client_.flows_installed();
    j["commands_done"] = client_.commands_done();
    j["events_lost"] = client_.events_lost();
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& p : client_.ports()) {
        shm::mac_address mac;
        std::copy(std::begin(p.counters.mac), std::end(p.counters.mac), mac.begin());
        ports.push_back({{"id", p.id},
                         {"mac", shm::to_string(mac)},
                         {"up", p.counters.up != 0},
                         {"rx_packets", p.counters.rx_packets},
                         {"rx_bytes", p.counters.rx_bytes},
                         {"tx_packets", p.counters.tx_packets},
                         {"tx_bytes", p.counters.tx_bytes},
                         {"rx_missed", p.counters.rx_missed},
                         {"rx_kernel_drops", p.counters.rx_kernel_drops},
                         {"rx_nombuf", p.counters.rx_nombuf},
                         {"rx_ring_frames", p.counters.rx_ring_frames},
                         {"rx_errors", p.counters.rx_errors},
                         {"tx_errors", p.counters.tx_errors}});
    }
    j["ports"] = ports;
    nlohmann::json lcores = nlohmann::json::array();
    for (const auto& l : client_.lcores()) {
        const double cpp = l.rx_packets == 0 ? 0.0
                                             : static_cast<double>(l.busy_cycles) /
                                                   static_cast<double>(l.rx_packets);
        lcores.push_back({{"loops", l.loops},
                          {"busy_loops", l.busy_loops},
                          {"rx_packets", l.rx_packets},
                          {"tx_packets", l.tx_packets},
                          {"arp_requests", l.arp_requests},
                          {"arp_replies", l.arp_replies},
                          {"rtcp_generated", l.rtcp_generated},
                          {"busy_cycles_per_packet", cpp}});
    }
    j["lcores"] = lcores;
    return j;
}

cp::result<nlohmann::json> dataplane_link::counters_table() const {
    nlohmann::json cols = nlohmann::json::array({"reason"});
    nlohmann::json rows = nlohmann::json::array();
    if (!attached()) {
        return cp::fail("dataplane not attached: " + last_error_);
    }
    const auto lcores = client_.lcores();
    for (size_t i = 0; i < lcores.size(); ++i) {
        cols.push_back("lcore" + std::to_string(i));
    }
    cols.push_back("total");
    for (size_t r = 0; r < shm::drop_reason_count; ++r) {
        nlohmann::json row = nlohmann::json::array({shm::drop_reason_name[r]});
        uint64_t total = 0;
        for (const auto& l : lcores) {
            row.push_back(l.drops[r]);
            total += l.drops[r];
        }
        row.push_back(total);
        rows.push_back(row);
    }
    // Loss before the SBC read a packet: the port's own and the kernel ring's (issue 11). Per
    // port, so the lcore columns are empty.
    for (const auto& p : client_.ports()) {
        const std::pair<const char*, uint64_t> port_rows[] = {
            {"rx_kernel_drops", p.counters.rx_kernel_drops},
            {"rx_missed", p.counters.rx_missed},
            {"rx_nombuf", p.counters.rx_nombuf},
            {"rx_errors", p.counters.rx_errors},
            {"tx_errors", p.counters.tx_errors}};
        for (const auto& [name, value] : port_rows) {
            nlohmann::json row =
                nlohmann::json::array({"port" + std::to_string(p.id) + " " + name});
            for (size_t i = 0; i < lcores.size(); ++i) {
                row.push_back("");
            }
            row.push_back(value);
            rows.push_back(row);
        }
    }
    return nlohmann::json{{"columns", cols}, {"rows", rows}};
}

}  // namespace sbc::cp
