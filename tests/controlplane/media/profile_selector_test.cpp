#include "controlplane/media/profile_selector.hpp"

#include <gtest/gtest.h>

#include "tests/controlplane/media/media_support.hpp"

using namespace sbc;
using sbc::cp::media::profile_selector;

TEST(profile_selector, user_agent_prefix_picks_the_zoom_profile) {
    auto cfg = test::test_config();
    cfg.realm.access.media_profile = "OSV_RTP";  // so the realm fallback is distinguishable
    profile_selector sel(cfg);
    auto c = sel.for_access("ZoomPbxPhone_Windows 5.17.0");
    ASSERT_NE(c.profile, nullptr);
    EXPECT_EQ(c.profile->name, "SRTP_SDES");
    EXPECT_EQ(c.reason, "user_agent ZoomPbxPhone");
    // Prefix, not substring.
    EXPECT_EQ(sel.for_access("baresip ZoomPbxPhone").profile->name, "OSV_RTP");
    EXPECT_EQ(sel.for_access("").reason, "realm access");
}

TEST(profile_selector, regex_rules_first_match_wins_then_subnet_then_realm) {
    auto cfg = test::test_config();
    config::user_agent rx;
    rx.name = "mobile";
    rx.match = config::ua_match::regex;
    rx.pattern = "Android|IOS";
    rx.media_profile = "E911_RTP";
    cfg.user_agents.insert(cfg.user_agents.begin(), rx);
    profile_selector sel(cfg);
    EXPECT_EQ(sel.for_access("ZoomPbxPhone_Android_Phone").profile->name, "E911_RTP");
    EXPECT_EQ(sel.for_access("ZoomPbxPhone_Mac").profile->name, "SRTP_SDES");
    auto s = sel.for_access("Linphone", "OSV_RTP");
    EXPECT_EQ(s.profile->name, "OSV_RTP");
    EXPECT_EQ(s.reason, "subnet");
    EXPECT_EQ(sel.for_realm(cfg.realm.core).profile->name, "OSV_RTP");
}
