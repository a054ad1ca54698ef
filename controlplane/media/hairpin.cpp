#include "controlplane/media/hairpin.hpp"

#include "dataplane/shm/address.hpp"

namespace sbc::cp::media {

uint64_t hairpin_map::key(uint16_t dpdk_port, const shm::ip_address& a, uint16_t port) {
    return uint64_t{dpdk_port} << 48 | uint64_t{shm::ipv4_value(a)} << 16 | port;
}

void hairpin_map::add(const media_session& s) {
    for (side sd : {side::a, side::b}) {
        const leg& l = s.get(sd);
        local_[key(l.key.dpdk_port, l.key.local_addr, l.port)] = {s.id(), sd};
    }
}

void hairpin_map::remove(const media_session& s) {
    for (side sd : {side::a, side::b}) {
        const leg& l = s.get(sd);
        local_.erase(key(l.key.dpdk_port, l.key.local_addr, l.port));
    }
}

std::optional<leg_ref> hairpin_map::loop_target(session_id id, const shm::endpoint& peer,
                                                uint16_t dpdk_port) const {
    if (peer.addr.family != shm::addr_family::ipv4) {
        return std::nullopt;
    }
    auto it = local_.find(key(dpdk_port, peer.addr, peer.port));
    if (it == local_.end() || it->second.id == id) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<leg_ref> hairpin_map::looped(session_id id, side s) const {
    const media_session* ms = find_(id);
    if (ms == nullptr || !ms->get(s).current.active) {
        return std::nullopt;
    }
    return loop_target(id, ms->get(s).current.last_peer, ms->get(s).key.dpdk_port);
}

void hairpin_map::apply(session_id id, flow_plan& plan) const {
    if (plan.install.size() != 2) {
        return;
    }
    for (size_t i = 0; i < 2; ++i) {
        const auto& spec = plan.install[i];
        auto target = loop_target(id, spec.peer, spec.key.dpdk_port);
        if (!target) {
            continue;
        }
        const media_session* t = find_(target->id);
        if (t == nullptr) {
            continue;
        }
        // The other leg relays straight to the leg behind our endpoint.
        plan.install[1 - i].partner = t->get(other(target->s)).key;
        plan.remove.push_back(spec.key);
        plan.install.erase(plan.install.begin() + static_cast<long>(i));
        return;
    }
}

shm::flow_key hairpin_map::source_of(session_id id, side s) const {
    const media_session* ms = find_(id);
    shm::flow_key source = ms != nullptr ? ms->get(s).key : shm::flow_key{};
    if (auto lp = looped(id, s)) {
        if (const media_session* t = find_(lp->id)) {
            source = t->get(other(lp->s)).key;
        }
    }
    return source;
}

}  // namespace sbc::cp::media
