// media_manager against a live sbc-dataplane (two net_null ports): programming before the answer
// is released, refusals that leave nothing behind, nacks and timeouts, renegotiation, end of call
// with call records, admission, events, media timeout and replay.

#include "controlplane/media/media_manager.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "dataplane/shm/address.hpp"
#include "tests/controlplane/media/live_dataplane.hpp"
#include "tests/controlplane/media/media_support.hpp"

using namespace sbc;
using namespace sbc::cp::media;
using namespace std::chrono_literals;

namespace {

struct outcome {
    bool called = false;
    status st;
    std::string body;
};

class manager_test : public ::testing::Test {
  protected:
    void SetUp() override {
        cfg_ = test::test_config();
        cdr_ = "/tmp/" + test::unique_instance("cdr") + ".jsonl";
        cfg_.calls.cdr_path = cdr_;
        ASSERT_TRUE(dp_.start("mm")) << dp_.proc.log();
    }
    void TearDown() override { std::remove(cdr_.c_str()); }

    std::unique_ptr<media_manager> manager() {
        auto mm = std::make_unique<media_manager>(cfg_, dp_.client);
        const auto st = mm->open_cdr();
        EXPECT_TRUE(st) << st.message();
        return mm;
    }
    leg_setup access_leg() {
        return {&cfg_.realm.access, cfg_.find_media_profile("SRTP_SDES"), "test", std::nullopt};
    }
    leg_setup core_leg() {
        return {&cfg_.realm.core, cfg_.find_media_profile("OSV_RTP"), "test", std::nullopt};
    }
    session_id new_call(media_manager& mm) {
        auto c = mm.create(access_leg(), core_leg());
        EXPECT_TRUE(c) << c.error().message();
        return c ? *c : 0;
    }
    outcome set_up(media_manager& mm, session_id id, uint8_t key = 0x11) {
        std::string to_core;
        auto st = mm.offer(id, side::a, test::client_offer(test::crypto80(1, key)), to_core);
        EXPECT_TRUE(st) << st.message();
        outcome o;
        mm.answer(id, side::b, test::osv_sdp(), [&o](const status& s, const std::string& b) {
            o.called = true;
            o.st = s;
            o.body = b;
        });
        EXPECT_TRUE(dp_.pump(mm, [&] { return o.called; }));
        return o;
    }
    std::vector<nlohmann::json> records() {
        std::vector<nlohmann::json> out;
        std::ifstream f(cdr_);
        std::string line;
        while (std::getline(f, line)) {
            out.push_back(nlohmann::json::parse(line));
        }
        return out;
    }

    config::appliance cfg_;
    std::string cdr_;
    test::live_dataplane dp_;
};

}  // namespace

TEST_F(manager_test, answer_is_released_only_after_both_flows_are_acknowledged) {
    auto mm = manager();
    const auto id = new_call(*mm);
    std::string to_core;
    ASSERT_TRUE(mm->offer(id, side::a, test::client_offer(test::crypto80(1, 0x11)), to_core));
    EXPECT_EQ(dp_.client.flows_installed(), 0u) << "an offer programs nothing";
    outcome o;
    mm->answer(id, side::b, test::osv_sdp(), [&o](const status& s, const std::string& b) {
        o.called = true;
        o.st = s;
        o.body = b;
    });
    EXPECT_FALSE(o.called) << "not before the dataplane acknowledged";
    EXPECT_EQ(mm->programming(), 1u);
    ASSERT_TRUE(dp_.pump(*mm, [&] { return o.called; }));
    ASSERT_TRUE(o.st) << o.st.message();
    EXPECT_TRUE(test::contains(o.body, "m=audio 40000 RTP/SAVP 0 101"));
    EXPECT_EQ(dp_.client.flows_installed(), 2u);
    const auto* s = mm->find(id);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->media_up());
    auto fa = dp_.client.flow_counters(s->get(side::a).key);
    auto fb = dp_.client.flow_counters(s->get(side::b).key);
    ASSERT_TRUE(fa && fb);
    EXPECT_EQ(fa->cookie, s->get(side::a).cookie);
    EXPECT_EQ(fb->cookie, s->get(side::b).cookie);
    EXPECT_EQ(mm->counters().flows_programmed, 2u);
    auto j = mm->session_json(id);
    EXPECT_EQ(j["legs"][0]["local"], "10.1.1.1:40000");
    EXPECT_EQ(j["legs"][0]["protocol"], "srtp");
    EXPECT_EQ(j["legs"][0]["suite"], "AES_CM_128_HMAC_SHA1_80");
    EXPECT_EQ(j["legs"][1]["protocol"], "rtp");
    EXPECT_EQ(j["legs"][1]["peer"], "198.51.100.20:30000");
}

TEST_F(manager_test, refused_offer_programs_nothing_and_ends_cleanly) {
    auto mm = manager();
    const auto id = new_call(*mm);
    std::string out;
    auto st = mm->offer(id, side::a, test::client_offer("", "", "RTP/AVP"), out);
    EXPECT_EQ(st.sip_status(), 488);
    call_summary sum;
    sum.call_id = "abc@client";
    sum.final_status = 488;
    sum.end_reason = "offer refused";
    mm->end(id, sum);
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 0u);
    EXPECT_EQ(dp_.client.commands_done(), 0u) << "not even a delete";
    EXPECT_EQ(mm->active(), 0u);
    EXPECT_EQ(mm->counters_json()["refused"]["crypto_required"], 1);
    auto recs = records();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0]["final_status"], 488);
    EXPECT_EQ(recs[0]["call_id"], "abc@client");
}

TEST_F(manager_test, end_removes_flows_frees_ports_and_writes_one_record) {
    auto mm = manager();
    const auto id = new_call(*mm);
    ASSERT_TRUE(set_up(*mm, id).st);
    call_summary sum;
    sum.call_id = "c1@client";
    sum.from = "sip:alice@pbx.local";
    sum.to = "sip:bob@pbx.local";
    sum.direction = "access->core";
    sum.final_status = 200;
    sum.answered = std::chrono::system_clock::now() - 2s;
    sum.end_reason = "bye from a";
    mm->end(id, sum);
    mm->end(id, sum);  // idempotent
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 0u);
    EXPECT_EQ(mm->active(), 0u);
    EXPECT_EQ(mm->counters_json()["ports"]["access"]["used"], 0);
    EXPECT_EQ(mm->counters_json()["ports"]["core"]["used"], 0);
    auto recs = records();
    ASSERT_EQ(recs.size(), 1u);
    const auto& r = recs[0];
    EXPECT_EQ(r["from"], "sip:alice@pbx.local");
    EXPECT_EQ(r["end_reason"], "bye from a");
    EXPECT_GE(r["duration_s"].get<double>(), 2.0);
    ASSERT_EQ(r["legs"].size(), 2u);
    EXPECT_EQ(r["legs"][0]["protocol"], "srtp");
    EXPECT_EQ(r["legs"][0]["local"], "10.1.1.1:40000");
    EXPECT_EQ(r["legs"][1]["local"], "10.2.1.1:50000");
    EXPECT_TRUE(r["legs"][0].contains("rx_packets"));
    EXPECT_TRUE(r["legs"][0].contains("srtp_failures"));
}

TEST_F(manager_test, renegotiation_updates_the_same_flows_and_counts_a_rekey) {
    auto mm = manager();
    const auto id = new_call(*mm);
    ASSERT_TRUE(set_up(*mm, id, 0x11).st);
    const auto key_a = mm->find(id)->get(side::a).key;
    auto o = set_up(*mm, id, 0x55);
    ASSERT_TRUE(o.st) << o.st.message();
    EXPECT_TRUE(test::contains(o.body, "m=audio 40000 "));
    EXPECT_EQ(dp_.client.flows_installed(), 2u);
    EXPECT_TRUE(mm->find(id)->get(side::a).key == key_a);
    EXPECT_EQ(mm->counters().rekeys, 1u);
    EXPECT_EQ(mm->counters().flows_programmed, 4u);
}

TEST_F(manager_test, nack_fails_the_answer_and_leaves_no_flow) {
    cfg_.realm.core.media_address = "10.2.9.9";  // not a media address of the dataplane
    auto mm = manager();
    const auto id = new_call(*mm);
    auto o = set_up(*mm, id);
    ASSERT_TRUE(o.called);
    EXPECT_EQ(o.st.code, errc::programming_failed);
    EXPECT_TRUE(test::contains(o.st.message(), "not a media address")) << o.st.message();
    EXPECT_TRUE(o.body.empty());
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 0u) << "the acked leg was removed again";
    EXPECT_FALSE(mm->find(id)->media_up());
    EXPECT_FALSE(mm->find(id)->offer_pending());
    EXPECT_EQ(mm->counters().nacks, 1u);
}

TEST_F(manager_test, dataplane_that_never_answers_times_out) {
    auto mm = manager();
    const auto id = new_call(*mm);
    std::string to_core;
    ASSERT_TRUE(mm->offer(id, side::a, test::client_offer(test::crypto80(1, 1)), to_core));
    outcome o;
    mm->answer(id, side::b, test::osv_sdp(), [&o](const status& s, const std::string&) {
        o.called = true;
        o.st = s;
    });
    // No events are fed: the acks never reach the manager.
    mm->tick(std::chrono::steady_clock::now() + 1s);
    EXPECT_FALSE(o.called);
    mm->tick(std::chrono::steady_clock::now() + 3s);
    ASSERT_TRUE(o.called);
    EXPECT_EQ(o.st.code, errc::programming_timeout);
    EXPECT_EQ(mm->programming(), 0u);
}

TEST_F(manager_test, detached_dataplane_is_503) {
    auto mm = manager();
    const auto id = new_call(*mm);
    std::string to_core;
    ASSERT_TRUE(mm->offer(id, side::a, test::client_offer(test::crypto80(1, 1)), to_core));
    dp_.client.detach();
    outcome o;
    mm->answer(id, side::b, test::osv_sdp(), [&o](const status& s, const std::string&) {
        o.called = true;
        o.st = s;
    });
    ASSERT_TRUE(o.called);
    EXPECT_EQ(o.st.code, errc::dataplane_unavailable);
    EXPECT_EQ(o.st.sip_status(), 503);
}

TEST_F(manager_test, session_limit_refuses_with_503_but_not_emergency_calls) {
    cfg_.calls.max_sessions = 2;
    auto mm = manager();
    new_call(*mm);
    new_call(*mm);
    EXPECT_TRUE(mm->at_capacity());
    auto c = mm->create(access_leg(), core_leg());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::at_capacity);
    EXPECT_EQ(c.error().sip_status(), 503);
    auto e = mm->create(core_leg(), core_leg(), true);
    EXPECT_TRUE(e);
    EXPECT_EQ(mm->active(), 3u);
}

TEST_F(manager_test, port_exhaustion_is_503_and_returns_the_other_port) {
    cfg_.realm.access.media_port_min = 40000;
    cfg_.realm.access.media_port_max = 40003;  // two legs' worth
    cfg_.calls.emergency_port_reserve = 0;
    auto mm = manager();
    new_call(*mm);
    new_call(*mm);
    auto c = mm->create(access_leg(), core_leg());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::no_ports);
    EXPECT_EQ(mm->counters_json()["ports"]["core"]["used"], 2) << "the core port went back";
}

// calls.emergency_port_reserve: the pools' last ports are left to emergency calls (issue 13).
TEST_F(manager_test, an_emergency_call_takes_the_port_reserve_an_ordinary_call_cannot) {
    cfg_.calls.emergency_port_reserve = 1;
    cfg_.realm.access.media_port_min = 40000;
    cfg_.realm.access.media_port_max = 40003;  // two legs: one ordinary, one reserved
    auto mm = manager();
    new_call(*mm);
    const auto refused = mm->create(access_leg(), core_leg());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, errc::no_ports);
    EXPECT_TRUE(test::contains(refused.error().message(), "calls.emergency_port_reserve"))
        << refused.error().message();
    ASSERT_TRUE(mm->create(access_leg(), core_leg(), true));
    EXPECT_EQ(mm->counters_json()["ports"]["access"]["used"], 2);
}

TEST_F(manager_test, latched_and_ssrc_events_update_the_call) {
    auto mm = manager();
    const auto id = new_call(*mm);
    ASSERT_TRUE(set_up(*mm, id).st);
    const auto& l = mm->find(id)->get(side::a);
    cp::dp_event ev;
    ev.raw.type = shm::event_type::latched;
    ev.raw.key = l.key;
    ev.raw.cookie = l.cookie;
    ev.raw.addr = shm::make_endpoint(shm::ipv4(0xcb007107), 61000);
    mm->on_event(ev);
    ev.raw.type = shm::event_type::ssrc_changed;
    ev.raw.ssrc = 0xabcdef;
    mm->on_event(ev);
    ev.raw.type = shm::event_type::auth_fail_burst;
    mm->on_event(ev);
    // An event whose key does not match the cookie's leg is ignored.
    ev.raw.type = shm::event_type::latched;
    ev.raw.key = mm->find(id)->get(side::b).key;
    mm->on_event(ev);
    auto j = mm->session_json(id);
    EXPECT_EQ(j["legs"][0]["latched"], "203.0.113.7:61000");
    EXPECT_EQ(j["legs"][0]["ssrc"], 0xabcdef);
    EXPECT_EQ(j["legs"][0]["auth_fail_bursts"], 1);
    EXPECT_FALSE(j["legs"][1].contains("latched"));
    EXPECT_EQ(mm->counters().latch_events, 1u);
}

TEST_F(manager_test, silent_call_times_out_but_a_held_one_does_not) {
    auto mm = manager();
    std::vector<session_id> timed_out;
    mm->on_media_timeout([&](session_id id) { timed_out.push_back(id); });
    const auto active = new_call(*mm);
    ASSERT_TRUE(set_up(*mm, active).st);
    const auto held = new_call(*mm);
    ASSERT_TRUE(set_up(*mm, held).st);
    std::string out;
    ASSERT_TRUE(mm->offer(held, side::b, test::osv_sdp("sendonly"), out));
    outcome o;
    std::string hold_answer = test::client_offer(test::crypto80(1, 0x11));
    hold_answer.replace(hold_answer.find("a=sendrecv"), 10, "a=recvonly");
    mm->answer(held, side::a, hold_answer, [&o](const status& s, const std::string&) {
        o.called = true;
        o.st = s;
    });
    ASSERT_TRUE(dp_.pump(*mm, [&] { return o.called; }));
    ASSERT_TRUE(o.st);
    ASSERT_TRUE(mm->find(held)->held());

    mm->tick(std::chrono::steady_clock::now() + 30s);
    EXPECT_TRUE(timed_out.empty());
    mm->tick(std::chrono::steady_clock::now() + 61s);
    ASSERT_EQ(timed_out.size(), 1u);
    EXPECT_EQ(timed_out[0], active);
    mm->tick(std::chrono::steady_clock::now() + 120s);
    EXPECT_EQ(timed_out.size(), 1u) << "reported once";
    EXPECT_EQ(mm->counters().media_timeouts, 1u);
}

TEST_F(manager_test, replay_reinstalls_every_call_after_a_dataplane_restart) {
    auto mm = manager();
    const auto id = new_call(*mm);
    ASSERT_TRUE(set_up(*mm, id).st);
    // What a restarted dataplane looks like: an empty flow table.
    for (const auto& k : mm->find(id)->installed_keys()) {
        auto r = dp_.client.flow_del(k);
        ASSERT_TRUE(dp_.client.wait_for(r.seq, 5s).has_value());
    }
    ASSERT_EQ(dp_.client.flows_installed(), 0u);
    mm->replay();
    dp_.settle(*mm);
    EXPECT_EQ(dp_.client.flows_installed(), 2u);
    EXPECT_EQ(mm->counters().replays, 1u);
}
