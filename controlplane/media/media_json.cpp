// Views of the media manager for sbcctl (`sbcctl calls`) and call records: one call's legs
// (realm, profile and why, addresses, protocol, dataplane counters), and the manager's totals.

#include "controlplane/counters_json.hpp"
#include "controlplane/media/media_manager.hpp"
#include "dataplane/shm/address.hpp"

namespace sbc::cp::media {

namespace {

std::string endpoint_text(const shm::endpoint& e) {
    return e.addr.family == shm::addr_family::none ? std::string() : shm::to_string(e);
}

}  // namespace

nlohmann::json media_manager::leg_json(const entry& e, side s) const {
    const leg& l = e.session->get(s);
    const leg_media& m = l.current;
    const leg_runtime& rt = e.rt[idx(s)];
    nlohmann::json j = {
        {"side", side_name(s)},
        {"realm", l.setup.realm->name},
        {"profile", l.setup.profile->name},
        {"profile_reason", l.setup.profile_reason},
        {"local", shm::to_string(shm::make_endpoint(l.key.local_addr, l.port))},
        {"active", m.active},
    };
    if (m.active) {
        j["peer"] = endpoint_text(m.last_peer);
        j["protocol"] = m.srtp ? "srtp" : "rtp";
        if (m.srtp) {
            j["suite"] = std::string(srtp_suite_name(m.ours.suite));
        }
        j["rtcp_mux"] = m.rtcp_mux;
        j["direction"] = std::string(sip::sdp::direction_name(m.peer.effective_direction()));
        j["codecs"] = m.peer.encodings;
    }
    if (rt.latched) {
        j["latched"] = endpoint_text(*rt.latched);
    }
    if (auto lp = hairpin_.looped(e.session->id(), s)) {
        j["looped_to"] = "session " + std::to_string(lp->id) + " leg " + side_name(lp->s);
    }
    if (rt.ssrc != 0) {
        j["ssrc"] = rt.ssrc;
    }
    j["ssrc_changes"] = rt.ssrc_changes;
    j["auth_fail_bursts"] = rt.auth_fail_bursts;
    j["key_switches"] = rt.key_switches;
    uint64_t rx = 0, rx_bytes = 0, fwd = 0, fwd_bytes = 0, rtcp = 0, auth = 0, replay = 0;
    nlohmann::json drops = nlohmann::json::object();
    if (m.active) {
        if (auto fc = dp_.flow_counters(l.key)) {
            rx = fc->rx_packets;
            rx_bytes = fc->rx_bytes;
            fwd = fc->fwd_packets;
            fwd_bytes = fc->fwd_bytes;
            rtcp = fc->rtcp_rx_packets;
            auth = fc->drops[static_cast<size_t>(shm::drop_reason::auth_fail)];
            replay = fc->drops[static_cast<size_t>(shm::drop_reason::replay)];
            for (size_t r = 0; r < shm::flow_drop_reason_count; ++r) {
                if (fc->drops[r] != 0) {
                    drops[shm::drop_reason_name[r]] = fc->drops[r];
                }
            }
        }
    }
    j["rx_packets"] = rx;
    j["rx_bytes"] = rx_bytes;
    j["fwd_packets"] = fwd;
    j["fwd_bytes"] = fwd_bytes;
    j["rtcp_rx_packets"] = rtcp;
    j["srtp_failures"] = auth + replay;
    j["drops"] = drops;
    return j;
}

nlohmann::json media_manager::session_json(session_id id) const {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return nullptr;
    }
    const entry& e = it->second;
    const media_session& s = *e.session;
    return {
        {"session", id},
        {"media_up", s.media_up()},
        {"held", s.held()},
        {"offer_pending", s.offer_pending()},
        {"emergency", e.emergency},
        {"legs", nlohmann::json::array({leg_json(e, side::a), leg_json(e, side::b)})},
    };
}

nlohmann::json media_manager::counters_json() const {
    nlohmann::json refused = nlohmann::json::object();
    for (size_t i = 1; i < std::size(refused_); ++i) {
        if (refused_[i] != 0) {
            refused[std::string(name(static_cast<errc>(i)))] = refused_[i];
        }
    }
    nlohmann::json j = cp::counters_json(counters());
    j["active"] = sessions_.size();
    j["max_sessions"] = cfg_.calls.max_sessions;
    j["refused"] = refused;
    j["cdr_written"] = cdr_.written();
    j["cdr_lost"] = cdr_.lost();
    j["ports"] = ports_.json();
    return j;
}

}  // namespace sbc::cp::media
