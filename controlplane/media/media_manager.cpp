#include "controlplane/media/media_manager.hpp"

#include <spdlog/spdlog.h>

#include "dataplane/srtp/master_key.hpp"

namespace sbc::cp::media {

namespace {

bool rx_changed(const leg_media& now, const leg_media& next) {
    return now.active && now.srtp && next.srtp && now.peer.rx_key && next.peer.rx_key &&
           !srtp::same_key(*now.peer.rx_key, *next.peer.rx_key);
}

}  // namespace

media_manager::media_manager(const config::appliance& cfg, dataplane_client& dp)
    : cfg_(cfg),
      dp_(dp),
      profiles_(cfg),
      ports_(cfg),
      programmer_(dp),
      hairpin_([this](session_id id) { return find(id); }) {}

media_manager::~media_manager() = default;

cp::status media_manager::open_cdr() {
    return cdr_.open(cfg_.calls.cdr_path);
}

bool media_manager::at_capacity() const {
    return sessions_.size() - emergency_sessions_ >= cfg_.calls.max_sessions;
}

media_counters media_manager::counters() const {
    media_counters c = counters_;
    c.flows_programmed = programmer_.flows_programmed;
    c.flows_removed = programmer_.flows_removed;
    c.nacks = programmer_.nacks;
    return c;
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

status media_manager::refuse(status st) {
    const auto i = static_cast<size_t>(st.code);
    if (i < std::size(refused_)) {
        ++refused_[i];
    }
    return st;
}

cp::result<session_id, status> media_manager::create(leg_setup a, leg_setup b, bool emergency) {
    if (!emergency && at_capacity()) {
        return refuse(
            fail(errc::at_capacity, std::to_string(cfg_.calls.max_sessions) + " sessions"));
    }
    const auto ports = ports_.allocate(*a.realm, *b.realm, emergency);
    if (!ports) {
        return refuse(fail(errc::no_ports, ports.error().message()));
    }
    const session_id id = next_id_++;
    entry e;
    e.session = std::make_unique<media_session>(id, std::move(a), ports->a, std::move(b), ports->b,
                                                cfg_.media);
    e.started = std::chrono::system_clock::now();
    e.emergency = emergency;
    hairpin_.add(*e.session);
    sessions_.emplace(id, std::move(e));
    if (emergency) {
        ++emergency_sessions_;
    }
    ++counters_.sessions_created;
    return id;
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
    return st ? st : refuse(std::move(st));
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
    if (status st = s.answer(from, body, out); !st) {
        done(refuse(std::move(st)), {});
        return;
    }
    ++counters_.answers;
    const bool rekey = rx_changed(s.get(side::a).current, s.get(side::a).next) ||
                       rx_changed(s.get(side::b).current, s.get(side::b).next);
    auto plan = s.plan();
    hairpin_.apply(id, plan);
    if (plan.install.empty() && plan.remove.empty()) {
        s.commit();
        done(status::ok(), out);
        return;
    }
    if (!dp_.attached()) {
        s.abandon();
        done(refuse(fail(errc::dataplane_unavailable)), {});
        return;
    }
    const dp_errc submitted =
        programmer_.submit(id, plan, clock::now() + programming_deadline,
                           [this, id, rekey, body = std::move(out), done](
                               flow_programmer::outcome how, const std::string& nack) {
                               programmed(id, how, nack, rekey, body, done);
                           });
    if (submitted != dp_errc::none) {
        restore(*e);
        s.abandon();
        done(refuse(fail(submitted == dp_errc::ring_full ? errc::programming_failed
                                                         : errc::dataplane_unavailable,
                         to_string(submitted))),
             {});
        return;
    }
    e->programming = true;
}

void media_manager::restore(entry& e) {
    if (!dp_.attached()) {
        return;
    }
    auto plan = e.session->current_plan();
    hairpin_.apply(e.session->id(), plan);
    if (plan.install.empty()) {
        for (side s : {side::a, side::b}) {
            plan.remove.push_back(e.session->get(s).key);
        }
    }
    programmer_.push(plan);
}

void media_manager::programmed(session_id id, flow_programmer::outcome how, const std::string& nack,
                               bool rekey, const std::string& body, const done_fn& done) {
    entry* e = lookup(id);
    if (e == nullptr) {
        return;
    }
    e->programming = false;
    media_session& s = *e->session;
    if (how != flow_programmer::outcome::ok) {
        restore(*e);
        s.abandon();
        const status err =
            refuse(how == flow_programmer::outcome::timeout ? fail(errc::programming_timeout)
                                                            : fail(errc::programming_failed, nack));
        spdlog::warn("call {}: media programming failed: {}", id, err.message());
        done(err, {});
        return;
    }
    const bool was_up = s.media_up();
    const bool was_held = s.held();
    s.commit();
    if (rekey) {
        ++counters_.rekeys;
    }
    if (s.media_up() && (!was_up || (was_held && !s.held()))) {
        e->media_since = clock::now();
    }
    done(status::ok(), body);
}

void media_manager::on_event(const dp_event& ev) {
    if (ev.is_reply()) {
        programmer_.on_reply(ev);
        return;
    }
    const auto& raw = ev.raw;
    if (raw.type == shm::event_type::snapshot_flow) {
        return;  // read at start by adopt_flow_table(); a late one changes nothing
    }
    // An event about a flow no call owns: an orphan of a previous sbcd (whose cookies may even
    // name one of our calls), or a flow just removed. Counted, so a leak is visible.
    entry* e = lookup(raw.cookie >> 1);
    const side s = (raw.cookie & 1) != 0 ? side::b : side::a;
    if (e == nullptr || !(e->session->get(s).key == raw.key)) {
        ++counters_.unknown_flow_events;
        return;
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
        hairpin_.apply(id, plan);
        if (!plan.install.empty()) {
            flows += programmer_.push(plan);
        }
    }
    spdlog::info("replayed {} flows of {} calls to the dataplane", flows, sessions_.size());
}

void media_manager::tick(clock::time_point now) {
    programmer_.expire(now);
    find_media_timeouts(now);
    remove_orphans(now);
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
    programmer_.drop(id);
    if (dp_.attached()) {
        for (side sd : {side::a, side::b}) {
            const leg& l = s.get(sd);
            if (l.current.active || e.programming) {
                dp_.flow_del(l.key, shm::missing_ok);
            }
        }
    }
    cdr_.write(call_record(summary, id, e.started, std::chrono::system_clock::now(), e.emergency,
                           std::move(legs)));
    for (side sd : {side::a, side::b}) {
        const leg& l = s.get(sd);
        ports_.release(*l.setup.realm, l.port);
    }
    hairpin_.remove(s);
    if (e.emergency) {
        --emergency_sessions_;
    }
    ++counters_.sessions_ended;
    sessions_.erase(it);
}

}  // namespace sbc::cp::media
