// `sbcctl calls`: one row per call (state, parties, legs with profiles, ports and packet
// counters), the full detail per call, and the B2BUA's and the media manager's counters.

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/counters_json.hpp"
#include "controlplane/media/call_record.hpp"

namespace sbc::cp::b2bua {

namespace {

double seconds_since(std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::system_clock::now() - t).count();
}

}  // namespace

nlohmann::json b2bua::calls_json(size_t limit) const {
    nlohmann::json rows = nlohmann::json::array();
    nlohmann::json detail = nlohmann::json::array();
    // Oldest first (ids grow with time).
    std::vector<call_id_t> ids = table_.ids();
    if (ids.size() > limit) {
        ids.resize(limit);
    }
    for (call_id_t id : ids) {
        const call_data& c = table_.find(id)->data();
        nlohmann::json m = media_.session_json(c.media);
        nlohmann::json legs = nlohmann::json::array();
        for (side s : {side::a, side::b}) {
            const dialog_leg& l = c.leg(s);
            nlohmann::json j = {{"side", media::side_name(s)},
                                {"realm", std::string(realm_name(l.realm))},
                                {"call_id", l.call_id},
                                {"peer", l.remote_address},
                                {"user_agent", l.user_agent}};
            if (m.is_object()) {
                j["media"] = m["legs"][media::idx(s)];
            }
            legs.push_back(std::move(j));
        }
        const double duration = c.answered ? seconds_since(*c.answered) : 0.0;
        const std::string state(state_name(c.state));
        const std::string direction(direction_of(c.kind));
        detail.push_back({{"call", id},
                          {"state", state},
                          {"kind", std::string(kind_name(c.kind))},
                          {"direction", direction},
                          {"route", c.route},
                          {"from", c.from_aor},
                          {"to", c.to_aor},
                          {"start", media::iso8601(c.started)},
                          {"duration_s", duration},
                          {"held", m.is_object() ? m["held"] : nlohmann::json(false)},
                          {"session_interval_s", c.session_interval},
                          {"refreshes", c.refreshes},
                          {"reinvites", c.reinvites},
                          {"updates", c.updates},
                          {"legs", legs}});
        auto leg_cell = [&](side s, const char* key) -> nlohmann::json {
            const auto& lj = legs[media::idx(s)];
            if (!lj.contains("media") || !lj["media"].contains(key)) {
                return "";
            }
            return lj["media"][key];
        };
        rows.push_back({id, state, direction, c.from_aor, c.to_aor, static_cast<int64_t>(duration),
                        leg_cell(side::a, "profile"), leg_cell(side::a, "local"),
                        leg_cell(side::a, "protocol"), leg_cell(side::a, "rx_packets"),
                        leg_cell(side::a, "srtp_failures"), leg_cell(side::b, "profile"),
                        leg_cell(side::b, "local"), leg_cell(side::b, "protocol"),
                        leg_cell(side::b, "rx_packets"), leg_cell(side::b, "srtp_failures")});
    }
    return {{"columns",
             {"call", "state", "direction", "from", "to", "duration_s", "a_profile", "a_local",
              "a_media", "a_rx_packets", "a_srtp_failures", "b_profile", "b_local", "b_media",
              "b_rx_packets", "b_srtp_failures"}},
            {"rows", rows},
            {"total", table_.size()},
            {"calls", detail},
            {"counters", counters_json()},
            {"media", media_.counters_json()}};
}

nlohmann::json b2bua::counters_json() const {
    return cp::counters_json(counters_);
}

}  // namespace sbc::cp::b2bua
