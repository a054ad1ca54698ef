// Flows a previous sbcd left in the dataplane (issue 15). The dataplane keeps relaying while sbcd
// is away; when sbcd comes back, a flow that none of its calls owns would relay with its old keys
// forever and hold its slot toward `table_full`. At start sbcd reads the dataplane's flow table
// (the snapshot command); each such orphan keeps relaying for calls.orphan_flow_grace_s (a call
// whose signalling is being restored loses no packet meanwhile), its port kept out of the pool so
// no new call is given it, and is then removed.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>

#include "controlplane/media/media_manager.hpp"

namespace sbc::cp::media {

namespace {

struct key_less {
    bool operator()(const shm::flow_key& a, const shm::flow_key& b) const {
        if (a.dpdk_port != b.dpdk_port || a.local_port != b.local_port) {
            return std::tie(a.dpdk_port, a.local_port) < std::tie(b.dpdk_port, b.local_port);
        }
        if (a.local_addr.family != b.local_addr.family) {
            return a.local_addr.family < b.local_addr.family;
        }
        return std::memcmp(a.local_addr.bytes, b.local_addr.bytes, sizeof a.local_addr.bytes) < 0;
    }
};

// The realm whose media address and DPDK port the flow uses, or null.
const config::realm* realm_of(const config::appliance& cfg, const shm::flow_key& key) {
    for (const config::realm* r : {&cfg.realm.access, &cfg.realm.core}) {
        shm::ip_address addr{};
        if (r->dpdk_port == key.dpdk_port && shm::parse_ip(r->media_address, addr) &&
            addr == key.local_addr) {
            return r;
        }
    }
    return nullptr;
}

}  // namespace

size_t media_manager::adopt_flow_table(const std::vector<shm::event>& flows,
                                       clock::time_point now) {
    std::set<shm::flow_key, key_less> owned;
    for (const auto& [id, e] : sessions_) {
        for (side s : {side::a, side::b}) {
            owned.insert(e.session->get(s).key);
        }
    }
    size_t found = 0;
    for (const shm::event& f : flows) {
        if (owned.count(f.key) != 0) {
            continue;
        }
        orphan o;
        o.key = f.key;
        o.realm = realm_of(cfg_, f.key);
        o.port_taken = o.realm != nullptr && ports_.take(*o.realm, f.key.local_port);
        orphans_.push_back(o);
        ++found;
    }
    counters_.orphan_flows_found += found;
    orphans_due_ = now + std::chrono::seconds(cfg_.calls.orphan_flow_grace_s);
    spdlog::info(
        "dataplane holds {} flows at start: {} of no call of ours, removed in {} s "
        "(calls.orphan_flow_grace_s)",
        flows.size(), found, cfg_.calls.orphan_flow_grace_s);
    return found;
}

void media_manager::remove_orphans(clock::time_point now) {
    if (orphans_.empty() || now < orphans_due_ || !dp_.attached()) {
        return;
    }
    // missing_ok: the flow may be gone already (a dataplane restart meanwhile). The command ring
    // is in order, so a port given back here cannot reach a new call's flow_add before its
    // flow_del; whatever does not fit in the ring now is tried at the next tick.
    size_t removed = 0;
    while (!orphans_.empty()) {
        const orphan& o = orphans_.back();
        if (!dp_.flow_del(o.key, shm::missing_ok).ok()) {
            break;
        }
        if (o.port_taken) {
            ports_.release(*o.realm, o.key.local_port);
        }
        orphans_.pop_back();
        ++removed;
    }
    counters_.orphan_flows_removed += removed;
    spdlog::info("removed {} orphan flows{}", removed,
                 orphans_.empty()
                     ? ""
                     : fmt::format(" ({} wait for room in the command ring)", orphans_.size()));
}

nlohmann::json media_manager::restart_json(clock::time_point now) const {
    nlohmann::json j{{"orphan_flows_found", counters_.orphan_flows_found},
                     {"orphan_flows_removed", counters_.orphan_flows_removed},
                     {"orphan_flows_pending", orphans_.size()},
                     {"unknown_flow_events", counters_.unknown_flow_events}};
    if (!orphans_.empty()) {
        j["orphan_removal_in_s"] = std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::seconds>(orphans_due_ - now).count());
    }
    return j;
}

}  // namespace sbc::cp::media
