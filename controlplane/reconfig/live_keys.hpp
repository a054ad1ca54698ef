#pragma once
// Which config keys a running sbcd takes without a restart (`sbcctl config apply`, SIGHUP,
// `sbcctl config rollback`). One table (live_keys.cpp) answers it; a key it does not name needs
// a restart, so a key added to the config later is refused until someone makes it live.

#include <string>
#include <string_view>
#include <vector>

#include "config/diff.hpp"

namespace sbc::cp::reconfig {

enum class key_kind { live, restart };

struct classified_change {
    config::key_change change;
    key_kind kind = key_kind::restart;
    std::string why;  // what taking it live means, or why it needs a restart

    // "realm.access.sip_tls_port: 5061 -> 5062: needs a restart: ..."
    std::string to_string() const;
};

// "certificate_profile[3].ca" -> "certificate_profile[].ca": the form the table names keys in.
std::string generic_key(std::string_view key);

classified_change classify(const config::key_change& change);
std::vector<classified_change> classify(const std::vector<config::key_change>& changes);

// The changes that need a restart (an apply containing any is refused whole).
std::vector<classified_change> needing_restart(const std::vector<classified_change>& changes);

}  // namespace sbc::cp::reconfig
