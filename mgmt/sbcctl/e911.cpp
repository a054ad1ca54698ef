// sbcctl e911: the emergency-call side at a glance (guide chapter 12): the emergency numbers per
// realm, the media port reserve, and for each remote endpoint its realms and ports, every
// location domain's health by the OPTIONS keep-alive (state, since when, why, the keep-alive's
// and the calls' counters), the last calls no location domain took (newest last), then the e911
// counters. The operator's question is "would an emergency call get through now, and if one
// did not, why": the health and the failures answer it.

#include <ctime>
#include <sstream>

#include "controlplane/e911/e911_counters.hpp"
#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace sbc::mgmt {

namespace {

std::string joined(const nlohmann::json& list) {
    if (!list.is_array() || list.empty()) {
        return "-";
    }
    std::string out;
    for (const auto& e : list) {
        out += (out.empty() ? "" : ", ") + scalar_text(e);
    }
    return out;
}

// A failure's time (seconds since the epoch) as UTC, or the value as sbcd sent it.
std::string utc_time(const nlohmann::json& v) {
    if (!v.is_number_integer()) {
        return scalar_text(v);
    }
    const auto t = static_cast<std::time_t>(v.get<int64_t>());
    std::tm tm{};
    char buf[32];
    if (::gmtime_r(&t, &tm) == nullptr ||
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm) == 0) {
        return scalar_text(v);
    }
    return buf;
}

std::string render_domains(const nlohmann::json& domains) {
    nlohmann::json table = {{"columns",
                             {"#", "location domain", "address", "state", "since s", "reason",
                              "OPTIONS sent/answered/failed", "down", "calls tried/failed"}},
                            {"rows", nlohmann::json::array()}};
    for (const auto& d : domains) {
        table["rows"].push_back(
            {text_of(d, "index"),
             text_of(d, "transport") + ":" + text_of(d, "url") + ":" + text_of(d, "port"),
             text_of(d, "address"), text_of(d, "state"), text_of(d, "since_s"),
             text_of(d, "reason"),
             text_of(d, "options_sent") + "/" + text_of(d, "options_answered") + "/" +
                 text_of(d, "options_failed"),
             text_of(d, "went_down"),
             text_of(d, "calls_tried") + "/" + text_of(d, "calls_failed")});
    }
    return render_table(table);
}

std::string render_e911(const nlohmann::json& st) {
    std::ostringstream os;
    const nlohmann::json& numbers = object_of(st, "emergency_numbers");
    os << "emergency numbers   access: " << joined(array_of(numbers, "access"))
       << "; core: " << joined(array_of(numbers, "core")) << "\n";
    os << "media port reserve  " << text_of(st, "emergency_port_reserve") << "\n";
    const nlohmann::json& endpoints = array_of(st, "remote_endpoints");
    if (endpoints.empty()) {
        os << "\nno remote endpoint configured: OSV's emergency calls have nowhere to go\n";
    }
    for (const auto& ep : endpoints) {
        os << "\nremote endpoint " << text_of(ep, "name") << ": from core realm "
           << text_of(ep, "core_realm") << " port " << text_of(ep, "core_realm_port")
           << " to access realm " << text_of(ep, "access_realm") << " port "
           << text_of(ep, "access_realm_port") << "\n";
        os << "  SSP profile " << text_of(ep, "ssp_profile") << ", media profile "
           << text_of(ep, "media_profile") << ", OPTIONS every "
           << text_of(ep, "options_interval_s") << " s, next domain after "
           << text_of(ep, "failover_timeout_ms") << " ms of silence\n";
        const nlohmann::json& domains = array_of(ep, "location_domains");
        if (domains.empty()) {
            os << "  NO LOCATION DOMAIN: an emergency call is refused 503\n";
        } else {
            os << render_domains(domains);
        }
        const nlohmann::json& failures = array_of(ep, "failures");
        os << "  calls no location domain took: " << failures.size()
           << (failures.empty() ? "" : " (newest last)") << "\n";
        for (const auto& f : failures) {
            os << "  " << utc_time(f.is_object() && f.contains("time") ? f["time"] : nullptr)
               << " call " << text_of(f, "call") << ": " << text_of(f, "status") << " to the "
               << "caller; " << text_of(f, "attempts") << "\n";
        }
    }
    os << "\n" << render_counters<cp::e911::e911_counters>("e911", object_of(st, "counters"));
    return os.str();
}

}  // namespace

std::vector<command_spec> e911_commands() {
    return {ask_sbcd("e911", "emergency calls: location domains' health, last failures, counters",
                     render_e911)
                .explain("For each [[remote_endpoint]] (guide chapter 12): the core realm port "
                         "OSV sends emergency calls to, the access realm they leave from, each "
                         "location domain's health by the OPTIONS keep-alive (probing, up, "
                         "down; since when and why), the calls each was tried with and failed, "
                         "and the last calls no location domain took with every domain's "
                         "answer. Then the emergency numbers per realm and the e911 counters.")};
}

}  // namespace sbc::mgmt
