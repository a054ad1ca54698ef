#pragma once
// sbcd's handle on sbc-dataplane: attaches to the shared region /dev/shm/sbc-<instance>,
// pushes fixed-size commands with sequence numbers, drains the event ring and matches
// acks/nacks to the commands they answer, and reads liveness and counters. No DPDK here.
// Nothing blocks except attach_with_retry(), wait_for() and read_flow_table(), which are bounded
// by a deadline; a full command ring is an error value.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/shm/address.hpp"
#include "dataplane/shm/contract.hpp"
#include "dataplane/shm/region.hpp"

namespace sbc::cp {

enum class dp_errc : uint8_t {
    none,
    missing,           // no region: sbc-dataplane is not running (yet)
    version_mismatch,  // region built against another contract version
    not_running,       // region exists, the dataplane is starting or stopping
    bad_region,        // truncated or not an sbc region
    controller_busy,   // another live process is attached as controller
    system,            // open/mmap failed
    not_attached,      // call needs an attached client
    not_controller,    // command on an observer client
    ring_full,         // command ring full: retry after poll_events()
    timeout,           // wait_for / attach_with_retry ran out of time
};
const char* to_string(dp_errc e);

struct dp_status {
    dp_errc code = dp_errc::none;
    std::string message;  // for operators; empty when ok
    explicit operator bool() const { return code == dp_errc::none; }
};

struct submit_result {
    uint64_t seq = 0;  // the command's sequence number (0 when not submitted)
    dp_errc error = dp_errc::none;
    bool ok() const { return error == dp_errc::none; }
};

// An event from the dataplane. For ack, nack and snapshot_end, `command` is the type of the
// command it answers and `matched` says it answered a command of this client (false for an
// answer to a previous sbcd's command).
struct dp_event {
    shm::event raw{};
    shm::command_type command = shm::command_type::nop;
    bool matched = false;
    bool is_reply() const {
        return raw.type == shm::event_type::ack || raw.type == shm::event_type::nack ||
               raw.type == shm::event_type::snapshot_end;
    }
    const char* nack_text() const;
};

enum class attach_mode {
    controller,  // the one process that sends commands and reads events (sbcd)
    observer,    // counters and liveness only (sbcctl, monitoring)
};

struct retry_policy {
    std::chrono::milliseconds initial_delay{10};
    std::chrono::milliseconds max_delay{500};
    std::chrono::milliseconds deadline{10000};
};

// The dataplane's flow table as the snapshot command reports it: one snapshot_flow event (key,
// cookie, latched peer, slot) per installed flow.
struct flow_table {
    dp_errc error = dp_errc::none;
    std::vector<shm::event> flows;
};

struct port_stats {
    uint16_t id;
    shm::port_counters counters;
};

class dataplane_client {
  public:
    dataplane_client() = default;
    ~dataplane_client();
    dataplane_client(dataplane_client&& other) noexcept;
    dataplane_client& operator=(dataplane_client&& other) noexcept;
    dataplane_client(const dataplane_client&) = delete;
    dataplane_client& operator=(const dataplane_client&) = delete;

    // One attempt. Errors: missing, version_mismatch (message names both versions),
    // not_running, bad_region, controller_busy, system.
    dp_status attach(std::string_view instance, attach_mode mode = attach_mode::controller);
    // Retries missing / not_running / bad_region with exponential backoff until the deadline;
    // other errors return at once. On timeout the status carries the last error's message.
    dp_status attach_with_retry(std::string_view instance, const retry_policy& policy = {},
                                attach_mode mode = attach_mode::controller);
    void detach();
    bool attached() const { return region_.valid(); }
    // The region was unlinked or recreated: the dataplane restarted; attach again and replay.
    bool dataplane_restarted() const;

    // Commands. Each assigns the next sequence number and returns it; nothing waits.
    submit_result flow_add(const shm::flow_spec& spec, uint16_t flags = 0);
    submit_result flow_update(const shm::flow_spec& spec, uint16_t flags = 0);
    submit_result flow_del(const shm::flow_key& key, uint16_t flags = 0);
    submit_result key_roll(const shm::flow_key& key, shm::key_direction dir,
                           const shm::srtp_key& material, uint16_t flags = 0);
    submit_result neigh_set(uint16_t dpdk_port, const shm::ip_address& addr,
                            const shm::mac_address& mac);
    submit_result snapshot();
    submit_result rx_start();
    // Any command; `c.seq` is overwritten.
    submit_result submit(shm::command c);

    uint32_t free_command_slots() const;
    size_t pending() const { return pending_.size(); }

    // Drains up to `max` events, matching replies to pending commands.
    std::vector<dp_event> poll_events(size_t max = SIZE_MAX);
    size_t poll_events(const std::function<void(const dp_event&)>& on_event, size_t max = SIZE_MAX);
    // Polls (sleeping 100 us between empty polls) until the reply to `seq` arrives; other
    // events are kept for the next poll_events(). nullopt on timeout.
    std::optional<dp_event> wait_for(uint64_t seq, std::chrono::milliseconds timeout);
    // Sends a snapshot and waits up to `timeout` for its end, like wait_for(): other events are
    // kept for the next poll_events(). Errors: not_attached, not_controller, ring_full, timeout.
    flow_table read_flow_table(std::chrono::milliseconds timeout);

    // Liveness.
    std::optional<std::chrono::nanoseconds> heartbeat_age() const;
    bool alive(std::chrono::milliseconds max_age = std::chrono::milliseconds(1000)) const;
    shm::dataplane_state state() const;
    int dataplane_pid() const;

    // Counters (copies; readers tolerate torn counter sets).
    std::vector<port_stats> ports() const;
    std::vector<shm::lcore_counters> lcores() const;
    std::optional<shm::flow_counters> flow_counters(const shm::flow_key& key) const;
    uint64_t events_lost() const;
    uint64_t commands_done() const;
    uint32_t flows_installed() const;
    const shm::region_header* header() const { return attached() ? &region_.header() : nullptr; }

  private:
    struct pending_command {
        shm::command_type type;
        shm::flow_key key;
    };
    struct key_hash {
        size_t operator()(const shm::flow_key& k) const;
    };
    dp_event match(const shm::event& ev);

    shm::region region_;
    attach_mode mode_ = attach_mode::controller;
    uint64_t next_seq_ = 0;
    std::unordered_map<uint64_t, pending_command> pending_;
    std::vector<dp_event> held_;  // events read by wait_for() for the next poll_events()
    mutable std::unordered_map<shm::flow_key, uint32_t, key_hash> slots_;
};

}  // namespace sbc::cp
