#include "controlplane/media/media_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dataplane/shm/address.hpp"
#include "dataplane/srtp/master_key.hpp"
#include "sip/sdes.hpp"

namespace sbc::cp::media {

namespace {

uint64_t ns_of(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

bool rx_changed(const leg_media& now, const leg_media& next) {
    return now.active && now.srtp && next.srtp && now.peer.rx_key && next.peer.rx_key &&
           !srtp::same_key(*now.peer.rx_key, *next.peer.rx_key);
}

}  // namespace

media_manager::media_manager(const config::appliance& cfg, dataplane_client& dp)
    : cfg_(cfg), dp_(dp), profiles_(cfg) {
    for (const config::realm* r : {&cfg_.realm.access, &cfg_.realm.core}) {
        pools_.emplace(r->name, port_pool(r->media_port_min, r->media_port_max));
    }
}

media_manager::~media_manager() = default;

bool media_manager::open_cdr(std::string& error) {
    return cdr_.open(cfg_.calls.cdr_path, error);
}

port_pool& media_manager::pool_for(const config::realm& r) {
    auto it = pools_.find(r.name);
    if (it == pools_.end()) {
        it = pools_.emplace(r.name, port_pool(r.media_port_min, r.media_port_max)).first;
    }
    return it->second;
}

bool media_manager::at_capacity() const {
    return sessions_.size() - emergency_sessions_ >= cfg_.calls.max_sessions;
}

media_manager::entry* media_manager::lookup(session_id id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : &it->second;
}

const media_session* media_manager::find(session_id id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.session.get();
}

const leg_runtime* media_manager::runtime(session_id id, side s) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : &it->second.rt[idx(s)];
}

void media_manager::count_refusal(const status& st) {
    const auto i = static_cast<size_t>(st.code);
    if (i < std::size(counters_.refused)) {
        ++counters_.refused[i];
    }
}

media_manager::created media_manager::create(leg_setup a, leg_setup b, bool emergency) {
    created out;
    if (!emergency && at_capacity()) {
        out.st = fail(errc::at_capacity, std::to_string(cfg_.calls.max_sessions) + " sessions");
        count_refusal(out.st);
        return out;
    }
    port_pool& pa = pool_for(*a.realm);
    port_pool& pb = pool_for(*b.realm);
    auto port_a = pa.allocate();
    auto port_b = port_a ? pb.allocate() : std::nullopt;
    if (!port_a || !port_b) {
        if (port_a) {
            pa.release(*port_a);
        }
        out.st = fail(errc::no_ports, "realm " + (port_a ? b.realm->name : a.realm->name));
        count_refusal(out.st);
        return out;
    }
    const session_id id = next_id_++;
    entry e;
    e.session = std::make_unique<media_session>(id, std::move(a), *port_a, std::move(b), *port_b,
                                                cfg_.media);
    e.started = std::chrono::system_clock::now();
    e.emergency = emergency;
    for (side sd : {side::a, side::b}) {
        const leg& l = e.session->get(sd);
        local_[endpoint_key(l.key.dpdk_port, l.key.local_addr, l.port)] = {id, sd};
    }
    sessions_.emplace(id, std::move(e));
    if (emergency) {
        ++emergency_sessions_;
    }
    ++counters_.sessions_created;
    out.id = id;
    return out;
}

status media_manager::offer(session_id id, side from, std::string_view body, std::string& out) {
    entry* e = lookup(id);
    if (e == nullptr) {
        return fail(errc::no_session);
    }
    if (e->programming) {
        return fail(errc::offer_pending, "previous answer still being programmed");
    }
    ++counters_.offers;
    status st = e->session->offer(from, body, out);
    if (!st) {
        count_refusal(st);
    }
    return st;
}

void media_manager::cancel_offer(session_id id) {
    if (entry* e = lookup(id); e != nullptr && !e->programming) {
        e->session->cancel_offer();
    }
}

void media_manager::set_signalling_source(session_id id, side s, const shm::ip_address& addr) {
    if (entry* e = lookup(id)) {
        e->session->set_signalling_source(s, addr);
    }
}

void media_manager::answer(session_id id, side from, std::string_view body, done_fn done) {
    entry* e = lookup(id);
    if (e == nullptr) {
        done(fail(errc::no_session), {});
        return;
    }
    if (e->programming) {
        done(fail(errc::offer_pending, "previous answer still being programmed"), {});
        return;
    }
    std::string out;
    media_session& s = *e->session;
    status st = s.answer(from, body, out);
    if (!st) {
        count_refusal(st);
        done(st, {});
        return;
    }
    ++counters_.answers;
    const bool rekey = rx_changed(s.get(side::a).current, s.get(side::a).next) ||
                       rx_changed(s.get(side::b).current, s.get(side::b).next);
    auto plan = s.plan();
    apply_loops(id, plan);
    if (plan.install.empty() && plan.remove.empty()) {
        s.commit();
        done(status::ok(), out);
        return;
    }
    if (!dp_.attached()) {
        s.abandon();
        const status err = fail(errc::dataplane_unavailable);
        count_refusal(err);
        done(err, {});
        return;
    }
    program p;
    p.id = id;
    p.body = std::move(out);
    p.done = std::move(done);
    p.deadline = clock::now() + programming_deadline;
    p.rekey = rekey;
    dp_errc submit_error = dp_errc::none;
    for (const auto& spec : plan.install) {
        const auto r = dp_.flow_add(spec, shm::exist_ok);
        if (!r.ok()) {
            submit_error = r.error;
            break;
        }
        p.seqs.push_back(r.seq);
    }
    for (const auto& key : plan.remove) {
        if (submit_error != dp_errc::none) {
            break;
        }
        const auto r = dp_.flow_del(key, shm::missing_ok);
        if (!r.ok()) {
            submit_error = r.error;
            break;
        }
        p.seqs.push_back(r.seq);
    }
    if (submit_error != dp_errc::none) {
        restore(*e);
        s.abandon();
        const status err = fail(submit_error == dp_errc::ring_full ? errc::programming_failed
                                                                   : errc::dataplane_unavailable,
                                to_string(submit_error));
        count_refusal(err);
        auto cb = std::move(p.done);
        cb(err, {});
        return;
    }
    const uint64_t pid = next_program_++;
    for (uint64_t seq : p.seqs) {
        seq_owner_[seq] = pid;
    }
    e->programming = true;
    programs_.emplace(pid, std::move(p));
}

// Puts back what the dataplane had before a failed programming: the current flows, or none.
void media_manager::restore(entry& e) {
    if (!dp_.attached()) {
        return;
    }
    auto plan = e.session->current_plan();
    apply_loops(e.session->id(), plan);
    if (!plan.install.empty()) {
        for (const auto& spec : plan.install) {
            dp_.flow_add(spec, shm::exist_ok);
        }
        return;
    }
    for (side s : {side::a, side::b}) {
        dp_.flow_del(e.session->get(s).key, shm::missing_ok);
    }
}

void media_manager::finish(uint64_t program_id, bool timed_out) {
    auto it = programs_.find(program_id);
    if (it == programs_.end()) {
        return;
    }
    program p = std::move(it->second);
    programs_.erase(it);
    for (uint64_t seq : p.seqs) {
        seq_owner_.erase(seq);
    }
    entry* e = lookup(p.id);
    if (e == nullptr) {
        return;
    }
    e->programming = false;
    media_session& s = *e->session;
    if (timed_out || !p.error.empty()) {
        restore(*e);
        s.abandon();
        const status err =
            timed_out ? fail(errc::programming_timeout) : fail(errc::programming_failed, p.error);
        count_refusal(err);
        spdlog::warn("call {}: media programming failed: {}", p.id, err.message());
        p.done(err, {});
        return;
    }
    const bool was_up = s.media_up();
    const bool was_held = s.held();
    s.commit();
    if (p.rekey) {
        ++counters_.rekeys;
    }
    if (s.media_up() && (!was_up || (was_held && !s.held()))) {
        e->media_since = clock::now();
    }
    p.done(status::ok(), p.body);
}

void media_manager::on_event(const dp_event& ev) {
    const auto& raw = ev.raw;
    if (ev.is_reply()) {
        auto owner = seq_owner_.find(raw.seq);
        if (!ev.matched || owner == seq_owner_.end()) {
            return;
        }
        const uint64_t pid = owner->second;
        auto pit = programs_.find(pid);
        if (pit == programs_.end()) {
            seq_owner_.erase(owner);
            return;
        }
        program& p = pit->second;
        if (raw.type == shm::event_type::nack) {
            ++counters_.nacks;
            if (p.error.empty()) {
                p.error = ev.nack_text();
            }
        } else if (ev.command == shm::command_type::flow_del) {
            ++counters_.flows_removed;
        } else {
            ++counters_.flows_programmed;
        }
        p.seqs.erase(std::remove(p.seqs.begin(), p.seqs.end(), raw.seq), p.seqs.end());
        seq_owner_.erase(owner);
        if (p.seqs.empty()) {
            finish(pid, false);
        }
        return;
    }
    entry* e = lookup(raw.cookie >> 1);
    if (e == nullptr) {
        return;
    }
    const side s = (raw.cookie & 1) != 0 ? side::b : side::a;
    if (!(e->session->get(s).key == raw.key)) {
        return;  // an event about a flow that is not this leg's (stale cookie)
    }
    leg_runtime& rt = e->rt[idx(s)];
    switch (raw.type) {
        case shm::event_type::latched:
            rt.latched = raw.addr;
            ++counters_.latch_events;
            break;
        case shm::event_type::ssrc_changed:
            rt.ssrc = raw.ssrc;
            ++rt.ssrc_changes;
            ++counters_.ssrc_events;
            break;
        case shm::event_type::auth_fail_burst:
            ++rt.auth_fail_bursts;
            ++counters_.auth_fail_bursts;
            break;
        case shm::event_type::key_switched:
            ++rt.key_switches;
            break;
        default:
            // flow_idle included: tick() decides media timeouts from the counters.
            break;
    }
}

void media_manager::replay() {
    ++counters_.replays;
    size_t flows = 0;
    for (auto& [id, e] : sessions_) {
        auto plan = e.session->current_plan();
        apply_loops(id, plan);
        for (const auto& spec : plan.install) {
            if (dp_.flow_add(spec, shm::exist_ok).ok()) {
                ++flows;
            }
        }
    }
    spdlog::info("replayed {} flows of {} calls to the dataplane", flows, sessions_.size());
}

void media_manager::tick(clock::time_point now) {
    std::vector<uint64_t> expired;
    for (const auto& [pid, p] : programs_) {
        if (now >= p.deadline) {
            expired.push_back(pid);
        }
    }
    for (uint64_t pid : expired) {
        finish(pid, true);
    }
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
            shm::flow_key source = s.get(sd).key;
            if (auto lp = looped(id, sd)) {
                // What this leg's peer sends arrives on the leg behind our own endpoint.
                if (const media_session* t = find(lp->id)) {
                    source = t->get(other(lp->s)).key;
                }
            }
            if (auto fc = dp_.flow_counters(source)) {
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

uint64_t media_manager::endpoint_key(uint16_t dpdk_port, const shm::ip_address& a, uint16_t port) {
    return uint64_t{dpdk_port} << 48 | uint64_t{shm::ipv4_value(a)} << 16 | port;
}

std::optional<media_manager::leg_ref> media_manager::loop_target(session_id id,
                                                                 const shm::endpoint& peer,
                                                                 uint16_t dpdk_port) const {
    if (peer.addr.family != shm::addr_family::ipv4) {
        return std::nullopt;
    }
    auto it = local_.find(endpoint_key(dpdk_port, peer.addr, peer.port));
    if (it == local_.end() || it->second.id == id) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<media_manager::leg_ref> media_manager::looped(session_id id, side s) const {
    const media_session* ms = find(id);
    if (ms == nullptr || !ms->get(s).current.active) {
        return std::nullopt;
    }
    return loop_target(id, ms->get(s).current.last_peer, ms->get(s).key.dpdk_port);
}

void media_manager::apply_loops(session_id id, media_session::flow_plan& plan) const {
    if (plan.install.size() != 2) {
        return;
    }
    for (size_t i = 0; i < 2; ++i) {
        const auto& spec = plan.install[i];
        auto target = loop_target(id, spec.peer, spec.key.dpdk_port);
        if (!target) {
            continue;
        }
        const media_session* t = find(target->id);
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

void media_manager::end(session_id id, const call_summary& summary) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return;
    }
    entry& e = it->second;
    const media_session& s = *e.session;
    nlohmann::json legs = nlohmann::json::array();
    for (side sd : {side::a, side::b}) {
        legs.push_back(leg_json(e, sd));
    }
    // Pending programming of this call is dropped: its `done` is not called.
    for (auto pit = programs_.begin(); pit != programs_.end();) {
        if (pit->second.id == id) {
            for (uint64_t seq : pit->second.seqs) {
                seq_owner_.erase(seq);
            }
            pit = programs_.erase(pit);
        } else {
            ++pit;
        }
    }
    if (dp_.attached()) {
        for (side sd : {side::a, side::b}) {
            const leg& l = s.get(sd);
            if (l.current.active || e.programming) {
                dp_.flow_del(l.key, shm::missing_ok);
            }
        }
    }
    const auto ended = std::chrono::system_clock::now();
    nlohmann::json rec = {
        {"call_id", summary.call_id},
        {"session", id},
        {"from", summary.from},
        {"to", summary.to},
        {"direction", summary.direction},
        {"start", iso8601(e.started)},
        {"end", iso8601(ended)},
        {"final_status", summary.final_status},
        {"end_reason", summary.end_reason},
        {"emergency", e.emergency},
        {"legs", legs},
    };
    if (summary.answered) {
        rec["answer"] = iso8601(*summary.answered);
        rec["duration_s"] = std::chrono::duration<double>(ended - *summary.answered).count();
    } else {
        rec["duration_s"] = 0;
    }
    cdr_.write(rec);
    for (side sd : {side::a, side::b}) {
        const leg& l = s.get(sd);
        pool_for(*l.setup.realm).release(l.port);
        local_.erase(endpoint_key(l.key.dpdk_port, l.key.local_addr, l.port));
    }
    if (e.emergency) {
        --emergency_sessions_;
    }
    ++counters_.sessions_ended;
    sessions_.erase(it);
}

}  // namespace sbc::cp::media
