// The trunk to OSV with fake nodes: health from OPTIONS and from traffic, recovery, and the
// node rules of each comm system type as the registrar experiences them.
#include <gtest/gtest.h>

#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

node_health health(sbc_fixture& f, node_index n) {
    return f.sbc->trunk().node(n).health;
}

const binding* binding_of(sbc_fixture& f, std::string_view aor) {
    const binding* out = nullptr;
    f.sbc->bindings().for_each([&](const binding& b) {
        if (b.aor == aor && b.state == binding_state::active) {
            out = &b;
        }
    });
    return out;
}

TEST(Trunk, NodesComeUpOnTheFirstAnsweredOptions) {
    sbc_fixture f(config::comm_system::active_standby, 2);
    ASSERT_TRUE(f.start()) << f.start_error;
    EXPECT_EQ(health(f, 0), node_health::up);
    EXPECT_EQ(health(f, 1), node_health::up);
    EXPECT_GE(f.osv[0]->count("OPTIONS"), 1u);
    auto st = f.sbc->trunk().status();
    EXPECT_EQ(st["comm_system_type"], "active-standby");
    EXPECT_EQ(st["nodes"][0]["state"], "up");
}

TEST(Trunk, OptionsFailuresTakeANodeDownAfterTheThresholdAndAnswersBringItBack) {
    sbc_fixture f;
    f.cfg.sip_server.options_interval_s = 1;
    f.cfg.sip_server.failure_threshold = 2;
    f.cfg.sip_server.recovery_threshold = 2;
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_EQ(health(f, 0), node_health::up);
    f.osv[0]->options = fake_osv::mode::unavailable;  // 503 to OPTIONS
    f.run_for(1200ms);
    // One 503 is not enough (failure_threshold 2)...
    EXPECT_EQ(health(f, 0), node_health::up);
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::down; }, 3s));
    EXPECT_EQ(f.sbc->trunk().node(0).reason, "OPTIONS answered 503");
    f.osv[0]->options = fake_osv::mode::answer;
    const auto answered = f.sbc->trunk().node(0).options_answered;
    // ...and one answer is not enough to come back (recovery_threshold 2).
    ASSERT_TRUE(
        f.run_until([&] { return f.sbc->trunk().node(0).options_answered > answered; }, 2s));
    EXPECT_EQ(health(f, 0), node_health::down);
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::up; }, 3s));
}

TEST(Trunk, UnansweredOptionsTimeOutAfter8T1AndDoNotBlockRecovery) {
    sbc_fixture f;
    f.cfg.sip.t1_ms = 50;  // a probe waits 8 x T1 = 0.4 s, not Timer F
    f.cfg.sip_server.options_interval_s = 1;
    f.cfg.sip_server.failure_threshold = 2;
    f.cfg.sip_server.recovery_threshold = 1;
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_EQ(health(f, 0), node_health::up);
    f.osv[0]->options = fake_osv::mode::silent;
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::down; }, 4s));
    EXPECT_EQ(f.sbc->trunk().node(0).reason, "OPTIONS unanswered for 8 x T1");
    f.osv[0]->options = fake_osv::mode::answer;
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::up; }, 3s));
}

TEST(Trunk, ALostConnectionIsProbedAtOnceAndARefusedProbeMeansDown) {
    sbc_fixture f;
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_EQ(health(f, 0), node_health::up);
    auto c = f.client("127.0.0.5");
    ASSERT_TRUE(f.register_client(*c, {}));
    // The node dies: its sockets close (FIN), nothing listens any more.
    f.osv.clear();
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::down; }, 2s))
        << f.sbc->trunk().status().dump() << f.sbc->core().status().dump();
}

TEST(Trunk, ActiveStandbyRetriesARequestOnNodeTwoAndMovesWhenTheKeepAliveFails) {
    sbc_fixture f(config::comm_system::active_standby, 2);
    f.cfg.sip_server.options_interval_s = 1;
    f.cfg.sip_server.failure_threshold = 1;
    f.cfg.sip_server.recovery_threshold = 1;
    ASSERT_TRUE(f.start()) << f.start_error;
    auto c = f.client("127.0.0.5");
    register_params p;
    p.expires = "30";
    ASSERT_TRUE(f.register_client(*c, p));
    ASSERT_EQ(binding_of(f, "sip:alice@pbx.local")->node, 0);
    EXPECT_EQ(f.osv[1]->count("REGISTER"), 0u);

    // Node 1 starts answering REGISTER with 503 (its OPTIONS still fine). A new registration
    // hits it and is retried on node 2 within the same request; node 2 challenges (the SBC
    // cannot answer for the client), the client answers, and the binding lives on node 2. One
    // client's 503 does not take node 1 down: its keep-alive says it is alive.
    f.osv[0]->registers = fake_osv::mode::unavailable;
    auto d = f.client("127.0.0.6");
    register_params q;
    q.user = "bob";
    q.call_id = "bob@client";
    ASSERT_TRUE(f.register_client(*d, q));
    EXPECT_EQ(health(f, 0), node_health::up);
    EXPECT_EQ(binding_of(f, "sip:bob@pbx.local")->node, 1);
    EXPECT_EQ(f.osv[1]->count("REGISTER"), 2u);
    EXPECT_EQ(f.sbc->registrar().counters().failovers, 2u);  // the challenge's retry too

    // Node 1 stops answering its OPTIONS: down, and alice's next refresh (not throttled: her
    // node is down) is relayed to node 2.
    f.osv[0]->options = fake_osv::mode::unavailable;
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::down; }, 3s));
    p.cseq = 10;
    ASSERT_TRUE(f.register_client(*c, p));
    EXPECT_EQ(binding_of(f, "sip:alice@pbx.local")->node, 1);

    // Node 1 recovers; active-standby prefers it: bob's next refresh moves back (although
    // throttling would have answered it locally).
    f.osv[0]->registers = fake_osv::mode::answer;
    f.osv[0]->options = fake_osv::mode::answer;
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::up; }, 4s));
    q.cseq = 10;
    ASSERT_TRUE(f.register_client(*d, q));
    EXPECT_EQ(binding_of(f, "sip:bob@pbx.local")->node, 0);
}

TEST(Trunk, AHungNodeIsLeftAfterTheRelayDeadlineWithoutBeingCalledDown) {
    sbc_fixture f(config::comm_system::active_standby, 2);
    f.cfg.sip.t1_ms = 100;  // relay deadline 8 x T1 = 0.8 s
    ASSERT_TRUE(f.start()) << f.start_error;
    f.osv[0]->registers = fake_osv::mode::silent;  // accepts, never answers
    auto c = f.client("127.0.0.5");
    ASSERT_TRUE(f.register_client(*c, {}));
    EXPECT_EQ(binding_of(f, "sip:alice@pbx.local")->node, 1);
    // One client's unanswered REGISTER: a suspicion from one source, nothing more.
    EXPECT_EQ(health(f, 0), node_health::up);
    EXPECT_FALSE(f.sbc->trunk().node(0).suspect);
    EXPECT_EQ(f.sbc->trunk().node(0).suspicions.size(), 1u);
}

// Issue 10, finding 3: a client whose requests OSV drops (oversized, odd) could make the SBC
// declare the node dead and every other client got 503 for a minute.
TEST(Trunk, OneClientsUnansweredRequestsNeverTakeTheNodeDown) {
    sbc_fixture f;
    f.cfg.sip.t1_ms = 50;  // the relay waits 8 x T1 = 0.4 s per attempt
    f.cfg.sip_server.failure_threshold = 1;
    ASSERT_TRUE(f.start()) << f.start_error;
    f.osv[0]->registers = fake_osv::mode::silent;
    auto bad = f.client("127.0.0.7");
    for (std::uint32_t i = 1; i <= 8; ++i) {
        register_params p;
        p.user = std::string("odd").append(std::to_string(i));
        p.call_id = p.user + "@client";
        const auto before = bad->response_count();
        bad->send(sip::transport_type::tls, f.access_tls, make_register(*bad, p));
        ASSERT_TRUE(f.run_until([&] { return bad->response_count() > before; }, 3s)) << i;
        EXPECT_EQ(bad->last_response()->msg().status_code(), 503);
    }
    EXPECT_EQ(health(f, 0), node_health::up);
    EXPECT_EQ(f.sbc->trunk().node(0).suspected, 0u);
    EXPECT_GE(f.sbc->trunk().node(0).traffic_failures, 8u);
    // A clean client registers meanwhile.
    f.osv[0]->registers = fake_osv::mode::answer;
    auto good = f.client("127.0.0.8");
    EXPECT_TRUE(f.register_client(*good, {}));
}

TEST(Trunk, TimeoutsFromSeveralClientsMakeTheNodeSuspectAndTheProbesDecide) {
    sbc_fixture f;
    f.cfg.sip.t1_ms = 50;                       // probes and relays wait 8 x T1 = 0.4 s
    f.cfg.sip_server.options_interval_s = 300;  // no keep-alive in this test but the suspect's
    f.cfg.sip_server.failure_threshold = 2;
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_EQ(health(f, 0), node_health::up);
    f.osv[0]->registers = fake_osv::mode::silent;
    std::vector<std::unique_ptr<sip_client>> clients;
    auto unanswered_registers_from = [&](int first, int n) {
        for (int i = first; i < first + n; ++i) {
            clients.push_back(f.client("127.0.0." + std::to_string(20 + i)));
            register_params p;
            p.user = std::string("u").append(std::to_string(i));
            p.call_id = p.user + "@client";
            clients.back()->send(sip::transport_type::tls, f.access_tls,
                                 make_register(*clients.back(), p));
        }
        ASSERT_TRUE(f.run_until([&] { return f.sbc->registrar().relays_in_flight() == 0; }, 3s));
    };

    // Three sources: the node is suspect and probed at once; it answers, and stays up.
    const auto sent = f.sbc->trunk().node(0).options_sent;
    unanswered_registers_from(0, 3);
    ASSERT_TRUE(f.run_until([&] { return f.sbc->trunk().node(0).options_sent > sent; }, 1s));
    EXPECT_EQ(f.sbc->trunk().node(0).suspected, 1u);
    ASSERT_TRUE(f.run_until([&] { return !f.sbc->trunk().node(0).suspect; }, 2s));
    EXPECT_EQ(health(f, 0), node_health::up);

    // Now the node answers nothing at all: three sources again, and the back-to-back probes
    // take it down after failure_threshold (2) of them, long before the 300 s interval.
    f.osv[0]->options = fake_osv::mode::silent;
    unanswered_registers_from(3, 3);
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::down; }, 3s));
    EXPECT_EQ(f.sbc->trunk().node(0).reason, "OPTIONS unanswered for 8 x T1");
    EXPECT_EQ(f.sbc->trunk().node(0).suspected, 2u);
}

TEST(Trunk, ASimplexTrunkKeepsTryingItsNodeWhileItIsDown) {
    sbc_fixture f;
    f.cfg.sip_server.options_interval_s = 1;
    f.cfg.sip_server.failure_threshold = 1;
    ASSERT_TRUE(f.start()) << f.start_error;
    f.osv[0]->options = fake_osv::mode::unavailable;
    ASSERT_TRUE(f.run_until([&] { return health(f, 0) == node_health::down; }, 3s));
    // The node's OPTIONS say 503, but it takes REGISTERs: clients are not turned away.
    auto c = f.client("127.0.0.5");
    EXPECT_TRUE(f.register_client(*c, {}));
    EXPECT_EQ(health(f, 0), node_health::down);
    EXPECT_EQ(binding_of(f, "sip:alice@pbx.local")->node, 0);
}

TEST(Trunk, ClusteredSpreadsUsersAndKeepsAUsersClientsTogether) {
    sbc_fixture f(config::comm_system::clustered, 2);
    ASSERT_TRUE(f.start()) << f.start_error;
    std::vector<std::unique_ptr<sip_client>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(f.client("127.0.0." + std::to_string(10 + i)));
        register_params p;
        p.user = "user" + std::to_string(i);
        p.call_id = "u" + std::to_string(i) + "@c";
        ASSERT_TRUE(f.register_client(*clients.back(), p));
    }
    EXPECT_EQ(f.sbc->bindings().on_node(0), 2u);
    EXPECT_EQ(f.sbc->bindings().on_node(1), 2u);
    // user0's second client (another instance) joins user0's node.
    const node_index user0 = binding_of(f, "sip:user0@pbx.local")->node;
    auto second = f.client("127.0.0.20");
    register_params p;
    p.user = "user0";
    p.call_id = "u0-mobile@c";
    p.contact_params = ";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-0000000000ff>\"";
    ASSERT_TRUE(f.register_client(*second, p));
    std::size_t on_user0_node = 0;
    f.sbc->bindings().for_each([&](const binding& b) {
        if (b.aor == "sip:user0@pbx.local" && b.node == user0) {
            ++on_user0_node;
        }
    });
    EXPECT_EQ(on_user0_node, 2u);
    // Refreshes stay where they are (throttled or not, clustered keeps affinity).
    p.cseq = 10;
    ASSERT_TRUE(f.register_client(*second, p));
    EXPECT_EQ(f.sbc->bindings().on_node(user0), 3u);
}

TEST(Trunk, ClusteredMovesAClientWhoseNodeDied) {
    sbc_fixture f(config::comm_system::clustered, 2);
    ASSERT_TRUE(f.start()) << f.start_error;
    auto c = f.client("127.0.0.5");
    register_params p;
    p.user_agent = "ZoomPbxPhone_Android_Phone/6.0";  // never throttled: every refresh relayed
    ASSERT_TRUE(f.register_client(*c, p));
    const node_index first = binding_of(f, "sip:alice@pbx.local")->node;
    f.osv[first]->registers = fake_osv::mode::unavailable;
    p.cseq = 10;
    ASSERT_TRUE(f.register_client(*c, p));
    EXPECT_NE(binding_of(f, "sip:alice@pbx.local")->node, first);
}

}  // namespace
}  // namespace sbc::cp::test
