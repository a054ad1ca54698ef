#pragma once
// Which media profile a leg uses. Access legs: the first `[[user_agent]]` entry whose pattern
// matches the client's User-Agent (prefix or regex_search, in file order), else the profile of the
// remote-subscriber subnet the client came from, else the realm's profile. Core legs: the realm's
// profile (a remote endpoint's own profile is passed in by its caller). This is the one place that
// answers "why does this call use SRTP".

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "config/appliance.hpp"

namespace sbc::cp::media {

struct profile_choice {
    const config::media_profile* profile = nullptr;
    std::string reason;  // "user_agent ZoomPbxPhone", "subnet", "realm access"
};

class profile_selector {
  public:
    // `cfg` must outlive the selector (sbcd keeps its config for its lifetime).
    explicit profile_selector(const config::appliance& cfg);

    // `subnet_profile`: the matching remote-subscriber subnet's media profile, "" when none.
    profile_choice for_access(std::string_view user_agent,
                              std::string_view subnet_profile = {}) const;
    profile_choice for_realm(const config::realm& realm) const;
    profile_choice by_name(std::string_view name) const;

    // The User-Agent table of a newer config snapshot (sbcctl config apply): the next call is
    // matched against it. Profiles are still looked up in the config the selector was made
    // with: media profiles need a restart (controlplane/reconfig/live_keys.cpp), so every name
    // the new table gives resolves there, and a call keeps pointing at a profile that lives as
    // long as sbcd.
    void use_user_agents(std::shared_ptr<const config::appliance> snapshot);

  private:
    struct ua_rule {
        const config::user_agent* entry;
        std::regex re;  // regex rules only
    };
    void build_rules(const std::vector<config::user_agent>& table);

    const config::appliance& cfg_;
    std::shared_ptr<const config::appliance> ua_source_;  // owns rules_' entries when set
    std::vector<ua_rule> rules_;
};

}  // namespace sbc::cp::media
