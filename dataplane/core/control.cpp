#include "dataplane/core/control.hpp"

#include <algorithm>
#include <cstring>

#include "dataplane/shm/address.hpp"
#include "dataplane/srtp/master_key.hpp"

namespace sbc::dp {

namespace {

using shm::nack_reason;

shm::event make_event(shm::event_type type, const shm::command& c) {
    shm::event ev{};
    ev.type = type;
    ev.seq = c.seq;
    ev.slot = no_slot;
    return ev;
}

uint64_t rtp_key(const shm::flow_key& k) {
    return pack_key(k.dpdk_port, shm::ipv4_value(k.local_addr), k.local_port);
}
uint64_t rtcp_key(const shm::flow_key& k) {
    return pack_key(k.dpdk_port, shm::ipv4_value(k.local_addr),
                    static_cast<uint16_t>(k.local_port + 1));
}

bool same_endpoint(const shm::endpoint& a, const shm::endpoint& b) {
    return a == b;
}

}  // namespace

control::control(tables& t, event_sink emit) : t_(t), emit_(std::move(emit)), legs_(t.max_flows) {
    free_.reserve(t.max_flows);
    for (uint32_t i = t.max_flows; i-- > 0;) {
        free_.push_back(i);
    }
}

control::~control() {
    for (auto& d : deferred_) {
        delete d.ctl;
    }
    for (auto& l : legs_) {
        delete l.ctl;
        delete l.stats;
    }
    for (uint32_t i = 0; i < t_.max_flows; ++i) {
        t_.legs[i].mail.drain();
    }
}

uint32_t control::slot_of(const shm::flow_key& k) const {
    if (k.local_addr.family != shm::addr_family::ipv4) {
        return no_slot;
    }
    const uint32_t v = t_.find_flow(rtp_key(k));
    if (v == no_slot || (v & rtcp_bit) != 0) {
        return no_slot;
    }
    return legs_[v].in_use && legs_[v].spec.key == k ? v : no_slot;
}

const shm::flow_spec* control::spec_of(uint32_t slot) const {
    return slot < legs_.size() && legs_[slot].in_use ? &legs_[slot].spec : nullptr;
}

nack_reason control::check(const shm::flow_spec& s) const {
    if (s.key.local_addr.family == shm::addr_family::ipv6 ||
        s.partner.local_addr.family == shm::addr_family::ipv6 ||
        s.peer.addr.family == shm::addr_family::ipv6) {
        return nack_reason::unsupported_family;
    }
    if (s.key.local_addr.family != shm::addr_family::ipv4) {
        return nack_reason::bad_address;
    }
    if (s.key.dpdk_port >= shm::max_ports || !t_.ports[s.key.dpdk_port].present) {
        return nack_reason::bad_port;
    }
    if (!t_.is_media_address(s.key.dpdk_port, shm::ipv4_value(s.key.local_addr))) {
        return nack_reason::bad_address;
    }
    if (s.key.local_port == 0 || (!s.rtcp_mux && s.key.local_port == 65535)) {
        return nack_reason::bad_spec;
    }
    if (s.partner.local_addr.family == shm::addr_family::ipv4 && s.partner == s.key) {
        return nack_reason::bad_spec;
    }
    if (static_cast<uint8_t>(s.protocol) > 1 || static_cast<uint8_t>(s.rtcp) > 1 ||
        static_cast<uint8_t>(s.latch) > 2 || s.pt_rewrite_count > 8 || s.rtcp_mux > 1) {
        return nack_reason::bad_spec;
    }
    if (s.protocol == shm::media_protocol::srtp) {
        for (const auto* k : {&s.rx, &s.tx}) {
            const auto err = srtp::validate(*k);
            if (err != srtp::key_error::none) {
                return srtp::to_nack_reason(err);
            }
        }
    }
    return nack_reason::none;
}

void control::apply(const shm::command& c, uint64_t now_tsc) {
    now_tsc_ = now_tsc;
    shm::event ev = make_event(shm::event_type::ack, c);
    switch (c.type) {
        case shm::command_type::nop:
            break;
        case shm::command_type::flow_add:
        case shm::command_type::flow_update: {
            ev.key = c.flow.key;
            ev.cookie = c.flow.cookie;
            const nack_reason r = check(c.flow);
            if (r != nack_reason::none) {
                ev.type = shm::event_type::nack;
                ev.reason = r;
                break;
            }
            const uint32_t slot = slot_of(c.flow.key);
            if (c.type == shm::command_type::flow_add) {
                if (slot == no_slot) {
                    add(c, now_tsc, ev);
                } else if (c.flags & shm::exist_ok) {
                    update(c, slot, ev);
                } else {
                    ev.type = shm::event_type::nack;
                    ev.reason = nack_reason::exists;
                    ev.slot = slot;
                }
            } else if (slot != no_slot) {
                update(c, slot, ev);
            } else if (!(c.flags & shm::missing_ok)) {
                ev.type = shm::event_type::nack;
                ev.reason = nack_reason::missing;
            }
            break;
        }
        case shm::command_type::flow_del:
            del(c, ev);
            break;
        case shm::command_type::key_roll:
            roll(c, ev);
            break;
        case shm::command_type::neigh_set:
            neigh(c, ev);
            break;
        case shm::command_type::snapshot:
            snapshot(c, ev);
            break;
        case shm::command_type::rx_start:
            t_.rx_enabled.store(true, std::memory_order_release);
            break;
        default:
            ev.type = shm::event_type::nack;
            ev.reason = nack_reason::unknown_command;
            break;
    }
    emit_(ev);
}

uint8_t control::prefix_of(const shm::flow_key& k) const {
    const uint32_t ip = shm::ipv4_value(k.local_addr);
    uint8_t prefix = 32;
    for (const auto& m : t_.ports[k.dpdk_port].media) {
        if (shm::ipv4_value(m.addr) == ip) {
            prefix = m.prefix_len;
        }
    }
    return prefix;
}

// Packets for this leg's peer leave from its media address: resolve the next hop now, so the
// first of them is not spent as the ARP request.
void control::solicit_next_hop(const leg_ctl& ctl) {
    if (ctl.peer_ip == 0 || ctl.dpdk_port >= shm::max_ports) {
        return;
    }
    const uint32_t nh = t_.next_hop_ip(ctl.dpdk_port, ctl.local_ip, ctl.local_mask, ctl.peer_ip);
    shm::mac_address known;
    if (!t_.neighbours.lookup(ctl.dpdk_port, nh, known)) {
        t_.solicits.push({ctl.local_ip, nh, ctl.dpdk_port, 0});
    }
}

void control::publish(uint32_t slot) {
    leg_control& lc = legs_[slot];
    const shm::flow_spec& s = lc.spec;
    auto* ctl = new leg_ctl{};
    const uint32_t partner =
        s.partner.local_addr.family == shm::addr_family::ipv4 ? slot_of(s.partner) : no_slot;
    link(slot, partner);
    ctl->partner = partner;
    ctl->generation = ++lc.generation;
    ctl->peer_epoch = lc.peer_epoch;
    ctl->peer_ip = shm::ipv4_value(s.peer.addr);
    ctl->peer_port = s.peer.port;
    ctl->local_port = s.key.local_port;
    ctl->local_ip = shm::ipv4_value(s.key.local_addr);
    ctl->dpdk_port = s.key.dpdk_port;
    ctl->local_mask = prefix_mask(prefix_of(s.key));
    ctl->protocol = s.protocol;
    ctl->rtcp = s.rtcp;
    ctl->rtcp_mux = s.rtcp_mux;
    ctl->latch = s.latch;
    ctl->media_flags = s.media_flags;
    // Reception statistics cost two cache lines per packet: kept only where a report may be
    // generated from them (this leg or its partner generates RTCP).
    ctl->rtcp_stats = s.rtcp == shm::rtcp_mode::generate ||
                      (partner != no_slot && legs_[partner].spec.rtcp == shm::rtcp_mode::generate);
    ctl->ssrc_hint = s.ssrc_hint;
    ctl->clock_rate = s.clock_rate == 0 ? 8000 : s.clock_rate;
    ctl->idle_timeout_ms = s.idle_timeout_ms;
    ctl->rtcp_generation_timeout_ms = s.rtcp_generation_timeout_ms;
    ctl->cookie = s.cookie;
    ctl->tsc_to_rtp_q32 = static_cast<uint64_t>(
        (static_cast<unsigned __int128>(ctl->clock_rate) << 32) / (t_.tsc_hz ? t_.tsc_hz : 1));
    if (ctl->rtcp_stats && lc.stats == nullptr) {
        // Kept until the slot is reclaimed, so that every record that ever pointed at it is
        // gone first.
        lc.stats = new leg_rtcp_rt{};
        lc.stats->last_rtcp_tsc.store(now_tsc_, std::memory_order_relaxed);
        lc.stats->last_generated_tsc = now_tsc_;
    }
    ctl->stats = ctl->rtcp_stats ? lc.stats : nullptr;
    if (partner != no_slot) {
        const leg_control& pl = legs_[partner];
        const shm::flow_spec& ps = pl.spec;
        leg_out& o = ctl->out;
        o.peer_ip = shm::ipv4_value(ps.peer.addr);
        o.peer_port = ps.peer.port;
        o.local_port = ps.key.local_port;
        o.local_ip = shm::ipv4_value(ps.key.local_addr);
        o.prefix_len = prefix_of(ps.key);
        o.srtp = t_.legs[partner].srtp.load(std::memory_order_relaxed);
        o.peer_epoch = pl.peer_epoch;
        o.dpdk_port = ps.key.dpdk_port;
        o.protocol = ps.protocol;
        o.rtcp_mux = ps.rtcp_mux;
        o.media_flags = ps.media_flags;
        o.pt_rewrite_count = ps.pt_rewrite_count;
        std::memcpy(o.pt_rewrites, ps.pt_rewrites, sizeof o.pt_rewrites);
    }
    const leg_ctl* old = t_.legs[slot].ctl.exchange(ctl, std::memory_order_acq_rel);
    lc.ctl = ctl;
    solicit_next_hop(*ctl);
    if (old != nullptr) {
        retire(old, no_slot);
    }
}

void control::link(uint32_t slot, uint32_t partner) {
    leg_control& lc = legs_[slot];
    if (lc.linked == partner) {
        return;
    }
    if (lc.linked != no_slot) {
        auto& r = legs_[lc.linked].referrers;
        r.erase(std::remove(r.begin(), r.end(), slot), r.end());
    }
    if (partner != no_slot) {
        legs_[partner].referrers.push_back(slot);
    }
    lc.linked = partner;
}

// Legs whose control record carries `slot` as partner copy its forwarding data (leg_out):
// republished whenever it changes.
void control::republish_referrers(uint32_t slot) {
    const std::vector<uint32_t> r = legs_[slot].referrers;  // publish() may edit the list
    for (uint32_t x : r) {
        publish(x);
    }
}

// The leg whose partner key names `slot`'s key gets `slot` as partner (or loses it).
void control::relink_partner_of(uint32_t slot) {
    const shm::flow_spec& s = legs_[slot].spec;
    if (s.partner.local_addr.family != shm::addr_family::ipv4) {
        return;
    }
    const uint32_t other = slot_of(s.partner);
    if (other != no_slot && legs_[other].spec.partner == s.key && legs_[other].linked != slot) {
        publish(other);
    }
}

void control::add(const shm::command& c, uint64_t now_tsc, shm::event& ev) {
    if (free_.empty()) {
        ev.type = shm::event_type::nack;
        ev.reason = nack_reason::table_full;
        return;
    }
    const uint32_t slot = free_.back();
    // The RTP port may be another leg's RTCP port and the RTCP port another leg's RTP port.
    const bool rtcp = !c.flow.rtcp_mux;
    if (t_.find_flow(rtp_key(c.flow.key)) != no_slot ||
        (rtcp && t_.find_flow(rtcp_key(c.flow.key)) != no_slot)) {
        ev.type = shm::event_type::nack;
        ev.reason = nack_reason::exists;
        return;
    }
    const nack_reason kr = install_keys(slot, {}, c.flow, true);
    if (kr != nack_reason::none) {
        ev.type = shm::event_type::nack;
        ev.reason = kr;
        return;
    }
    leg_rt& rt = t_.legs[slot];
    rt.key64 = rtp_key(c.flow.key);  // before indexing: the index moves entries by their key
    if (!t_.index_flow(rtp_key(c.flow.key), slot) ||
        (rtcp && !t_.index_flow(rtcp_key(c.flow.key), slot | rtcp_bit))) {
        t_.index.erase(rtp_key(c.flow.key), slot);
        rt.key64 = 0;
        drop_record(slot);
        ev.type = shm::event_type::nack;
        ev.reason = nack_reason::table_full;
        return;
    }
    free_.pop_back();
    leg_control& lc = legs_[slot];
    lc.spec = c.flow;
    lc.in_use = true;
    lc.idle_reported = false;
    ++lc.peer_epoch;

    rt.latch.store(0, std::memory_order_relaxed);
    rt.rtcp_latch.store(0, std::memory_order_relaxed);
    t_.rare[slot].auth_fail_count = 0;
    t_.rare[slot].auth_fail_event_tsc = 0;
    rt.peer_epoch_seen.store(0, std::memory_order_relaxed);
    rt.rtp_ssrc = 0;
    rt.flags = 0;
    rt.owner.store(no_owner, std::memory_order_relaxed);
    shm::flow_counters& fc = t_.counters[slot];
    const uint32_t gen = fc.generation;
    std::memset(&fc, 0, sizeof fc);
    fc.key = c.flow.key;
    fc.cookie = c.flow.cookie;
    fc.generation = (gen | 1u) + 2u;           // odd: in use
    fc.last_rx_ns = t_.monotonic_ns(now_tsc);  // silence (flow_idle, R2) counts from now

    publish(slot);
    relink_partner_of(slot);
    ++installed_;
    ev.slot = slot;
}

void control::update(const shm::command& c, uint32_t slot, shm::event& ev) {
    leg_control& lc = legs_[slot];
    const shm::flow_spec old = lc.spec;
    const nack_reason kr = install_keys(slot, old, c.flow, false);
    if (kr != nack_reason::none) {
        ev.type = shm::event_type::nack;
        ev.reason = kr;
        return;
    }
    if (old.rtcp_mux != c.flow.rtcp_mux) {
        if (c.flow.rtcp_mux) {
            t_.index.erase(rtcp_key(old.key), slot | rtcp_bit);
        } else if (t_.find_flow(rtcp_key(c.flow.key)) != no_slot ||
                   !t_.index_flow(rtcp_key(c.flow.key), slot | rtcp_bit)) {
            ev.type = shm::event_type::nack;
            ev.reason = t_.find_flow(rtcp_key(c.flow.key)) != no_slot ? nack_reason::exists
                                                                      : nack_reason::table_full;
            return;
        }
    }
    lc.spec = c.flow;
    if (!same_endpoint(old.peer, c.flow.peer) || old.latch != c.flow.latch) {
        ++lc.peer_epoch;
    }
    lc.idle_reported = false;
    t_.counters[slot].cookie = c.flow.cookie;
    publish(slot);
    republish_referrers(slot);
    if (!(old.partner == c.flow.partner)) {
        // Re-pairing (transfer): the old partner loses us, the new one gains us.
        if (old.partner.local_addr.family == shm::addr_family::ipv4) {
            const uint32_t prev = slot_of(old.partner);
            if (prev != no_slot) {
                publish(prev);
            }
        }
    }
    relink_partner_of(slot);
    ev.slot = slot;
}

void control::del(const shm::command& c, shm::event& ev) {
    ev.key = c.key;
    if (c.key.local_addr.family == shm::addr_family::ipv6) {
        ev.type = shm::event_type::nack;
        ev.reason = nack_reason::unsupported_family;
        return;
    }
    const uint32_t slot = slot_of(c.key);
    if (slot == no_slot) {
        if (!(c.flags & shm::missing_ok)) {
            ev.type = shm::event_type::nack;
            ev.reason = nack_reason::missing;
        }
        return;
    }
    leg_control& lc = legs_[slot];
    ev.cookie = lc.spec.cookie;
    ev.slot = slot;
    t_.index.erase(rtp_key(lc.spec.key), slot);
    if (!lc.spec.rtcp_mux) {
        t_.index.erase(rtcp_key(lc.spec.key), slot | rtcp_bit);
    }
    const leg_ctl* old = t_.legs[slot].ctl.exchange(nullptr, std::memory_order_acq_rel);
    lc.in_use = false;
    lc.ctl = nullptr;
    --installed_;
    t_.counters[slot].generation += 1;  // even: free
    // The legs that forward to us keep running, without a partner.
    link(slot, no_slot);
    republish_referrers(slot);
    retire(old, slot);
}

void control::neigh(const shm::command& c, shm::event& ev) {
    if (c.neigh.addr.family != shm::addr_family::ipv4) {
        ev.type = shm::event_type::nack;
        ev.reason = c.neigh.addr.family == shm::addr_family::ipv6 ? nack_reason::unsupported_family
                                                                  : nack_reason::bad_address;
        return;
    }
    if (c.neigh.dpdk_port >= shm::max_ports || !t_.ports[c.neigh.dpdk_port].present) {
        ev.type = shm::event_type::nack;
        ev.reason = nack_reason::bad_port;
        return;
    }
    shm::mac_address mac;
    std::memcpy(mac.data(), c.neigh.mac, 6);
    if (!t_.neighbours.set(c.neigh.dpdk_port, shm::ipv4_value(c.neigh.addr), mac, true)) {
        ev.type = shm::event_type::nack;
        ev.reason = nack_reason::table_full;
    }
}

void control::snapshot(const shm::command& c, shm::event& ev) {
    uint32_t n = 0;
    for (uint32_t slot = 0; slot < legs_.size(); ++slot) {
        const leg_control& lc = legs_[slot];
        if (!lc.in_use) {
            continue;
        }
        shm::event f = make_event(shm::event_type::snapshot_flow, c);
        f.key = lc.spec.key;
        f.cookie = lc.spec.cookie;
        f.slot = slot;
        const uint64_t l = t_.legs[slot].latch.load(std::memory_order_relaxed);
        f.addr = l != 0 ? shm::make_endpoint(shm::ipv4(latch_ip(l)), latch_port(l)) : lc.spec.peer;
        const srtp::stream* rx = t_.rx_stream(slot);
        f.ssrc = rx != nullptr && rx->has_ssrc() ? rx->ssrc() : t_.legs[slot].rtp_ssrc;
        emit_(f);
        ++n;
    }
    ev.type = shm::event_type::snapshot_end;
    ev.count = n;
}

void control::retire(const leg_ctl* ctl, uint32_t slot) {
    deferred_.push_back({t_.rcu.start_grace(), ctl, slot});
}

void control::reclaim() {
    while (!deferred_.empty() && t_.rcu.passed(deferred_.front().token)) {
        const deferred d = deferred_.front();
        deferred_.pop_front();
        delete d.ctl;
        if (d.slot != no_slot) {
            delete legs_[d.slot].stats;
            legs_[d.slot].stats = nullptr;
            t_.legs[d.slot].mail.drain();
            drop_record(d.slot);
            t_.legs[d.slot].key64 = 0;
            free_.push_back(d.slot);
        }
    }
}

void control::sweep_idle(uint64_t now_tsc) {
    const uint64_t now_ns = t_.monotonic_ns(now_tsc);
    for (uint32_t slot = 0; slot < legs_.size(); ++slot) {
        leg_control& lc = legs_[slot];
        if (!lc.in_use || lc.spec.idle_timeout_ms == 0) {
            continue;
        }
        const uint64_t last = t_.counters[slot].last_rx_ns;
        const uint64_t idle_ms = now_ns > last ? (now_ns - last) / 1'000'000 : 0;
        if (idle_ms < lc.spec.idle_timeout_ms) {
            lc.idle_reported = false;
            continue;
        }
        if (lc.idle_reported) {
            continue;
        }
        lc.idle_reported = true;
        shm::event ev{};
        ev.type = shm::event_type::flow_idle;
        ev.key = lc.spec.key;
        ev.cookie = lc.spec.cookie;
        ev.slot = slot;
        ev.count = static_cast<uint32_t>(idle_ms > UINT32_MAX ? UINT32_MAX : idle_ms);
        emit_(ev);
    }
}

}  // namespace sbc::dp
