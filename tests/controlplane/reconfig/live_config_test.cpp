// Live reconfiguration of a running SIP side over real TLS sockets on loopback: a certificate
// rotated by `config apply` (a new path, or the same file rewritten) reaches new handshakes
// while a connection opened before keeps its own; live keys reach their parts; a bad file or a
// key that needs a restart changes nothing; rollback.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "controlplane/media/profile_selector.hpp"
#include "controlplane/reconfig/live_config.hpp"
#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

using reconfig::apply_outcome;
using reconfig::live_config;

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string write_config(sbc_fixture& f, const config::appliance& cfg, const std::string& name) {
    const std::string path = f.dir.file(name);
    write_file(path, config::to_toml(cfg));
    return path;
}

std::string describe(const apply_outcome& out) {
    return out.to_json().dump(2);
}

bool has_change(const apply_outcome& out, std::string_view key, bool live) {
    for (const auto& c : out.changes) {
        if (c.change.key == key && (c.kind == reconfig::key_kind::live) == live) {
            return true;
        }
    }
    return false;
}

// The server certificate's subject the client saw on its last response.
std::string last_subject(const sip_client& c) {
    auto r = c.last_response();
    return r ? r->tls_subject : std::string("(no response)");
}

class LiveConfig : public ::testing::Test {
  protected:
    void SetUp() override {
        leaf_b = f.pki->add_leaf("sbc-b", "ca", {"sbc.local"}, {"127.0.0.1"});
        ASSERT_TRUE(f.start()) << f.start_error;
        live = std::make_unique<live_config>(f.cfg, "test", live_config::parts{*f.sbc, nullptr});
    }

    sbc_fixture f;
    sip::test::cert_files leaf_b;
    std::unique_ptr<live_config> live;
};

TEST_F(LiveConfig, RotatedCertificateReachesNewHandshakesOnly) {
    auto before = f.client();
    ASSERT_TRUE(f.register_client(*before, {}));
    EXPECT_EQ(last_subject(*before), "/CN=sbc");

    config::appliance next = f.cfg;
    for (auto& p : next.certificate_profiles) {
        p.certificate = leaf_b.cert;
        p.private_key = leaf_b.key;
    }
    const apply_outcome out = live->apply_file(write_config(f, next, "b.toml"), "apply");
    ASSERT_TRUE(out.applied) << describe(out);
    EXPECT_EQ(out.version, 2U);
    EXPECT_TRUE(has_change(out, "certificate_profile[0].certificate", true)) << describe(out);
    EXPECT_TRUE(has_change(out, "certificate_profile[0].private_key", true)) << describe(out);

    // The connection opened before is still up and still the old certificate's session.
    register_params refresh;
    refresh.cseq = 3;
    const std::size_t answered = before->response_count();
    ASSERT_TRUE(
        before->send(sip::transport_type::tls, f.access_tls, make_register(*before, refresh)));
    ASSERT_TRUE(f.run_until([&] { return before->response_count() > answered; }));
    EXPECT_EQ(last_subject(*before), "/CN=sbc");
    EXPECT_TRUE(before->closed.empty());

    auto after = f.client();
    register_params p;
    p.user = "bob";
    p.call_id = "c2@client";
    ASSERT_TRUE(f.register_client(*after, p));
    EXPECT_EQ(last_subject(*after), "/CN=sbc-b");
    EXPECT_EQ(live->current()->certificate_profiles[0].certificate, leaf_b.cert);
}

TEST_F(LiveConfig, CertificateRewrittenInPlaceIsRotated) {
    // The operator's usual rotation: new PEM files over the old ones, then SIGHUP or apply.
    const std::string cert = f.cfg.certificate_profiles[0].certificate;
    const std::string key = f.cfg.certificate_profiles[0].private_key;
    const std::string path = write_config(f, f.cfg, "same.toml");
    const apply_outcome unchanged = live->apply_file(path, "sighup");
    EXPECT_FALSE(unchanged.applied);
    EXPECT_TRUE(unchanged.refusals.empty()) << describe(unchanged);
    EXPECT_TRUE(unchanged.changes.empty()) << describe(unchanged);

    std::filesystem::copy_file(leaf_b.cert, cert,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(leaf_b.key, key, std::filesystem::copy_options::overwrite_existing);
    const apply_outcome out = live->apply_file(path, "sighup");
    ASSERT_TRUE(out.applied) << describe(out);
    ASSERT_TRUE(has_change(out, "certificate_profile[0].certificate", true)) << describe(out);
    EXPECT_NE(out.changes[0].change.to.find("sha256:"), std::string::npos) << describe(out);

    auto c = f.client();
    ASSERT_TRUE(f.register_client(*c, {}));
    EXPECT_EQ(last_subject(*c), "/CN=sbc-b");
}

TEST_F(LiveConfig, BadFileIsRefusedWithEveryErrorAndNothingChanges) {
    std::string text = config::to_toml(f.cfg);
    const std::string rate = "max_requests_per_source_per_s = " +
                             std::to_string(f.cfg.security.dos.max_requests_per_source_per_s);
    ASSERT_NE(text.find(rate), std::string::npos);
    text.replace(text.find(rate), rate.size(), "max_requests_per_source_per_s = \"many\"");
    text += "\n[frobnicate]\nx = 1\n";
    const std::string path = f.dir.file("bad.toml");
    write_file(path, text);
    const apply_outcome out = live->apply_file(path, "apply");
    EXPECT_FALSE(out.applied);
    ASSERT_GE(out.errors.size(), 2U) << describe(out);
    bool rate_error = false, unknown = false;
    for (const auto& e : out.errors) {
        EXPECT_EQ(e.file, path);
        EXPECT_GT(e.line, 0U) << e.to_string();
        rate_error = rate_error || e.key == "security.dos.max_requests_per_source_per_s";
        unknown = unknown || e.key.rfind("frobnicate", 0) == 0;
    }
    EXPECT_TRUE(rate_error && unknown) << describe(out);
    ASSERT_EQ(out.refusals.size(), 1U);
    EXPECT_NE(out.refusals[0].find("nothing changed"), std::string::npos);
    EXPECT_EQ(live->version(), 1U);
    EXPECT_EQ(f.sbc->dos().settings().max_requests_per_source_per_s,
              f.cfg.security.dos.max_requests_per_source_per_s);
}

TEST_F(LiveConfig, ARestartKeyRefusesTheWholeApply) {
    config::appliance next = f.cfg;
    next.security.dos.max_requests_per_source_per_s = 3;
    next.realm.access.sip_tls_port = static_cast<std::uint16_t>(next.realm.access.sip_tls_port + 1);
    next.calls.max_sessions = 5;
    const apply_outcome out = live->apply_file(write_config(f, next, "restart.toml"), "apply");
    EXPECT_FALSE(out.applied);
    ASSERT_EQ(out.refusals.size(), 2U) << describe(out);
    std::vector<std::string> refusals = out.refusals;
    std::sort(refusals.begin(), refusals.end());
    EXPECT_EQ(refusals[0].rfind("calls.max_sessions: needs a restart", 0), 0U) << refusals[0];
    EXPECT_EQ(refusals[1].rfind("realm.access.sip_tls_port: needs a restart", 0), 0U)
        << refusals[1];
    EXPECT_TRUE(has_change(out, "security.dos.max_requests_per_source_per_s", true));
    EXPECT_EQ(live->version(), 1U);
    EXPECT_EQ(f.sbc->dos().settings().max_requests_per_source_per_s,
              f.cfg.security.dos.max_requests_per_source_per_s);
}

TEST_F(LiveConfig, LiveKeysReachTheirPartsAndRollbackRestoresThem) {
    config::appliance next = f.cfg;
    next.security.dos.max_requests_per_source_per_s = 3;
    next.security.dos.blacklist_duration_s = 7;
    next.remote_subscribers.max_registration_expiry_s = 120;
    const apply_outcome out = live->apply_file(write_config(f, next, "dos.toml"), "apply");
    ASSERT_TRUE(out.applied) << describe(out);
    EXPECT_EQ(out.changes.size(), 3U) << describe(out);
    EXPECT_EQ(f.sbc->dos().settings().max_requests_per_source_per_s, 3U);
    EXPECT_EQ(f.sbc->dos().settings().blacklist_duration_s, 7U);
    EXPECT_EQ(f.sbc->registrar().throttle().max_expiry(), 120U);

    // The next REGISTER is capped by the new expiry.
    auto c = f.client();
    register_params p;
    p.expires = "3600";
    ASSERT_TRUE(f.register_client(*c, p));
    const std::string ok = c->last_response()->bytes;
    EXPECT_NE(ok.find("expires=120"), std::string::npos) << ok;

    const apply_outcome back = live->rollback();
    ASSERT_TRUE(back.applied) << describe(back);
    EXPECT_EQ(back.version, 3U);
    EXPECT_EQ(f.sbc->dos().settings().max_requests_per_source_per_s,
              f.cfg.security.dos.max_requests_per_source_per_s);
    EXPECT_EQ(f.sbc->registrar().throttle().max_expiry(),
              f.cfg.remote_subscribers.max_registration_expiry_s);
    const nlohmann::json h = live->history_json();
    ASSERT_EQ(h["versions"].size(), 3U) << h.dump(2);
    EXPECT_EQ(h["versions"][1]["origin"], "apply");
    EXPECT_EQ(h["versions"][2]["origin"], "rollback");
    EXPECT_EQ(h["versions"][2]["changes"].size(), 3U);
    EXPECT_EQ(h["current"], 3U);
}

TEST_F(LiveConfig, RollbackWithoutAnEarlierVersionIsRefused) {
    const apply_outcome out = live->rollback();
    EXPECT_FALSE(out.applied);
    ASSERT_EQ(out.refusals.size(), 1U);
    EXPECT_NE(out.refusals[0].find("no earlier version"), std::string::npos);
}

TEST_F(LiveConfig, UnreadableCertificateIsRefusedAndTheOldOneStays) {
    config::appliance next = f.cfg;
    next.certificate_profiles[0].certificate = f.dir.file("garbage.pem");
    write_file(next.certificate_profiles[0].certificate, "-----BEGIN CERTIFICATE-----\n\x01\r\n");
    const apply_outcome out = live->apply_file(write_config(f, next, "garbage.toml"), "apply");
    EXPECT_FALSE(out.applied);
    ASSERT_FALSE(out.errors.empty()) << describe(out);
    EXPECT_EQ(out.errors[0].key, "certificate_profile[0].certificate") << describe(out);
    auto c = f.client();
    ASSERT_TRUE(f.register_client(*c, {}));
    EXPECT_EQ(last_subject(*c), "/CN=sbc");
}

TEST_F(LiveConfig, SetAnswersEachCasePrecisely) {
    // A live key: applied, a new version.
    apply_outcome out = live->set_key("security.dos.blacklist_duration_s", "42");
    ASSERT_TRUE(out.applied) << describe(out);
    EXPECT_EQ(f.sbc->dos().settings().blacklist_duration_s, 42U);
    EXPECT_EQ(live->get_key("security.dos.blacklist_duration_s")->at("value"), "42");
    EXPECT_EQ(live->get_key("security.dos.blacklist_duration_s")->at("live"), true);
    // An unknown key.
    out = live->set_key("security.dos.blacklist_duration", "42");
    EXPECT_FALSE(out.applied);
    ASSERT_EQ(out.refusals.size(), 1U);
    EXPECT_EQ(out.refusals[0], "security.dos.blacklist_duration: no such key");
    EXPECT_FALSE(live->get_key("security.dos.blacklist_duration"));
    // A key that needs a restart.
    out = live->set_key("calls.max_sessions", "5");
    EXPECT_FALSE(out.applied);
    ASSERT_EQ(out.refusals.size(), 1U);
    EXPECT_EQ(out.refusals[0].rfind("calls.max_sessions: needs a restart", 0), 0U)
        << out.refusals[0];
    EXPECT_EQ(live->get_key("calls.max_sessions")->at("live"), false);
    // A bad value: the key and the rule it breaks.
    out = live->set_key("security.dos.blacklist_duration_s", "soon");
    EXPECT_FALSE(out.applied);
    ASSERT_EQ(out.refusals.size(), 1U) << describe(out);
    EXPECT_EQ(out.refusals[0].rfind("security.dos.blacklist_duration_s: ", 0), 0U)
        << out.refusals[0];
    out = live->set_key("log.level", "loud");
    EXPECT_FALSE(out.applied);
    ASSERT_EQ(out.refusals.size(), 1U) << describe(out);
    EXPECT_EQ(out.refusals[0].rfind("log.level: ", 0), 0U) << out.refusals[0];
    EXPECT_EQ(live->version(), 2U);
    EXPECT_EQ(f.sbc->dos().settings().blacklist_duration_s, 42U);
}

TEST_F(LiveConfig, SetWithSaveWritesTheKeyIntoTheFileKeepingTheRest) {
    const std::string path = f.dir.file("sbc.toml");
    const std::string text = "# operator's notes\n" + config::to_toml(f.cfg);
    write_file(path, text);
    live_config from_file(f.cfg, path, {*f.sbc, nullptr});
    apply_outcome out = from_file.set_key("security.dos.blacklist_duration_s", "42", true);
    ASSERT_TRUE(out.applied) << describe(out);
    EXPECT_EQ(out.saved, path);
    EXPECT_TRUE(out.save_error.empty()) << out.save_error;
    const std::string saved = sip::test::read_file(path);
    EXPECT_EQ(saved.rfind("# operator's notes\n", 0), 0U);
    const std::string before =
        "blacklist_duration_s = " + std::to_string(f.cfg.security.dos.blacklist_duration_s) + "\n";
    ASSERT_NE(text.find(before), std::string::npos);
    std::string want = text;
    want.replace(want.find(before), before.size(), "blacklist_duration_s = 42\n");
    EXPECT_EQ(saved, want);
    // Refused: nothing written.
    out = from_file.set_key("calls.max_sessions", "5", true);
    EXPECT_FALSE(out.applied);
    EXPECT_TRUE(out.saved.empty());
    EXPECT_EQ(sip::test::read_file(path), want);
    // No file to write to.
    out = live->set_key("security.dos.blacklist_duration_s", "43", true);
    EXPECT_TRUE(out.applied) << describe(out);
    EXPECT_FALSE(out.save_error.empty());
}

TEST_F(LiveConfig, UserAgentTableReachesTheNextMatch) {
    media::profile_selector selector(f.cfg);
    live_config with_media(f.cfg, "test", {*f.sbc, &selector});
    EXPECT_EQ(selector.for_access("TestPhone/1.0").reason, "realm access");
    config::appliance next = f.cfg;
    next.user_agents.insert(next.user_agents.begin(),
                            {"TestPhone", config::ua_match::regex, "^Test", "OSV_RTP"});
    const apply_outcome out = with_media.apply_file(write_config(f, next, "ua.toml"), "apply");
    ASSERT_TRUE(out.applied) << describe(out);
    const auto choice = selector.for_access("TestPhone/1.0");
    EXPECT_EQ(choice.reason, "user_agent TestPhone");
    ASSERT_NE(choice.profile, nullptr);
    EXPECT_EQ(choice.profile->name, "OSV_RTP");
}

}  // namespace
}  // namespace sbc::cp::test
