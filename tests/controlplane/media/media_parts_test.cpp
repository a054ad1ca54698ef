// The media manager's parts on their own: the realms' port pools (both ports or none), and the
// hairpin rewrite (a leg whose peer is our own endpoint relays around it).
#include <gtest/gtest.h>

#include <map>

#include "controlplane/media/hairpin.hpp"
#include "controlplane/media/realm_ports.hpp"
#include "dataplane/shm/address.hpp"
#include "tests/controlplane/media/media_support.hpp"

using namespace sbc;
using namespace sbc::cp::media;

namespace {

// The test config with pools of `access` and `core` legs (even ports from 40000 and 50000) and
// `reserve` of them left to emergency calls.
config::appliance with_pools(uint16_t access, uint16_t core, uint32_t reserve) {
    config::appliance cfg = test::test_config();
    cfg.realm.access.media_port_min = 40000;
    cfg.realm.access.media_port_max = static_cast<uint16_t>(40000 + 2 * access - 1);
    cfg.realm.core.media_port_min = 50000;
    cfg.realm.core.media_port_max = static_cast<uint16_t>(50000 + 2 * core - 1);
    cfg.calls.emergency_port_reserve = reserve;
    return cfg;
}

TEST(realm_ports, a_call_takes_one_port_per_realm_or_none) {
    config::appliance cfg = with_pools(2, 1, 0);
    realm_ports ports(cfg);
    auto first = ports.allocate(cfg.realm.access, cfg.realm.core);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->a, 40000);
    EXPECT_EQ(first->b, 50000);
    const auto none = ports.allocate(cfg.realm.access, cfg.realm.core);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message(), "realm " + cfg.realm.core.name);
    // The access port taken for the failed call went back: the access pool still has one pair.
    EXPECT_EQ(ports.json()[cfg.realm.access.name]["used"], 1);
    EXPECT_EQ(ports.json()[cfg.realm.core.name]["used"], 1);
    ports.release(cfg.realm.core, first->b);
    auto second = ports.allocate(cfg.realm.access, cfg.realm.core);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->b, 50000);
    EXPECT_EQ(ports.json()[cfg.realm.access.name]["capacity"], 2);
}

// calls.emergency_port_reserve (issue 13): the last ports of every pool are left to emergency
// calls; an ordinary call is refused with the reason, an emergency call takes them.
TEST(realm_ports, the_last_ports_of_every_pool_are_the_emergency_reserve) {
    config::appliance cfg = with_pools(4, 5, 2);
    realm_ports ports(cfg);
    ASSERT_TRUE(ports.allocate(cfg.realm.access, cfg.realm.core));
    ASSERT_TRUE(ports.allocate(cfg.realm.access, cfg.realm.core));
    // Two access ports left: both are the reserve.
    const auto ordinary = ports.allocate(cfg.realm.access, cfg.realm.core);
    ASSERT_FALSE(ordinary);
    EXPECT_EQ(
        ordinary.error().message(),
        "realm " + cfg.realm.access.name + " (its last 2 ports are calls.emergency_port_reserve)");
    EXPECT_EQ(ports.json()[cfg.realm.core.name]["used"], 2) << "nothing taken for the refusal";
    const auto first = ports.allocate(cfg.realm.access, cfg.realm.core, true);
    const auto second = ports.allocate(cfg.realm.access, cfg.realm.core, true);
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_NE(first->a, second->a);
    // Every port taken: even an emergency call is refused, naming the realm that ran out.
    const auto none = ports.allocate(cfg.realm.access, cfg.realm.core, true);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message(), "realm " + cfg.realm.access.name);
    EXPECT_EQ(ports.json()[cfg.realm.access.name]["emergency_reserve"], 2);
    // A port back to the pool is the reserve's again, not the ordinary calls'.
    ports.release(cfg.realm.access, first->a);
    EXPECT_FALSE(ports.allocate(cfg.realm.access, cfg.realm.core));
    EXPECT_TRUE(ports.allocate(cfg.realm.access, cfg.realm.core, true));
}

// A hairpin (both legs in one realm) takes two ports of it: refused when that would eat into the
// reserve, though one ordinary port would still be free.
TEST(realm_ports, a_hairpin_counts_both_its_ports_against_the_reserve) {
    config::appliance cfg = with_pools(1, 3, 2);
    realm_ports ports(cfg);
    EXPECT_FALSE(ports.allocate(cfg.realm.core, cfg.realm.core));
    EXPECT_TRUE(ports.allocate(cfg.realm.core, cfg.realm.core, true));
}

class hairpin_test : public ::testing::Test {
  protected:
    void SetUp() override { cfg_ = test::test_config(); }

    media_session& add(session_id id, uint16_t access_port, uint16_t core_port) {
        leg_setup a, b;
        a.realm = &cfg_.realm.access;
        a.profile = cfg_.find_media_profile("SRTP_SDES");
        b.realm = &cfg_.realm.core;
        b.profile = cfg_.find_media_profile("OSV_RTP");
        auto [it, fresh] = sessions_.try_emplace(
            id, std::make_unique<media_session>(id, a, access_port, b, core_port, cfg_.media));
        map_.add(*it->second);
        return *it->second;
    }
    // The client offers, the core answers from `core_addr`:`core_port`.
    static void negotiate(media_session& s, const std::string& core_addr, int core_port) {
        std::string out;
        ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
        ASSERT_TRUE(s.answer(side::b, test::osv_sdp("sendrecv", core_addr, core_port), out));
        s.commit();
    }

    config::appliance cfg_;
    std::map<session_id, std::unique_ptr<media_session>> sessions_;
    hairpin_map map_{[this](session_id id) -> const media_session* {
        auto it = sessions_.find(id);
        return it == sessions_.end() ? nullptr : it->second.get();
    }};
};

TEST_F(hairpin_test, a_leg_whose_peer_is_our_endpoint_relays_to_the_leg_behind_it) {
    media_session& one = add(1, 40000, 50000);
    media_session& two = add(2, 40002, 50002);
    negotiate(one, "198.51.100.20", 30000);
    // OSV joined the two calls without anchoring media: call 2's core peer is call 1's core leg.
    negotiate(two, cfg_.realm.core.media_address, 50000);

    EXPECT_FALSE(map_.looped(1, side::b).has_value());
    const auto lp = map_.looped(2, side::b);
    ASSERT_TRUE(lp.has_value());
    EXPECT_EQ(lp->id, 1u);
    EXPECT_EQ(lp->s, side::b);

    auto plan = two.current_plan();
    ASSERT_EQ(plan.install.size(), 2u);
    map_.apply(2, plan);
    // Call 2's core leg needs no flow; its access leg relays straight to call 1's access leg.
    ASSERT_EQ(plan.install.size(), 1u);
    EXPECT_TRUE(plan.install[0].key == two.get(side::a).key);
    EXPECT_TRUE(plan.install[0].partner == one.get(side::a).key);
    ASSERT_EQ(plan.remove.size(), 1u);
    EXPECT_TRUE(plan.remove[0] == two.get(side::b).key);
    // What call 2's core peer sends arrives on call 1's access leg.
    EXPECT_TRUE(map_.source_of(2, side::b) == one.get(side::a).key);

    map_.remove(one);
    EXPECT_FALSE(map_.looped(2, side::b).has_value()) << "call 1 ended: nothing loops any more";
}

}  // namespace
