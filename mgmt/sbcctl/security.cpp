// sbcctl security: the access realm's DoS guard ([security.dos]) at a glance: its settings,
// whether the SBC is under attack, table sizes and counters.
// sbcctl blacklist [--limit N]: the blacklisted sources, newest first (source, reason, seconds
// left, what was dropped from it, when it was listed).

#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

std::string render_security(const nlohmann::json& st) {
    std::ostringstream os;
    const nlohmann::json s = st.value("settings", nlohmann::json::object());
    auto get = [](const nlohmann::json& j, const char* k) {
        return j.contains(k) ? scalar_text(j[k]) : std::string("-");
    };
    const auto left = st.value("under_attack_remaining_s", 0);
    os << "state          "
       << (st.value("under_attack", false)
               ? "UNDER ATTACK (" + std::to_string(left) + " s left of the attack window)"
               : std::string("normal"))
       << "\n";
    os << "blacklisted    " << get(st, "blacklisted") << " sources (table max "
       << get(s, "max_blacklisted") << "), " << get(st, "tracked_sources")
       << " sources tracked (max " << get(s, "max_sources") << ")\n";
    os << "rate           " << get(s, "max_requests_per_source_per_s")
       << " messages/s per source (x" << get(s, "known_source_factor")
       << " for sources with a live registration)\n";
    os << "connections    " << get(s, "max_connections_per_source") << " per source\n";
    os << "malformed      " << get(s, "malformed_limit") << " within "
       << get(s, "malformed_window_s") << " s\n";
    os << "blacklist      "
       << (scalar_text(s.value("dynamic_blacklist", nlohmann::json())) == "yes"
               ? "dynamic, " + get(s, "blacklist_duration_s") + " s"
               : std::string("off (excess refused only)"))
       << "\n";
    os << "initial REGISTER while under attack: "
       << (scalar_text(s.value("process_initial_registration", nlohmann::json())) == "yes"
               ? "processed"
               : "refused 503 unless the source has a live registration")
       << "\n";
    nlohmann::json table = {{"columns", {"counter", "value"}}, {"rows", nlohmann::json::array()}};
    const nlohmann::json counters = st.value("counters", nlohmann::json::object());
    for (const auto& [k, v] : counters.items()) {
        table["rows"].push_back({k, v});
    }
    os << "\n" << render_table(table);
    return os.str();
}

int run_blacklist(const global_options& g, const command_args& a) {
    nlohmann::json result;
    if (a.has("remove")) {
        const auto remove = a.get<std::string>("remove");
        if (int rc = call_sbcd(g, "blacklist_remove", {{"address", remove}}, result);
            rc != exit_ok) {
            return rc;
        }
        if (g.json) {
            print_json(result);
        } else {
            std::cout << remove << " removed from the blacklist\n";
        }
        return exit_ok;
    }
    if (int rc = call_sbcd(g, "blacklist", {{"limit", a.get<unsigned>("limit")}}, result);
        rc != exit_ok) {
        return rc;
    }
    return print_listing(g, result);
}

}  // namespace

std::vector<command_spec> security_commands() {
    return {ask_sbcd("security", "DoS guard of the access realm: state, settings, counters",
                     render_security),
            command_spec("blacklist",
                         "blacklisted sources: reason, seconds left, hits (--limit N); "
                         "--remove ADDRESS",
                         run_blacklist)
                .explain("The sources the DoS guard has blacklisted, newest first: source, "
                         "reason, seconds left, what was dropped from it and when it was listed. "
                         "--remove forgives a source before its entry expires.")
                .with_options([](po::options_description& o) {
                    o.add_options()("limit",
                                    po::value<unsigned>()->default_value(1000)->value_name("N"),
                                    "at most this many rows")(
                        "remove", po::value<std::string>()->value_name("ADDRESS"),
                        "take ADDRESS off the blacklist now");
                })};
}

}  // namespace sbc::mgmt
