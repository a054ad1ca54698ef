// dataplane_client against a live sbc-dataplane (one net_null port, no traffic), plus the
// ring and attach rules on regions the test makes itself.

#include "controlplane/dataplane_client/dataplane_client.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <thread>

#include "tests/dataplane/support/dp_process.hpp"

using namespace sbc;
using namespace std::chrono_literals;
using cp::dataplane_client;
using cp::dp_errc;

namespace {

shm::flow_spec rtp_leg(uint16_t port, uint16_t partner_port) {
    shm::flow_spec s{};
    s.key = shm::make_flow_key(0, shm::ipv4(0x0a000001), port);
    s.partner = shm::make_flow_key(0, shm::ipv4(0x0a000001), partner_port);
    s.peer = shm::make_endpoint(shm::ipv4(0x0a000002), 40000);
    s.protocol = shm::media_protocol::rtp;
    s.latch = shm::latch_policy::sdp_address;
    s.cookie = port;
    return s;
}

class live_dataplane : public ::testing::Test {
  protected:
    void SetUp() override {
        instance_ = test::unique_instance("cl");
        auto args = test::base_args(instance_);
        args.insert(args.end(), {"--vdev", "net_null0", "--media", "0,10.0.0.1/24"});
        ASSERT_TRUE(proc_.start(args, "/tmp/" + instance_ + ".log"));
        cp::retry_policy p;
        p.deadline = 20s;
        auto st = client_.attach_with_retry(instance_, p);
        ASSERT_TRUE(st) << st.message << "\n" << proc_.log();
    }
    void TearDown() override {
        client_.detach();
        EXPECT_EQ(proc_.stop(), 0) << proc_.log();
    }

    cp::dp_event reply(const cp::submit_result& r) {
        EXPECT_TRUE(r.ok()) << cp::to_string(r.error);
        auto ev = client_.wait_for(r.seq, 5s);
        EXPECT_TRUE(ev.has_value()) << "no reply to seq " << r.seq;
        return ev.value_or(cp::dp_event{});
    }

    std::string instance_;
    test::dp_process proc_;
    dataplane_client client_;
};

}  // namespace

TEST(dataplane_client_attach, missing_region_is_a_clear_error) {
    dataplane_client c;
    auto st = c.attach("no-such-instance-" + std::to_string(getpid()));
    EXPECT_EQ(st.code, dp_errc::missing);
    EXPECT_NE(st.message.find("is sbc-dataplane running"), std::string::npos) << st.message;
    EXPECT_FALSE(c.attached());
    EXPECT_EQ(c.flow_del(shm::flow_key{}).error, dp_errc::not_attached);
}

TEST(dataplane_client_attach, wrong_version_is_refused_with_the_version_message) {
    const std::string inst = test::unique_instance("ver");
    std::string err;
    auto r = shm::region::create(inst, {}, err);
    ASSERT_TRUE(r.valid()) << err;
    r.header().version = shm::contract_version + 41;
    r.header().state.store(static_cast<uint32_t>(shm::dataplane_state::running));
    dataplane_client c;
    auto st = c.attach(inst);
    EXPECT_EQ(st.code, dp_errc::version_mismatch);
    EXPECT_NE(st.message.find("version mismatch"), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("has version " + std::to_string(shm::contract_version + 41)),
              std::string::npos)
        << st.message;
    EXPECT_NE(st.message.find("speaks version " + std::to_string(shm::contract_version)),
              std::string::npos)
        << st.message;
    // Retrying does not help a version mismatch: it returns at once.
    auto st2 = c.attach_with_retry(inst, {1ms, 1ms, 5s});
    EXPECT_EQ(st2.code, dp_errc::version_mismatch);
}

TEST(dataplane_client_attach, starting_region_is_not_running_and_retry_times_out) {
    const std::string inst = test::unique_instance("start");
    std::string err;
    auto r = shm::region::create(inst, {}, err);  // state stays `starting`
    ASSERT_TRUE(r.valid()) << err;
    dataplane_client c;
    EXPECT_EQ(c.attach(inst).code, dp_errc::not_running);
    auto st = c.attach_with_retry(inst, {1ms, 4ms, 50ms});
    EXPECT_EQ(st.code, dp_errc::timeout);
    EXPECT_NE(st.message.find("not running"), std::string::npos) << st.message;
}

TEST(dataplane_client_attach, full_command_ring_is_an_error_value_not_a_hang) {
    const std::string inst = test::unique_instance("full");
    std::string err;
    shm::region_sizes sizes;
    sizes.cmd_ring_capacity = 16;
    auto r = shm::region::create(inst, sizes, err);  // nobody consumes
    ASSERT_TRUE(r.valid()) << err;
    r.header().state.store(static_cast<uint32_t>(shm::dataplane_state::running));
    dataplane_client c;
    ASSERT_TRUE(c.attach(inst));
    uint64_t last = 0;
    for (int i = 0; i < 16; ++i) {
        auto res = c.snapshot();
        ASSERT_TRUE(res.ok()) << i;
        EXPECT_GT(res.seq, last);
        last = res.seq;
    }
    EXPECT_EQ(c.free_command_slots(), 0u);
    auto res = c.flow_del(shm::flow_key{});
    EXPECT_EQ(res.error, dp_errc::ring_full);
    EXPECT_EQ(c.pending(), 16u);
    // Nothing answers: wait_for gives up at its deadline.
    EXPECT_FALSE(c.wait_for(last, 20ms).has_value());
}

TEST(dataplane_client_attach, second_controller_process_is_refused_observer_allowed) {
    const std::string inst = test::unique_instance("busy");
    std::string err;
    auto r = shm::region::create(inst, {}, err);
    ASSERT_TRUE(r.valid()) << err;
    r.header().state.store(static_cast<uint32_t>(shm::dataplane_state::running));
    dataplane_client c;
    ASSERT_TRUE(c.attach(inst));
    const pid_t child = fork();
    if (child == 0) {
        dataplane_client other;
        const auto st = other.attach(inst);
        dataplane_client observer;
        const auto ob = observer.attach(inst, cp::attach_mode::observer);
        const bool observer_cannot_command = observer.snapshot().error == dp_errc::not_controller;
        _exit(st.code == dp_errc::controller_busy && ob && observer_cannot_command ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    c.detach();
    EXPECT_EQ(r.header().controller_pid.load(), 0);
}

TEST(dataplane_client_attach, attach_before_start_retries_then_succeeds) {
    const std::string inst = test::unique_instance("early");
    dataplane_client c;
    test::dp_process proc;
    // The client retries on a second thread; the dataplane is started from this one, which
    // outlives it (dp_process's child dies with the thread that started it: PR_SET_PDEATHSIG).
    cp::dp_status st;
    std::thread attacher([&] { st = c.attach_with_retry(inst, {5ms, 100ms, 20s}); });
    std::this_thread::sleep_for(300ms);
    auto args = test::base_args(inst);
    args.insert(args.end(), {"--vdev", "net_null0"});
    const bool started = proc.start(args, "/tmp/" + inst + ".log");
    attacher.join();
    ASSERT_TRUE(started);
    EXPECT_TRUE(st) << st.message << proc.log();
    EXPECT_TRUE(c.alive(2000ms));
    EXPECT_EQ(c.dataplane_pid(), proc.pid());
    c.detach();
    EXPECT_EQ(proc.stop(), 0) << proc.log();
}

TEST_F(live_dataplane, flow_add_is_acked_with_a_slot_and_idempotent_with_exist_ok) {
    const auto a = rtp_leg(20000, 20002);
    auto ev = reply(client_.flow_add(a));
    EXPECT_EQ(ev.raw.type, shm::event_type::ack) << ev.nack_text();
    EXPECT_TRUE(ev.matched);
    EXPECT_EQ(ev.command, shm::command_type::flow_add);
    EXPECT_EQ(ev.raw.cookie, 20000u);
    EXPECT_LT(ev.raw.slot, 1024u);

    ev = reply(client_.flow_add(a));
    EXPECT_EQ(ev.raw.type, shm::event_type::nack);
    EXPECT_EQ(ev.raw.reason, shm::nack_reason::exists);

    ev = reply(client_.flow_add(a, shm::exist_ok));
    EXPECT_EQ(ev.raw.type, shm::event_type::ack);

    auto fc = client_.flow_counters(a.key);
    ASSERT_TRUE(fc.has_value());
    EXPECT_EQ(fc->cookie, 20000u);
    EXPECT_EQ(client_.flows_installed(), 1u);
}

TEST_F(live_dataplane, update_and_delete_of_missing_flows) {
    const auto a = rtp_leg(20010, 20012);
    auto ev = reply(client_.flow_update(a));
    EXPECT_EQ(ev.raw.type, shm::event_type::nack);
    EXPECT_EQ(ev.raw.reason, shm::nack_reason::missing);
    ev = reply(client_.flow_update(a, shm::missing_ok));
    EXPECT_EQ(ev.raw.type, shm::event_type::ack);
    ev = reply(client_.flow_del(a.key));
    EXPECT_EQ(ev.raw.reason, shm::nack_reason::missing);
    ev = reply(client_.flow_del(a.key, shm::missing_ok));
    EXPECT_EQ(ev.raw.type, shm::event_type::ack);

    ASSERT_EQ(reply(client_.flow_add(a)).raw.type, shm::event_type::ack);
    auto upd = a;
    upd.peer.port = 40002;
    upd.cookie = 777;
    ev = reply(client_.flow_update(upd));
    EXPECT_EQ(ev.raw.type, shm::event_type::ack);
    EXPECT_EQ(ev.raw.cookie, 777u);
    ev = reply(client_.flow_del(a.key));
    EXPECT_EQ(ev.raw.type, shm::event_type::ack);
    EXPECT_FALSE(client_.flow_counters(a.key).has_value());
}

TEST_F(live_dataplane, invalid_flows_are_nacked_with_the_reason) {
    auto bad_port = rtp_leg(20020, 20022);
    bad_port.key.dpdk_port = 5;
    EXPECT_EQ(reply(client_.flow_add(bad_port)).raw.reason, shm::nack_reason::bad_port);

    auto bad_addr = rtp_leg(20020, 20022);
    bad_addr.key.local_addr = shm::ipv4(0x0a000063);
    EXPECT_EQ(reply(client_.flow_add(bad_addr)).raw.reason, shm::nack_reason::bad_address);

    auto v6 = rtp_leg(20020, 20022);
    ASSERT_TRUE(shm::parse_ip("2001:db8::1", v6.key.local_addr));
    EXPECT_EQ(reply(client_.flow_add(v6)).raw.reason, shm::nack_reason::unsupported_family);

    auto bad_key = rtp_leg(20020, 20022);
    bad_key.protocol = shm::media_protocol::srtp;
    bad_key.rx.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    bad_key.rx.master_key_len = 7;
    bad_key.rx.master_salt_len = 14;
    bad_key.tx = bad_key.rx;
    EXPECT_EQ(reply(client_.flow_add(bad_key)).raw.reason, shm::nack_reason::bad_key);

    auto port0 = rtp_leg(0, 20022);
    EXPECT_EQ(reply(client_.flow_add(port0)).raw.reason, shm::nack_reason::bad_spec);

    shm::command unknown{};
    unknown.type = static_cast<shm::command_type>(99);
    EXPECT_EQ(reply(client_.submit(unknown)).raw.reason, shm::nack_reason::unknown_command);

    shm::mac_address mac{2, 0, 0, 0, 0, 9};
    EXPECT_EQ(reply(client_.neigh_set(0, shm::ipv4(0x0a000009), mac)).raw.type,
              shm::event_type::ack);
    EXPECT_EQ(reply(client_.neigh_set(6, shm::ipv4(0x0a000009), mac)).raw.reason,
              shm::nack_reason::bad_port);
    EXPECT_EQ(client_.flows_installed(), 0u);
}

TEST_F(live_dataplane, snapshot_reports_every_flow_then_the_end) {
    for (uint16_t p : {20100, 20102, 20104}) {
        ASSERT_EQ(reply(client_.flow_add(rtp_leg(p, static_cast<uint16_t>(p + 100)))).raw.type,
                  shm::event_type::ack);
    }
    auto snap = client_.snapshot();
    ASSERT_TRUE(snap.ok());
    std::vector<cp::dp_event> flows;
    std::optional<cp::dp_event> end;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!end && std::chrono::steady_clock::now() < deadline) {
        for (auto& e : client_.poll_events()) {
            if (e.raw.type == shm::event_type::snapshot_flow) {
                flows.push_back(e);
            } else if (e.raw.type == shm::event_type::snapshot_end) {
                end = e;
            }
        }
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(end.has_value());
    EXPECT_TRUE(end->matched);
    EXPECT_EQ(end->command, shm::command_type::snapshot);
    EXPECT_EQ(end->raw.count, 3u);
    ASSERT_EQ(flows.size(), 3u);
    for (const auto& f : flows) {
        EXPECT_EQ(f.raw.seq, snap.seq);
        EXPECT_EQ(f.raw.addr.port, 40000);  // nothing latched: the SDP peer
    }
}

TEST_F(live_dataplane, liveness_and_counters) {
    auto age = client_.heartbeat_age();
    ASSERT_TRUE(age.has_value());
    EXPECT_TRUE(client_.alive(2000ms));
    EXPECT_EQ(client_.state(), shm::dataplane_state::running);
    EXPECT_EQ(client_.dataplane_pid(), proc_.pid());
    auto ports = client_.ports();
    ASSERT_EQ(ports.size(), 1u);
    EXPECT_EQ(client_.lcores().size(), 1u);
    EXPECT_FALSE(client_.dataplane_restarted());
    EXPECT_EQ(client_.events_lost(), 0u);
}

TEST_F(live_dataplane, many_commands_all_answered_in_order) {
    std::vector<uint64_t> seqs;
    for (uint16_t i = 0; i < 400; ++i) {
        auto leg =
            rtp_leg(static_cast<uint16_t>(30000 + 2 * i), static_cast<uint16_t>(31000 + 2 * i));
        for (int attempt = 0; attempt < 10000; ++attempt) {
            auto r = client_.flow_add(leg);
            if (r.ok()) {
                seqs.push_back(r.seq);
                break;
            }
            ASSERT_EQ(r.error, dp_errc::ring_full);
            std::this_thread::sleep_for(100us);
        }
    }
    ASSERT_EQ(seqs.size(), 400u);
    std::vector<uint64_t> acked;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (acked.size() < seqs.size() && std::chrono::steady_clock::now() < deadline) {
        for (auto& e : client_.poll_events()) {
            if (e.raw.type == shm::event_type::ack) {
                acked.push_back(e.raw.seq);
            }
        }
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(acked, seqs);
    EXPECT_EQ(client_.pending(), 0u);
    EXPECT_EQ(client_.flows_installed(), 400u);
}
