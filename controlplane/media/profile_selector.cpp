#include "controlplane/media/profile_selector.hpp"

namespace sbc::cp::media {

profile_selector::profile_selector(const config::appliance& cfg) : cfg_(cfg) {
    build_rules(cfg_.user_agents);
}

void profile_selector::use_user_agents(std::shared_ptr<const config::appliance> snapshot) {
    build_rules(snapshot->user_agents);
    ua_source_ = std::move(snapshot);  // after: the old table's entries were in use until now
}

void profile_selector::build_rules(const std::vector<config::user_agent>& table) {
    std::vector<ua_rule> rules;
    for (const auto& ua : table) {
        ua_rule r{&ua, {}};
        if (ua.match == config::ua_match::regex) {
            // The loader compiled it already; a bad pattern cannot reach here.
            r.re = std::regex(ua.pattern, std::regex::ECMAScript | std::regex::optimize);
        }
        rules.push_back(std::move(r));
    }
    rules_ = std::move(rules);
}

profile_choice profile_selector::for_access(std::string_view user_agent,
                                            std::string_view subnet_profile) const {
    if (!user_agent.empty()) {
        for (const auto& r : rules_) {
            const bool hit = r.entry->match == config::ua_match::prefix
                                 ? user_agent.substr(0, r.entry->pattern.size()) == r.entry->pattern
                                 : std::regex_search(user_agent.begin(), user_agent.end(), r.re);
            if (hit) {
                if (const auto* p = cfg_.find_media_profile(r.entry->media_profile)) {
                    return {p, "user_agent " + r.entry->name};
                }
            }
        }
    }
    if (!subnet_profile.empty()) {
        if (const auto* p = cfg_.find_media_profile(subnet_profile)) {
            return {p, "subnet"};
        }
    }
    return for_realm(cfg_.realm.access);
}

profile_choice profile_selector::for_realm(const config::realm& realm) const {
    return {cfg_.find_media_profile(realm.media_profile), "realm " + realm.name};
}

profile_choice profile_selector::by_name(std::string_view name) const {
    return {cfg_.find_media_profile(name), "profile " + std::string(name)};
}

}  // namespace sbc::cp::media
