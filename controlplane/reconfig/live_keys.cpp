#include "controlplane/reconfig/live_keys.hpp"

#include <array>

namespace sbc::cp::reconfig {
namespace {

struct key_rule {
    std::string_view key;  // generic form; covers the key and everything under it
    key_kind kind;
    std::string_view why;
};

// First match wins: the narrower rules come before the tables they sit in.
constexpr std::array rules{
    // TLS (realm_edge::use_tls): new handshakes get the new SSL_CTX; an established connection
    // keeps the context it was accepted with until it closes.
    key_rule{"certificate_profile[].certificate", key_kind::live,
             "new TLS handshakes present it; open connections keep theirs"},
    key_rule{"certificate_profile[].private_key", key_kind::live,
             "new TLS handshakes use it; open connections keep theirs"},
    key_rule{"certificate_profile[].ca", key_kind::live,
             "new TLS handshakes verify clients against it; open connections keep theirs"},
    key_rule{"certificate_profile[].verify_client", key_kind::live,
             "new TLS handshakes ask for client certificates accordingly"},
    // The User-Agent table picks an access leg's media profile when the call starts
    // (media/profile_selector): calls already up keep the profile they started with.
    key_rule{"user_agent", key_kind::live, "the next call's access leg is matched against it"},
    key_rule{"security.dos", key_kind::live,
             "the DoS guard's next decision uses it; blacklist entries keep their expiry"},
    key_rule{"remote_subscribers.register_throttling", key_kind::live,
             "the next REGISTER is throttled by it"},
    key_rule{"remote_subscribers.register_throttling_tls", key_kind::live,
             "the next REGISTER is throttled by it"},
    key_rule{"remote_subscribers.throttling_bypass_ua_regex", key_kind::live,
             "the next REGISTER is matched against it"},
    key_rule{"remote_subscribers.max_registration_expiry_s", key_kind::live,
             "the next REGISTER is capped by it"},
    key_rule{"remote_subscribers.throttle_refresh_s", key_kind::live,
             "the next REGISTER is throttled by it"},
    key_rule{"log.level", key_kind::live, "the next log line"},

    key_rule{"instance", key_kind::restart,
             "needs a restart: it names the dataplane's shared memory and the mgmt socket"},
    key_rule{"realm", key_kind::restart,
             "needs a restart: the realm's addresses, ports and media port pools are opened at "
             "start"},
    key_rule{"dataplane", key_kind::restart,
             "needs a restart: sbc-dataplane creates its ports, lcores and rings at start"},
    key_rule{"mgmt", key_kind::restart,
             "needs a restart: the mgmt socket and the metrics endpoint are opened at start"},
    key_rule{"certificate_profile", key_kind::restart,
             "needs a restart: adding, removing, renaming a certificate profile or changing its "
             "service is taken at start"},
};

constexpr std::string_view not_live_yet =
    "needs a restart: not live in this version (read at start only)";

// `key` is `rule` or lies under it ("security.dos" covers "security.dos.x" and itself,
// "user_agent" covers "user_agent[2].pattern").
bool covers(std::string_view rule, std::string_view key) {
    if (key.substr(0, rule.size()) != rule) {
        return false;
    }
    return key.size() == rule.size() || key[rule.size()] == '.' || key[rule.size()] == '[';
}

}  // namespace

std::string generic_key(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (std::size_t i = 0; i < key.size(); ++i) {
        out += key[i];
        if (key[i] == '[') {
            while (i + 1 < key.size() && key[i + 1] != ']') {
                ++i;
            }
        }
    }
    return out;
}

std::string classified_change::to_string() const {
    const auto shown = [](const std::string& v) { return v.empty() ? std::string("(none)") : v; };
    return change.key + ": " + shown(change.from) + " -> " + shown(change.to) + ": " + why;
}

classified_change classify(const config::key_change& change) {
    const std::string key = generic_key(change.key);
    for (const key_rule& r : rules) {
        if (covers(r.key, key)) {
            return {change, r.kind, std::string(r.why)};
        }
    }
    return {change, key_kind::restart, std::string(not_live_yet)};
}

std::vector<classified_change> classify(const std::vector<config::key_change>& changes) {
    std::vector<classified_change> out;
    out.reserve(changes.size());
    for (const auto& c : changes) {
        out.push_back(classify(c));
    }
    return out;
}

std::vector<classified_change> needing_restart(const std::vector<classified_change>& changes) {
    std::vector<classified_change> out;
    for (const auto& c : changes) {
        if (c.kind == key_kind::restart) {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace sbc::cp::reconfig
