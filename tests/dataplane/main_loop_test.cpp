// The main lcore's control loop without the EAL (issue 12): commands applied in order and
// acknowledged, events kept in a backlog while sbcd's ring is full, workers' notices consumed or
// forwarded, the slow tick, the heartbeat, the running/stopping states, and when it sleeps:
// a control-only main lcore after 64 empty loops; a polling one (workers = 0) only once its
// ports have been quiet for the ring's fill time (core/idle_policy.hpp). Clock, port poll and
// sleep are the test's own.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <vector>

#include "dataplane/core/idle_policy.hpp"
#include "dataplane/core/main_loop.hpp"
#include "dataplane/core/notices.hpp"
#include "tests/dataplane/support/path_harness.hpp"

using namespace sbc;
using namespace sbc::test;

namespace {

template <typename T>
struct ring_storage {
    explicit ring_storage(uint32_t capacity)
        : mem(new uint64_t[(shm::spsc_ring<T>::bytes_for(capacity) + 7) / 8]),
          ring(shm::spsc_ring<T>::format(mem.get(), capacity)) {}
    std::unique_ptr<uint64_t[]> mem;
    shm::spsc_ring<T> ring;
};

constexpr uint64_t hz = 1'000'000'000;  // the test clock counts nanoseconds

struct fixture {
    explicit fixture(uint32_t workers = 1, uint64_t quiet_tsc = 0, uint32_t event_capacity = 64,
                     size_t max_backlog = 1024)
        : s(harness::make_params(256, srtp::engine_kind::ipsecmb)),
          t(s, 1, nullptr),
          ctr(std::make_unique<shm::counters_block>()),
          header(std::make_unique<shm::region_header>()),
          commands(256),
          events(event_capacity),
          notices(64),
          out(events.ring, *ctr, max_backlog),
          ctl(t, [this](const shm::event& e) { out.emit(e); }) {
        t.tsc_hz = hz;
        for (int p = 0; p < 2; ++p) {
            t.ports[p].present = true;
            t.ports[p].mac = port_mac[p];
        }
        dp::main_loop_params p;
        p.workers = workers;
        p.tsc_hz = hz;
        p.idle_sleep_us = 100;
        p.quiet_tsc = quiet_tsc;
        dp::main_loop_hooks h;
        h.now_tsc = [this] { return clock; };
        h.monotonic_ns = [this] {
            ++steps;
            return clock + 7;
        };
        h.report_ports = [this] { ++reports; };
        h.poll_ports = [this] { return polled(); };
        h.sleep_us = [this](uint32_t us) {
            sleeps.push_back(clock);
            clock += us * 1000ull;
            if (on_sleep) {
                on_sleep();
            }
        };
        loop = std::make_unique<dp::main_loop>(t, ctl, out, commands.ring, *ctr, *header,
                                               std::vector{&notices.ring}, p, std::move(h));
    }

    uint32_t polled() {
        ++polls;
        clock += poll_cost;
        return traffic_until > clock ? 4 : 0;
    }

    void push_add(uint16_t port, uint32_t seq) {
        shm::command c{};
        c.type = shm::command_type::flow_add;
        c.seq = seq;
        c.flow = make_leg(0, access_ip, port, 0, access_ip, static_cast<uint16_t>(port + 2),
                          access_peer, 40000, shm::media_protocol::rtp);
        ASSERT_TRUE(commands.ring.push(c));
    }

    std::vector<shm::event> take_events() {
        std::vector<shm::event> evs;
        shm::event e;
        while (events.ring.pop(e)) {
            evs.push_back(e);
        }
        return evs;
    }

    dp::table_params s;
    dp::tables t;
    std::unique_ptr<shm::counters_block> ctr;
    std::unique_ptr<shm::region_header> header;
    ring_storage<shm::command> commands;
    ring_storage<shm::event> events;
    ring_storage<shm::event> notices;
    dp::event_out out;
    dp::control ctl;
    std::unique_ptr<dp::main_loop> loop;
    uint64_t clock = 1'000'000;
    uint64_t traffic_until = 0;
    uint32_t reports = 0, polls = 0, steps = 0;
    uint64_t poll_cost = 0;
    std::vector<uint64_t> sleeps;
    std::function<void()> on_sleep;
};

}  // namespace

TEST(main_loop, applies_commands_in_order_and_acks_each) {
    fixture f;
    for (uint32_t i = 0; i < 10; ++i) {
        f.push_add(static_cast<uint16_t>(20000 + 4 * i), 100 + i);
    }
    EXPECT_EQ(f.loop->step(), 10u);
    const auto evs = f.take_events();
    ASSERT_EQ(evs.size(), 10u);
    for (uint32_t i = 0; i < 10; ++i) {
        EXPECT_EQ(evs[i].type, shm::event_type::ack);
        EXPECT_EQ(evs[i].seq, 100 + i);
    }
    EXPECT_EQ(f.ctr->commands_done, 10u);
    EXPECT_EQ(f.ctr->flows_installed, 10u);
    EXPECT_EQ(f.loop->step(), 0u);  // nothing more to do
}

TEST(main_loop, events_wait_in_the_backlog_while_sbcds_ring_is_full) {
    fixture f(1, 0, 16);
    for (uint32_t i = 0; i < 40; ++i) {
        f.push_add(static_cast<uint16_t>(20000 + 4 * i), i + 1);
    }
    f.loop->step();
    std::vector<shm::event> got = f.take_events();
    EXPECT_EQ(got.size(), 16u);
    for (int round = 0; round < 4 && got.size() < 40; ++round) {
        f.loop->step();  // flushes the backlog into the room sbcd made
        const auto more = f.take_events();
        got.insert(got.end(), more.begin(), more.end());
    }
    ASSERT_EQ(got.size(), 40u);
    for (uint32_t i = 0; i < 40; ++i) {
        EXPECT_EQ(got[i].seq, i + 1) << "order kept through the backlog";
    }
    EXPECT_EQ(f.ctr->events_lost, 0u);
}

TEST(main_loop, a_full_backlog_counts_lost_events) {
    fixture f(1, 0, 16, 4);
    for (uint32_t i = 0; i < 30; ++i) {
        f.push_add(static_cast<uint16_t>(20000 + 4 * i), i + 1);
    }
    f.loop->step();
    EXPECT_EQ(f.ctr->events_lost, 30u - 16u - 4u);
}

TEST(main_loop, neighbour_notices_are_consumed_and_events_forwarded) {
    fixture f;
    const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    ASSERT_TRUE(f.notices.ring.push(dp::make_neighbour_notice(0, access_peer + 5, mac)));
    shm::event latched{};
    latched.type = shm::event_type::latched;
    latched.cookie = 77;
    ASSERT_TRUE(f.notices.ring.push(latched));
    EXPECT_EQ(f.loop->step(), 2u);
    shm::mac_address learned{};
    ASSERT_TRUE(f.t.neighbours.lookup(0, access_peer + 5, learned));
    EXPECT_EQ(learned[5], 0x55);
    const auto evs = f.take_events();
    ASSERT_EQ(evs.size(), 1u) << "the notice is internal, the event goes to sbcd";
    EXPECT_EQ(evs[0].type, shm::event_type::latched);
    EXPECT_EQ(evs[0].cookie, 77u);
}

TEST(main_loop, heartbeat_every_step_port_counters_every_100_ms) {
    fixture f;
    f.loop->step();
    EXPECT_EQ(f.header->heartbeat_ns.load(), f.clock + 7);
    EXPECT_EQ(f.reports, 1u);
    for (int i = 0; i < 9; ++i) {
        f.clock += 10'000'000;  // 10 ms
        f.loop->step();
    }
    EXPECT_EQ(f.reports, 1u);  // 90 ms later: not yet
    f.clock += 10'000'000;
    f.loop->step();
    EXPECT_EQ(f.reports, 2u);
    EXPECT_EQ(f.header->heartbeat_ns.load(), f.clock + 7);
}

TEST(main_loop, runs_until_stopped_and_says_so_in_the_header) {
    fixture f;
    std::atomic<bool> stop{false};
    f.on_sleep = [&] {
        EXPECT_EQ(f.header->state.load(), static_cast<uint32_t>(shm::dataplane_state::running));
        stop = true;
    };
    f.loop->run(stop);
    EXPECT_EQ(f.header->state.load(), static_cast<uint32_t>(shm::dataplane_state::stopping));
}

TEST(main_loop, a_control_only_main_lcore_naps_after_64_empty_loops) {
    fixture f(1);
    std::atomic<bool> stop{false};
    f.on_sleep = [&] { stop = true; };
    f.loop->run(stop);
    ASSERT_EQ(f.sleeps.size(), 1u);
    EXPECT_EQ(f.steps, 64u);
    EXPECT_EQ(f.polls, 0u) << "with workers the main lcore never polls the ports";
}

TEST(main_loop, a_polling_main_lcore_never_sleeps_while_media_flows) {
    const uint64_t quiet = 20'000'000;  // the ring fills in 20 ms at the configured rate
    fixture f(0, quiet);
    f.poll_cost = 50'000;                     // each poll takes 50 µs of test time
    f.traffic_until = f.clock + 100'000'000;  // packets on every poll for 100 ms, then silence
    std::atomic<bool> stop{false};
    f.on_sleep = [&] { stop = true; };
    f.loop->run(stop);
    ASSERT_EQ(f.sleeps.size(), 1u);
    EXPECT_GE(f.sleeps.front(), f.traffic_until + quiet - f.poll_cost);
    EXPECT_LE(f.sleeps.front(), f.traffic_until + quiet + 100 * f.poll_cost);
}

TEST(idle_policy, sleeps_only_after_the_quiet_time_since_the_last_packet) {
    dp::idle_policy p(3, 1000);
    p.busy(5000);
    EXPECT_FALSE(p.may_sleep(9000));  // the first empty loops never sleep
    EXPECT_FALSE(p.may_sleep(9000));
    EXPECT_FALSE(p.may_sleep(9000));
    EXPECT_TRUE(p.may_sleep(9000));
    p.busy(10'000);
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(p.may_sleep(10'100));
    }
    EXPECT_FALSE(p.may_sleep(10'999)) << "999 cycles after a packet: the ring may be filling";
    EXPECT_TRUE(p.may_sleep(11'000));
}

TEST(idle_policy, quiet_time_is_the_rings_fill_time) {
    // 2048 frames at 25,000 pps fill in 81.92 ms.
    EXPECT_EQ(dp::ring_fill_tsc(2048, 25'000, 1'000'000'000), 81'920'000u);
    EXPECT_EQ(dp::ring_fill_tsc(2048, 0, 1'000'000'000), 0u);
    // A zero quiet time is the old rule: sleep after the empty loops alone.
    dp::idle_policy p(2, 0);
    p.busy(100);
    EXPECT_FALSE(p.may_sleep(100));
    EXPECT_FALSE(p.may_sleep(100));
    EXPECT_TRUE(p.may_sleep(100));
}
