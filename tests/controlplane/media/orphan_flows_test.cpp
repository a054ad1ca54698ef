// Issue 15: flows a previous sbcd left in a live sbc-dataplane (two net_null ports). The first
// manager sets calls up and goes away without ending them (what a crash or a restart leaves);
// the next one reads the dataplane's flow table at start, keeps those flows relaying and their
// ports out of its pools for calls.orphan_flow_grace_s, then removes them, and counts events
// about flows no call owns.

#include <gtest/gtest.h>

#include "controlplane/media/media_manager.hpp"
#include "tests/controlplane/media/live_dataplane.hpp"
#include "tests/controlplane/media/media_support.hpp"

using namespace sbc;
using namespace sbc::cp::media;
using namespace std::chrono_literals;

namespace {

class orphan_test : public ::testing::Test {
  protected:
    void SetUp() override {
        cfg_ = test::test_config();
        cfg_.calls.orphan_flow_grace_s = 30;
        ASSERT_TRUE(dp_.start("orph")) << dp_.proc.log();
    }

    std::unique_ptr<media_manager> manager() {
        return std::make_unique<media_manager>(cfg_, dp_.client);
    }
    // A call with both flows acknowledged; 0 on failure.
    session_id call(media_manager& mm, uint8_t key) {
        auto id = mm.create(
            {&cfg_.realm.access, cfg_.find_media_profile("SRTP_SDES"), "test", std::nullopt},
            {&cfg_.realm.core, cfg_.find_media_profile("OSV_RTP"), "test", std::nullopt});
        if (!id) {
            ADD_FAILURE() << id.error().message();
            return 0;
        }
        std::string to_core;
        if (!mm.offer(*id, side::a, test::client_offer(test::crypto80(1, key)), to_core)) {
            ADD_FAILURE() << "offer refused";
            return 0;
        }
        bool done = false, ok = false;
        mm.answer(*id, side::b, test::osv_sdp(), [&](const status& st, const std::string&) {
            done = true;
            ok = static_cast<bool>(st);
        });
        EXPECT_TRUE(dp_.pump(mm, [&] { return done; }));
        EXPECT_TRUE(ok);
        return ok ? *id : 0;
    }
    // A new sbcd: a new controller attaches to the same dataplane.
    void new_controller() {
        dp_.client.detach();
        auto st = dp_.client.attach(dp_.instance);
        ASSERT_TRUE(st) << st.message;
    }

    config::appliance cfg_;
    test::live_dataplane dp_;
};

}  // namespace

TEST_F(orphan_test, a_previous_sbcds_flows_relay_through_the_grace_period_then_go) {
    std::vector<shm::flow_key> old_keys;
    {
        auto before = manager();
        for (uint8_t k : {0x11, 0x22}) {
            const session_id id = call(*before, k);
            ASSERT_NE(id, 0u);
            for (side s : {side::a, side::b}) {
                old_keys.push_back(before->find(id)->get(s).key);
            }
        }
    }
    ASSERT_EQ(dp_.client.flows_installed(), 4u) << "nothing removes flows when sbcd goes away";
    new_controller();

    auto mm = manager();
    const auto table = dp_.client.read_flow_table(5s);
    ASSERT_EQ(table.error, cp::dp_errc::none) << cp::to_string(table.error);
    ASSERT_EQ(table.flows.size(), 4u);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(mm->adopt_flow_table(table.flows, t0), 4u);
    EXPECT_EQ(mm->counters_json()["ports"]["access"]["used"], 2) << "orphans' ports are held";

    // A new call meanwhile gets other ports: none of its flows is an orphan's.
    const session_id id = call(*mm, 0x33);
    ASSERT_NE(id, 0u);
    const auto& fresh = *mm->find(id);
    for (side s : {side::a, side::b}) {
        for (const auto& k : old_keys) {
            EXPECT_FALSE(fresh.get(s).key == k) << "port " << k.local_port << " given twice";
        }
    }
    EXPECT_EQ(dp_.client.flows_installed(), 6u);

    // The new call's id is 1, the same as the first old call's: its cookie collides, the key
    // does not. The event is counted and does not touch the new call.
    cp::dp_event ev;
    ev.raw.type = shm::event_type::latched;
    ev.raw.key = old_keys[0];
    ev.raw.cookie = fresh.get(side::a).cookie;
    ev.raw.addr = shm::make_endpoint(shm::ipv4(0xcb007107), 61000);
    mm->on_event(ev);
    EXPECT_EQ(mm->counters().unknown_flow_events, 1u);
    EXPECT_FALSE(mm->runtime(id, side::a)->latched.has_value());

    mm->tick(t0 + 29s);
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 6u) << "still within the grace period";
    auto j = mm->restart_json(t0 + 29s);
    EXPECT_EQ(j["orphan_flows_found"], 4);
    EXPECT_EQ(j["orphan_flows_pending"], 4);
    EXPECT_EQ(j["orphan_removal_in_s"], 1);
    EXPECT_EQ(j["orphan_flows_removed"], 0);

    mm->tick(t0 + 30s);
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 2u);
    for (const auto& k : old_keys) {
        EXPECT_FALSE(dp_.client.flow_counters(k).has_value()) << "port " << k.local_port;
    }
    for (side s : {side::a, side::b}) {
        EXPECT_TRUE(dp_.client.flow_counters(fresh.get(s).key).has_value());
    }
    j = mm->restart_json(t0 + 30s);
    EXPECT_EQ(j["orphan_flows_removed"], 4);
    EXPECT_EQ(j["orphan_flows_pending"], 0);
    EXPECT_FALSE(j.contains("orphan_removal_in_s"));
    EXPECT_EQ(mm->counters_json()["ports"]["access"]["used"], 1) << "orphans' ports given back";
    EXPECT_EQ(mm->counters_json()["ports"]["core"]["used"], 1);

    mm->tick(t0 + 60s);
    EXPECT_EQ(mm->counters().orphan_flows_removed, 4u) << "removed once";
}

TEST_F(orphan_test, flows_of_our_own_calls_are_not_orphans) {
    auto mm = manager();
    const session_id id = call(*mm, 0x44);
    ASSERT_NE(id, 0u);
    const auto table = dp_.client.read_flow_table(5s);
    ASSERT_EQ(table.error, cp::dp_errc::none);
    ASSERT_EQ(table.flows.size(), 2u);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(mm->adopt_flow_table(table.flows, t0), 0u);
    mm->tick(t0 + 3600s);
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 2u);
    EXPECT_EQ(mm->restart_json(t0)["orphan_flows_removed"], 0);
}

TEST_F(orphan_test, zero_grace_removes_at_the_first_tick_and_a_flow_outside_the_pool_too) {
    cfg_.calls.orphan_flow_grace_s = 0;
    // A flow on a port outside the access realm's pool (40000-40999): the range changed since.
    shm::flow_spec stray{};
    stray.key = shm::make_flow_key(0, shm::ipv4(0x0a010101), 41000);
    stray.partner = shm::make_flow_key(0, shm::ipv4(0x0a010101), 41002);
    stray.peer = shm::make_endpoint(shm::ipv4(0x0a010102), 40000);
    stray.protocol = shm::media_protocol::rtp;
    stray.latch = shm::latch_policy::sdp_address;
    auto r = dp_.client.flow_add(stray);
    ASSERT_TRUE(r.ok());
    auto ack = dp_.client.wait_for(r.seq, 5s);
    ASSERT_TRUE(ack && ack->raw.type == shm::event_type::ack) << "flow_add not acknowledged";

    auto mm = manager();
    const auto table = dp_.client.read_flow_table(5s);
    ASSERT_EQ(table.error, cp::dp_errc::none);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(mm->adopt_flow_table(table.flows, t0), 1u);
    EXPECT_EQ(mm->counters_json()["ports"]["access"]["used"], 0);
    mm->tick(t0);
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 0u);
    EXPECT_EQ(mm->counters().orphan_flows_removed, 1u);
}
