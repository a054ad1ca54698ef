#pragma once
// The main lcore's side of the flow table: applies the commands sbcd sends over the command
// ring, publishes control records, links partners, reclaims removed legs after a grace period,
// and reports idle flows. Commands are idempotent (exist_ok / missing_ok) and every one is
// answered with ack or nack(reason). Runs without the EAL: tests drive it on plain memory.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "dataplane/core/key_mail.hpp"
#include "dataplane/core/tables.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::dp {

using event_sink = std::function<void(const shm::event&)>;

class control {
  public:
    control(tables& t, event_sink emit);
    ~control();
    control(const control&) = delete;
    control& operator=(const control&) = delete;

    // Applies one command; emits its ack/nack (and, for snapshot, one event per flow first).
    void apply(const shm::command& c, uint64_t now_tsc);

    // Frees what the workers can no longer see. Call every loop.
    void reclaim();

    // Emits flow_idle for legs silent for their idle_timeout_ms (once per silence).
    void sweep_idle(uint64_t now_tsc);

    uint32_t flows() const { return installed_; }
    // The slot of an installed leg, or no_slot.
    uint32_t slot_of(const shm::flow_key& k) const;
    const shm::flow_spec* spec_of(uint32_t slot) const;

  private:
    struct leg_control {
        shm::flow_spec spec{};
        const leg_ctl* ctl = nullptr;
        uint32_t generation = 0;
        uint32_t peer_epoch = 0;
        bool in_use = false;
        bool idle_reported = false;
        leg_rtcp_rt* stats = nullptr;     // RTCP reception statistics, once needed
        uint32_t linked = no_slot;        // partner in the published control record
        std::vector<uint32_t> referrers;  // legs whose published partner is this leg
    };
    struct deferred {
        uint64_t token;
        const leg_ctl* ctl;  // freed
        uint32_t slot;       // returned to the free list (no_slot = none)
    };

    shm::nack_reason check(const shm::flow_spec& s) const;
    void add(const shm::command& c, uint64_t now_tsc, shm::event& ev);
    void update(const shm::command& c, uint32_t slot, shm::event& ev);
    void del(const shm::command& c, shm::event& ev);
    void roll(const shm::command& c, shm::event& ev);
    void neigh(const shm::command& c, shm::event& ev);
    void snapshot(const shm::command& c, shm::event& ev);
    shm::nack_reason install_keys(uint32_t slot, const shm::flow_spec& old_spec,
                                  const shm::flow_spec& spec, bool fresh);
    void publish(uint32_t slot);
    void solicit_next_hop(const leg_ctl& ctl);
    void link(uint32_t slot, uint32_t partner);
    void republish_referrers(uint32_t slot);
    uint8_t prefix_of(const shm::flow_key& k) const;
    void drop_record(uint32_t slot);
    void relink_partner_of(uint32_t slot);
    void retire(const leg_ctl* ctl, uint32_t slot);

    tables& t_;
    event_sink emit_;
    std::vector<leg_control> legs_;
    std::vector<uint32_t> free_;
    std::deque<deferred> deferred_;
    uint32_t installed_ = 0;
    uint64_t now_tsc_ = 0;  // of the command being applied
};

}  // namespace sbc::dp
