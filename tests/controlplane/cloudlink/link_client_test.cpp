// The CloudLink link against the stand-in over real HTTPS: link, token file, restart, refresh,
// refused refresh, back-off at the server, clock offset, hostile answers, wrong certificate,
// slow server, unlink, and a cloned identity.
#include <gtest/gtest.h>

#include "link_rig.hpp"

namespace sbc::cp::cloudlink::test {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CloudLink, LinkStoresOnlyTheTokenReportsInventoryAndSurvivesARestart) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start();
    EXPECT_EQ(r.state(), "unlinked");
    const std::string installation = r.link->status()["installation_id"];
    EXPECT_EQ(installation.size(), 36u);
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "ok");
    ASSERT_TRUE(r.run_until([&] { return r.server.requests("/v1/inventory").size() == 1; }));
    ASSERT_TRUE(
        r.run_until([&] { return r.link->status()["last_inventory"]["result"] == "accepted"; }));
    auto st = r.link->status();
    EXPECT_EQ(st["state"], "connected");
    EXPECT_EQ(st["tenant"]["name"], "Acme Corp");
    EXPECT_FALSE(st["last_contact"].is_null());
    EXPECT_GT(st["token_expires_in_s"].get<int>(), 3500);

    // What the server saw: the identity, then a report with the bearer token and our figures.
    const auto link = r.server.requests("/v1/link").at(0);
    EXPECT_EQ(link["body"]["installation"]["id"], installation);
    EXPECT_EQ(link["body"]["installation"]["hostname"], "test-host");
    const auto report = r.server.requests("/v1/inventory").at(0);
    EXPECT_FALSE(report["bearer"].is_null());
    EXPECT_EQ(report["body"]["registered_clients"]["mobile"], 1);
    EXPECT_EQ(report["body"]["installation"]["id"], installation);

    // The token file is root's alone and holds no credentials.
    const std::string state = r.dir.file("state");
    EXPECT_EQ(mode_of(state), 0700u);
    EXPECT_EQ(mode_of(state + "/token.json"), 0600u);
    EXPECT_EQ(mode_of(state + "/identity.json"), 0600u);
    const std::string token = slurp(state + "/token.json");
    EXPECT_EQ(token.find("secret"), std::string::npos);
    EXPECT_EQ(token.find("admin"), std::string::npos);
    EXPECT_NE(token.find("Acme Corp"), std::string::npos);

    // A second link while linked is refused with the reason.
    const cp::status again = r.link->link("admin", "secret");
    EXPECT_FALSE(again);
    EXPECT_NE(again.message().find("already linked"), std::string::npos);

    // sbcd restarts: same identity, the stored token reports again without linking.
    r.start();
    ASSERT_TRUE(r.run_until([&] { return r.server.requests("/v1/inventory").size() == 2; }));
    EXPECT_TRUE(r.run_until([&] { return r.state() == "connected"; }));
    EXPECT_EQ(r.server.requests("/v1/link").size(), 1u);
    EXPECT_EQ(r.link->status()["installation_id"], installation);
}

TEST(CloudLink, WrongCredentialsAreAClearFailureAndNothingIsStored) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start();
    ASSERT_TRUE(r.link_with("admin", "p4ss-n0t-r1ght"));
    EXPECT_EQ(r.attempt_result(), "bad_credentials");
    EXPECT_EQ(r.state(), "unlinked");
    EXPECT_NE(r.link->status()["last_error"].get<std::string>().find("401"), std::string::npos);
    EXPECT_EQ(mode_of(r.dir.file("state/token.json")), 01000u);  // no file
    // The password never reaches the stand-in's records (it redacts) nor our status.
    EXPECT_EQ(r.link->status().dump().find("p4ss-n0t-r1ght"), std::string::npos);
}

TEST(CloudLink, TokenIsRefreshedBeforeExpiryAndARefusedRefreshNeedsARelinkWithoutRetrying) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.server.control({{"cmd", "set"}, {"token_lifetime_s", 12}});
    r.start();
    ASSERT_TRUE(r.link_with("admin", "secret"));
    // Lifetime 12 s: refreshed at half of it, well before it expires.
    ASSERT_TRUE(r.run_until([&] { return r.server.requests("/v1/token").size() == 1; }, 12s));
    ASSERT_TRUE(r.run_until([&] { return r.link->status()["refreshes"] == 1; }));
    EXPECT_EQ(r.state(), "connected");

    r.server.control({{"cmd", "revoke_refresh"}});
    ASSERT_TRUE(r.run_until([&] { return r.state() == "relink_required"; }, 12s));
    EXPECT_NE(r.link->status()["last_error"].get<std::string>().find("refresh refused"),
              std::string::npos);
    const auto tries = r.server.requests("/v1/token").size();
    sip::test::run_for(r.loop, 3s);
    EXPECT_EQ(r.server.requests("/v1/token").size(), tries);  // no loop of retries
    // Pushes fail at once, saying why.
    push_result got;
    bool done = false;
    r.push->push(push_device("apns", "dev1", ""), "call-1", "1001", [&](const push_result& p) {
        got = p;
        done = true;
    });
    ASSERT_TRUE(r.run_until([&] { return done; }, 1s));
    EXPECT_FALSE(got.sent);
    EXPECT_NE(got.message.find("relink_required"), std::string::npos);
    // Linking again is allowed from here.
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "ok");
}

TEST(CloudLink, FailuresBackOffWithJitterAndRetryAfterIsHonoured) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start();
    ASSERT_TRUE(r.link_with("admin", "secret"));
    ASSERT_TRUE(r.run_until([&] { return r.server.requests("/v1/inventory").size() == 1; }));
    // The next reports meet three 503s, then a 429 asking for 2 s.
    r.server.control({{"cmd", "fault"}, {"path", "/v1/inventory"}, {"status", 503}, {"count", 3}});
    r.server.control({{"cmd", "fault"},
                      {"path", "/v1/inventory"},
                      {"status", 429},
                      {"retry_after", 2},
                      {"count", 1}});
    r.server.records(true);
    r.link.reset();  // a restart reports at once with the stored token
    r.start();
    // Three 503s, the 429, then accepted.
    ASSERT_TRUE(r.run_until([&] { return r.server.requests("/v1/inventory").size() >= 5; }, 20s));
    ASSERT_TRUE(r.run_until([&] { return r.state() == "connected"; }));
    const auto reports = r.server.requests("/v1/inventory");
    ASSERT_EQ(reports.size(), 5u) << r.server.records().dump();
    std::vector<double> gaps;
    for (std::size_t i = 1; i < reports.size(); ++i) {
        gaps.push_back(reports[i]["t"].get<double>() - reports[i - 1]["t"].get<double>());
    }
    // Base 200 ms doubling, each delay in [d/2, d]: at least 0.1, 0.2, 0.4 s, then the
    // Retry-After's 2 s.
    EXPECT_GE(gaps[0], 0.09);
    EXPECT_GE(gaps[1], 0.19);
    EXPECT_GE(gaps[2], 0.39);
    EXPECT_GE(gaps[3], 1.9);
    EXPECT_EQ(r.link->status()["consecutive_failures"], 0);
}

TEST(CloudLink, ClockOffsetIsMeasuredAndExplainsATokenRefusal) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.server.control({{"cmd", "set"}, {"clock_offset_s", 300}});
    r.start();
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "clock_skew");
    auto st = r.link->status();
    ASSERT_TRUE(st["clock_offset_s"].is_number());
    EXPECT_NEAR(st["clock_offset_s"].get<double>(), 300, 2);
    EXPECT_NE(st["clock_error"].get<std::string>().find("behind CloudLink"), std::string::npos);
    EXPECT_NE(st["link_attempt"]["message"].get<std::string>().find("configure NTP"),
              std::string::npos);
    // A server that tolerates the skew links, and status still warns.
    r.server.control({{"cmd", "set"}, {"max_skew_s", 100000}});
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "ok");
    EXPECT_TRUE(r.link->status().contains("clock_error"));
}

TEST(CloudLink, HostileAnswersAreClearErrorsNeverCrashes) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start();
    const std::pair<const char*, const char*> kinds[] = {
        {"garbage", "bad_response"},     {"invalid_utf8", "bad_response"},
        {"wrong_types", "bad_response"}, {"empty", "bad_response"},
        {"huge", "unreachable"},         {"truncated", "unreachable"},
    };
    for (const auto& [kind, expected] : kinds) {
        SCOPED_TRACE(kind);
        r.server.control({{"cmd", "fault"}, {"path", "/v1/link"}, {"body", kind}, {"count", 1}});
        ASSERT_TRUE(r.link_with("admin", "secret"));
        EXPECT_EQ(r.attempt_result(), expected);
        EXPECT_EQ(r.state(), "unlinked");
        const std::string message = r.link->status()["link_attempt"]["message"];
        EXPECT_FALSE(message.empty());
        for (char c : message) {
            EXPECT_TRUE(c >= ' ' && c <= '~') << message;
        }
    }
    const std::string huge = r.link->status().dump();
    EXPECT_LT(huge.size(), 10000u);
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "ok");
}

TEST(CloudLink, AServerTheCaDoesNotVouchForIsRefused) {
    link_rig r("rogue");
    ASSERT_TRUE(r.server.ok());
    r.start();
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "tls_untrusted");
    EXPECT_TRUE(r.server.requests("/v1/link").empty());  // the password never left
}

TEST(CloudLink, ASlowServerTimesOutWithinTheRequestTimeout) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start(1000);
    r.server.control({{"cmd", "fault"}, {"path", "/v1/link"}, {"delay_s", 4}, {"count", 1}});
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    EXPECT_EQ(r.attempt_result(), "unreachable");
    EXPECT_NE(r.link->status()["link_attempt"]["message"].get<std::string>().find(
                  "no answer within 1000 ms"),
              std::string::npos);
}

TEST(CloudLink, UnlinkRemovesTheTokenAndTellsCloudLink) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start();
    ASSERT_TRUE(r.link_with("admin", "secret"));
    const auto out = r.link->unlink();
    EXPECT_EQ(out["state"], "unlinked");
    EXPECT_EQ(mode_of(r.dir.file("state/token.json")), 01000u);
    ASSERT_TRUE(r.run_until([&] { return r.server.requests("/v1/link").size() == 2; }));
    EXPECT_EQ(r.server.requests("/v1/link")[1]["method"], "DELETE");
    ASSERT_TRUE(r.run_until([&] {
        return r.link->status()["last_unlink"].get<std::string>().find("CloudLink told") !=
               std::string::npos;
    }));
}

TEST(CloudLink, AnIdentityFromAnotherMachineIsNotUsedUntilTheOperatorUnlinks) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start();
    ASSERT_TRUE(r.link_with("admin", "secret"));
    const std::string original = r.link->status()["installation_id"];
    ASSERT_TRUE(r.run_until([&] { return r.server.requests("/v1/inventory").size() == 1; }));

    // The disk is cloned into another machine: same files, another machine id.
    r.write_machine("machine-b");
    r.server.records(true);
    r.start();
    EXPECT_EQ(r.state(), "identity_conflict");
    EXPECT_NE(r.link->status()["last_error"].get<std::string>().find("another machine"),
              std::string::npos);
    sip::test::run_for(r.loop, 500ms);
    EXPECT_TRUE(r.server.records().empty());  // nothing sent with the original's token
    const cp::status refused = r.link->link("admin", "secret");
    EXPECT_FALSE(refused);
    EXPECT_NE(refused.message().find("another machine"), std::string::npos);

    // The operator unlinks: local only (the original keeps its link), a new identity.
    const auto out = r.link->unlink();
    EXPECT_EQ(out["cloudlink_told"], false);
    EXPECT_NE(out["installation_id"], original);
    sip::test::run_for(r.loop, 300ms);
    EXPECT_TRUE(r.server.records().empty());
    ASSERT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "ok");
}

}  // namespace
}  // namespace sbc::cp::cloudlink::test
