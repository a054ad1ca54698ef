#include <gtest/gtest.h>

#include "controlplane/register_throttle.hpp"

namespace sbc::cp {
namespace {

using std::chrono::seconds;

config::remote_subscribers_section section() {
    config::remote_subscribers_section s;
    s.register_throttling = false;
    s.register_throttling_tls = true;
    s.throttling_bypass_ua_regex = "ZoomPbxPhone_Android_Phone|ZoomPbxPhone_IOS_Phone";
    s.max_registration_expiry_s = 2678400;
    s.throttle_refresh_s = 1800;
    return s;
}

TEST(RegisterThrottle, WhoIsThrottled) {
    register_throttle t(section());
    EXPECT_TRUE(t.applies(sip::transport_type::tls, "ZoomPbxPhone/6.0 (Windows)"));
    EXPECT_FALSE(t.applies(sip::transport_type::tcp, "ZoomPbxPhone/6.0 (Windows)"));
    EXPECT_FALSE(t.applies(sip::transport_type::tls, "ZoomPbxPhone_Android_Phone/6.1"));
    EXPECT_FALSE(t.applies(sip::transport_type::tls, "x ZoomPbxPhone_IOS_Phone"));
}

TEST(RegisterThrottle, ExpiriesAskedAndGranted) {
    register_throttle t(section());
    EXPECT_EQ(t.cap(5000000), 2678400u);
    // Throttled: OSV is asked for at least 2 x throttle_refresh_s.
    EXPECT_EQ(t.osv_request(60, true), 3600u);
    EXPECT_EQ(t.osv_request(7200, true), 7200u);
    EXPECT_EQ(t.osv_request(60, false), 60u);
    EXPECT_EQ(t.osv_request(5000000, false), 2678400u);
    EXPECT_EQ(t.client_grant(60, 3600), 60u);
    EXPECT_EQ(t.client_grant(7200, 3600), 3600u);
}

TEST(RegisterThrottle, LocalAnswersUntilTheRefreshIsDue) {
    register_throttle t(section());
    const sip::time_point t0{seconds(1000)};
    // OSV granted 3600: due after throttle_refresh_s (1800).
    const sip::time_point end = t0 + seconds(3600);
    EXPECT_EQ(t.due(t0, end), t0 + seconds(1800));
    EXPECT_EQ(t.local_grant(60, t0 + seconds(10), t0, end), 60u);
    EXPECT_EQ(t.local_grant(60, t0 + seconds(1799), t0, end), 60u);
    EXPECT_FALSE(t.local_grant(60, t0 + seconds(1800), t0, end));
    // OSV granted only 600 ("its own pace"): due at half, 300.
    const sip::time_point short_end = t0 + seconds(600);
    EXPECT_EQ(t.due(t0, short_end), t0 + seconds(300));
    EXPECT_FALSE(t.local_grant(60, t0 + seconds(301), t0, short_end));
    // Never past OSV's expiry minus the guard (a quarter, at most 32 s).
    EXPECT_EQ(t.local_grant(3000, t0 + seconds(100), t0, short_end), 600u - 100u - 32u);
    const sip::time_point tiny = t0 + seconds(8);
    EXPECT_EQ(t.local_grant(60, t0 + seconds(1), t0, tiny), 5u);  // 8 - 1 - 2
}

TEST(RegisterThrottle, AClientRefreshingEveryTwentySecondsForTwoMinutes) {
    // The property on the policy alone: OSV grants 3600, the client refreshes every
    // 20 s for 2 minutes; nothing but the first REGISTER reaches OSV.
    register_throttle t(section());
    const sip::time_point t0{seconds(5000)};
    int relayed = 0;
    sip::time_point refreshed = t0, end = t0 + seconds(3600);
    for (int s = 20; s <= 120; s += 20) {
        if (!t.local_grant(60, t0 + seconds(s), refreshed, end)) {
            ++relayed;
            refreshed = t0 + seconds(s);
            end = refreshed + seconds(3600);
        }
    }
    EXPECT_EQ(relayed, 0);
}

}  // namespace
}  // namespace sbc::cp
