// The push request the call flow will make, against the stand-in: sent with the device token,
// unknown device, per-device rate limit, prompt failures when the link cannot carry it, 429,
// CloudLink down, and the callback always later, exactly once.
#include <gtest/gtest.h>

#include "link_rig.hpp"

namespace sbc::cp::cloudlink::test {
namespace {

struct pushed {
    bool done = false;
    bool inside_call = false;
    push_result result;
};

pushed push_and_wait(link_rig& r, const push_device& d, std::chrono::milliseconds limit = 10s) {
    pushed p;
    bool calling = true;
    r.push->push(d, "call-7", "1001", [&](const push_result& res) {
        p.inside_call = calling;
        p.done = true;
        p.result = res;
    });
    calling = false;
    r.run_until([&] { return p.done; }, limit);
    return p;
}

link_rig& linked(link_rig& r) {
    r.start();
    EXPECT_TRUE(r.link_with("admin", "secret"));
    EXPECT_EQ(r.attempt_result(), "ok");
    return r;
}

TEST(Push, TheDeviceTokenReachesCloudLinkAndTheAnswerComesBackLater) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    linked(r);
    auto p = push_and_wait(r, push_device("apns", "3a8e6f7c2b1d", "ABCDE.voip"));
    ASSERT_TRUE(p.done);
    EXPECT_FALSE(p.inside_call);
    EXPECT_TRUE(p.result.sent) << p.result.message;
    EXPECT_EQ(p.result.push_id.rfind("push-", 0), 0u);
    const auto got = r.server.requests("/v1/push");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["body"]["device"]["provider"], "apns");
    EXPECT_EQ(got[0]["body"]["device"]["prid"], "3a8e6f7c2b1d");
    EXPECT_EQ(got[0]["body"]["device"]["param"], "ABCDE.voip");
    EXPECT_EQ(got[0]["body"]["call"]["id"], "call-7");
    EXPECT_FALSE(got[0]["bearer"].is_null());
    EXPECT_EQ(r.push->counters().sent, 1u);
}

TEST(Push, AnUnknownDeviceIsAClearFailure) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    linked(r);
    auto p = push_and_wait(r, push_device("fcm", "unknown-device", ""));
    ASSERT_TRUE(p.done);
    EXPECT_FALSE(p.result.sent);
    EXPECT_EQ(p.result.why, outcome::unknown_device);
    EXPECT_EQ(r.push->counters().failed_unknown_device, 1u);
}

TEST(Push, EachDeviceIsRateLimitedAndOthersAreNot) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    linked(r);
    const push_device a("apns", "device-a", "");
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(push_and_wait(r, a).result.sent);
    }
    auto over = push_and_wait(r, a, 1s);
    ASSERT_TRUE(over.done);
    EXPECT_FALSE(over.inside_call);
    EXPECT_EQ(over.result.why, outcome::rate_limited);
    EXPECT_NE(over.result.message.find("max_per_device_per_minute"), std::string::npos);
    EXPECT_EQ(r.server.requests("/v1/push").size(), 3u);  // the fourth never left
    EXPECT_TRUE(push_and_wait(r, push_device("apns", "device-b", "")).result.sent);
    EXPECT_EQ(r.push->counters().failed_rate_limited, 1u);
}

TEST(Push, FailsPromptlyWhenNotLinkedOrTheTokenExpired) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    r.start();
    const auto t0 = std::chrono::steady_clock::now();
    auto p = push_and_wait(r, push_device("apns", "dev", ""), 1s);
    ASSERT_TRUE(p.done);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
    EXPECT_FALSE(p.result.sent);
    EXPECT_NE(p.result.message.find("unlinked"), std::string::npos);
    EXPECT_EQ(r.push->counters().failed_not_linked, 1u);

    // Linked, then the access token dies at CloudLink: the push hears 401, says so, and the
    // link refreshes its token so the next push works.
    ASSERT_TRUE(r.link_with("admin", "secret"));
    r.server.control({{"cmd", "expire_access"}});
    auto refused = push_and_wait(r, push_device("apns", "dev", ""));
    EXPECT_EQ(refused.result.why, outcome::token_rejected);
    ASSERT_TRUE(r.run_until([&] { return r.link->status()["refreshes"] == 1; }));
    EXPECT_TRUE(push_and_wait(r, push_device("apns", "dev2", "")).result.sent);
    EXPECT_EQ(r.push->counters().failed_token, 1u);
}

TEST(Push, CloudLinkDownOrBusyFailsWithinTheTimeoutNotTheInviteWait) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    linked(r);
    // A server that does not answer: the push gives up at request_timeout_ms (2 s).
    r.server.control({{"cmd", "fault"}, {"path", "/v1/push"}, {"delay_s", 5}, {"count", 1}});
    const auto t0 = std::chrono::steady_clock::now();
    auto slow = push_and_wait(r, push_device("fcm", "d1", ""));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
    EXPECT_EQ(slow.result.why, outcome::unreachable);
    // 503: unavailable.
    r.server.control({{"cmd", "fault"}, {"path", "/v1/push"}, {"status", 503}, {"count", 1}});
    EXPECT_EQ(push_and_wait(r, push_device("fcm", "d2", "")).result.why, outcome::unreachable);
    EXPECT_EQ(r.push->counters().failed_unavailable, 2u);
    // 429 with Retry-After: this push and the next ones within the window fail at once.
    r.server.control({{"cmd", "fault"},
                      {"path", "/v1/push"},
                      {"status", 429},
                      {"retry_after", 30},
                      {"count", 1}});
    EXPECT_EQ(push_and_wait(r, push_device("fcm", "d3", "")).result.why, outcome::rate_limited);
    const auto before = r.server.requests("/v1/push").size();
    auto quiet = push_and_wait(r, push_device("fcm", "d4", ""), 1s);
    EXPECT_EQ(quiet.result.why, outcome::rate_limited);
    EXPECT_NE(quiet.result.message.find("Retry-After"), std::string::npos);
    EXPECT_EQ(r.server.requests("/v1/push").size(), before);
    EXPECT_EQ(r.push->counters().failed_cloudlink_busy, 2u);
    EXPECT_EQ(r.push->recent().size(), 4u);  // slow, 503, 429, quiet
}

TEST(Push, GarbageFromCloudLinkIsABadResponse) {
    link_rig r;
    ASSERT_TRUE(r.server.ok());
    linked(r);
    for (const char* kind : {"garbage", "invalid_utf8", "wrong_types"}) {
        SCOPED_TRACE(kind);
        r.server.control({{"cmd", "fault"},
                          {"path", "/v1/push"},
                          {"status", 202},
                          {"body", kind},
                          {"count", 1}});
        auto p = push_and_wait(r, push_device("apns", std::string("g-") + kind, ""));
        ASSERT_TRUE(p.done);
        EXPECT_EQ(p.result.why, outcome::bad_response);
    }
    EXPECT_EQ(r.push->counters().failed_other, 3u);
}

}  // namespace
}  // namespace sbc::cp::cloudlink::test
