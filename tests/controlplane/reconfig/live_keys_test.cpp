// The config diff by key and which changed keys a running sbcd takes: every refusal names the
// key and why.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.hpp"
#include "config/diff.hpp"
#include "controlplane/reconfig/live_config.hpp"
#include "controlplane/reconfig/live_keys.hpp"
#include "controlplane/reconfig/single_key.hpp"

namespace sbc::cp::reconfig {
namespace {

config::appliance base() {
    return config::embedded_default();
}

const config::key_change* find(const std::vector<config::key_change>& changes,
                               std::string_view key) {
    auto it = std::find_if(changes.begin(), changes.end(),
                           [&](const config::key_change& c) { return c.key == key; });
    return it == changes.end() ? nullptr : &*it;
}

TEST(ConfigDiff, EqualConfigsHaveNoChange) {
    EXPECT_TRUE(config::diff(base(), base()).empty());
}

TEST(ConfigDiff, NamesEachChangedKeyWithBothValues) {
    config::appliance next = base();
    next.security.dos.max_requests_per_source_per_s = 77;
    next.realm.access.sip_tls_port = 5062;
    next.log.level = config::log_level::debug;
    const auto changes = config::diff(base(), next);
    ASSERT_EQ(changes.size(), 3U);
    const auto* dos = find(changes, "security.dos.max_requests_per_source_per_s");
    ASSERT_NE(dos, nullptr);
    EXPECT_EQ(dos->from, std::to_string(base().security.dos.max_requests_per_source_per_s));
    EXPECT_EQ(dos->to, "77");
    const auto* port = find(changes, "realm.access.sip_tls_port");
    ASSERT_NE(port, nullptr);
    EXPECT_EQ(port->to, "5062");
    const auto* level = find(changes, "log.level");
    ASSERT_NE(level, nullptr);
    EXPECT_EQ(level->to, "\"debug\"");
}

TEST(ConfigDiff, ArraysOfTablesByElement) {
    config::appliance next = base();
    ASSERT_FALSE(next.user_agents.empty());
    ASSERT_FALSE(next.certificate_profiles.empty());
    next.user_agents[0].pattern = "Other/";
    next.user_agents.push_back({"extra", config::ua_match::prefix, "X/", "OSV_RTP"});
    next.certificate_profiles[0].ca = "/etc/sbc/other-ca.pem";
    const auto changes = config::diff(base(), next);
    EXPECT_NE(find(changes, "user_agent[0].pattern"), nullptr);
    const std::string added = "user_agent[" + std::to_string(next.user_agents.size() - 1) + "]";
    const auto* a = find(changes, added);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->from.empty());
    EXPECT_NE(a->to.find("X/"), std::string::npos) << a->to;
    EXPECT_NE(find(changes, "certificate_profile[0].ca"), nullptr);
}

TEST(ConfigDiff, ValuesWithHostileBytesAreQuotedAsToml) {
    config::appliance next = base();
    next.user_agents[0].pattern = std::string("a\x01\r\"b");
    const auto changes = config::diff(base(), next);
    const auto* c = find(changes, "user_agent[0].pattern");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->to.find('\r'), std::string::npos) << c->to;
    EXPECT_EQ(c->to.find('\x01'), std::string::npos) << c->to;
}

TEST(LiveKeys, GenericKeyDropsIndices) {
    EXPECT_EQ(generic_key("certificate_profile[12].ca"), "certificate_profile[].ca");
    EXPECT_EQ(generic_key("user_agent[0]"), "user_agent[]");
    EXPECT_EQ(generic_key("log.level"), "log.level");
}

TEST(LiveKeys, LiveKeys) {
    for (const char* key :
         {"certificate_profile[0].certificate", "certificate_profile[3].private_key",
          "certificate_profile[1].ca", "certificate_profile[0].verify_client", "user_agent",
          "user_agent[2]", "user_agent[0].media_profile", "security.dos.blacklist_duration_s",
          "remote_subscribers.register_throttling", "remote_subscribers.register_throttling_tls",
          "remote_subscribers.throttling_bypass_ua_regex",
          "remote_subscribers.max_registration_expiry_s", "remote_subscribers.throttle_refresh_s",
          "log.level"}) {
        const auto c = classify(config::key_change{key, "1", "2"});
        EXPECT_EQ(c.kind, key_kind::live) << key << ": " << c.why;
    }
}

TEST(LiveKeys, RestartKeysSayWhy) {
    struct want {
        const char* key;
        const char* why;
    };
    for (const want& w : {want{"realm.access.sip_tls_port", "realm's addresses, ports"},
                          want{"realm.core.media_port_min", "realm's addresses, ports"},
                          want{"dataplane.ports", "sbc-dataplane creates its ports"},
                          want{"dataplane.neighbour[0].mac", "sbc-dataplane creates its ports"},
                          want{"instance", "shared memory"}, want{"mgmt.socket", "mgmt socket"},
                          want{"certificate_profile[0].name", "renaming a certificate profile"},
                          want{"certificate_profile[2]", "adding, removing"},
                          want{"calls.max_sessions", "not live in this version"},
                          want{"media_profile[0].codecs", "not live in this version"},
                          want{"remote_subscribers.subnet[0].cidr", "not live in this version"},
                          want{"securityx.dos", "not live in this version"},
                          want{"log.levels", "not live in this version"}}) {
        const auto c = classify(config::key_change{w.key, "1", "2"});
        EXPECT_EQ(c.kind, key_kind::restart) << w.key;
        EXPECT_NE(c.why.find("needs a restart"), std::string::npos) << w.key << ": " << c.why;
        EXPECT_NE(c.why.find(w.why), std::string::npos) << w.key << ": " << c.why;
        EXPECT_EQ(c.to_string().rfind(std::string(w.key) + ": 1 -> 2: needs a restart", 0), 0U)
            << c.to_string();
    }
}

TEST(LiveKeys, OnlyRestartKeysAreRefused) {
    config::appliance next = base();
    next.security.dos.max_requests_per_source_per_s = 77;
    next.realm.access.sip_tls_port = 5062;
    next.dataplane.burst = 16;
    const auto refused = needing_restart(classify(config::diff(base(), next)));
    std::vector<std::string> keys;
    for (const auto& r : refused) {
        keys.push_back(r.change.key);
    }
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys, (std::vector<std::string>{"dataplane.burst", "realm.access.sip_tls_port"}));
}

TEST(PemChanges, AFileRewrittenUnderTheSamePathIsAChange) {
    config::appliance a = base();
    const pem_digests before{{"sha256:aaaa", "sha256:kkkk", ""}};
    const pem_digests after{{"sha256:bbbb", "sha256:kkkk", ""}};
    a.certificate_profiles.resize(1);
    const auto changes = pem_changes(a, before, a, after);
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].key, "certificate_profile[0].certificate");
    EXPECT_NE(changes[0].from.find("sha256:aaaa"), std::string::npos);
    EXPECT_NE(changes[0].to.find("sha256:bbbb"), std::string::npos);
    EXPECT_TRUE(pem_changes(a, before, a, before).empty());
    // A new path is the key diff's business, not a content change.
    config::appliance b = a;
    b.certificate_profiles[0].certificate = "/elsewhere.pem";
    EXPECT_TRUE(pem_changes(a, before, b, after).empty());
}

TEST(SingleKey, ValueOfNamesKeysLikeTheLoader) {
    const config::appliance cfg = base();
    EXPECT_EQ(value_of(cfg, "log.level").value(), "\"info\"");
    EXPECT_EQ(value_of(cfg, "user_agent[0].pattern").value(), "\"ZoomPbxPhone\"");
    EXPECT_EQ(value_of(cfg, "security.dos.max_requests_per_source_per_s").value(),
              std::to_string(cfg.security.dos.max_requests_per_source_per_s));
    for (const char* bad :
         {"", "log", "log.", ".level", "log.levels", "security.dos", "user_agent", "user_agent[0]",
          "user_agent[99].pattern", "user_agent[x].pattern", "user_agent[0.pattern",
          "user_agent[-1].pattern", "log.level.x", "log[0].level", "nosuch.key"}) {
        auto v = value_of(cfg, bad);
        ASSERT_FALSE(v) << bad;
        EXPECT_EQ(v.error().message(), std::string(bad) + ": no such key");
    }
}

TEST(SingleKey, WithKeyChangesExactlyThatKey) {
    const config::appliance cfg = base();
    struct want {
        const char* key;
        const char* value;
    };
    for (const want& w : {want{"log.level", "debug"}, want{"log.level", "\"debug\""},
                          want{"security.dos.blacklist_duration_s", "77"},
                          want{"user_agent[0].pattern", "Other phone"},
                          want{"realm.access.emergency_numbers", "[\"112\", \"911\"]"}}) {
        auto text = with_key(cfg, w.key, w.value);
        ASSERT_TRUE(text) << w.key << ": " << text.error().message();
        auto loaded = config::load_string(*text, "set", config::load_options{false});
        ASSERT_TRUE(loaded.errors.empty()) << w.key << ": " << loaded.errors[0].to_string();
        const auto changes = config::diff(cfg, *loaded.config);
        ASSERT_EQ(changes.size(), 1U) << w.key;
        EXPECT_EQ(changes[0].key, w.key);
    }
    // Text that would add keys of its own is one string value, not TOML.
    auto sneaky = with_key(cfg, "user_agent[0].pattern", "x\"\n[mgmt]\nsocket = \"/tmp/x");
    ASSERT_TRUE(sneaky);
    auto loaded = config::load_string(*sneaky, "set", config::load_options{false});
    ASSERT_TRUE(loaded.errors.empty()) << loaded.errors[0].to_string();
    EXPECT_EQ(loaded.config->mgmt.socket, cfg.mgmt.socket);
    EXPECT_EQ(loaded.config->user_agents[0].pattern, "x\"\n[mgmt]\nsocket = \"/tmp/x");
    EXPECT_FALSE(with_key(cfg, "log.nosuch", "1"));
}

}  // namespace
}  // namespace sbc::cp::reconfig
