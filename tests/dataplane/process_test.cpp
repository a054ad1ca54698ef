// sbc-dataplane as a process: clean stop on SIGTERM/SIGINT, nothing left behind, one-line
// errors and exit code 2 for bad settings.

#include <gtest/gtest.h>

#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "tests/dataplane/support/dp_process.hpp"

using namespace sbc;
using namespace std::chrono_literals;

namespace {

int run_to_exit(const std::vector<std::string>& args, std::string& log) {
    test::dp_process p;
    const std::string path = "/tmp/" + test::unique_instance("bad") + ".log";
    EXPECT_TRUE(p.start(args, path));
    const int rc = p.wait_exit(20s);
    log = p.log();
    return rc;
}

int count_lines_with(const std::string& text, const std::string& what) {
    int n = 0;
    size_t pos = 0;
    while ((pos = text.find(what, pos)) != std::string::npos) {
        ++n;
        pos += what.size();
    }
    return n;
}

}  // namespace

TEST(dataplane_process, sigterm_stops_cleanly_and_leaves_nothing_behind) {
    const std::string inst = test::unique_instance("term");
    test::dp_process p;
    auto args = test::base_args(inst);
    args.insert(args.end(),
                {"--vdev", "net_null0", "--vdev", "net_ring0", "--media", "0,10.1.0.1"});
    ASSERT_TRUE(p.start(args, "/tmp/" + inst + ".log"));
    cp::dataplane_client c;
    auto st = c.attach_with_retry(inst, {5ms, 100ms, 20s}, cp::attach_mode::observer);
    ASSERT_TRUE(st) << st.message << p.log();
    EXPECT_EQ(c.ports().size(), 2u);
    EXPECT_TRUE(test::path_exists("/dev/shm/sbc-" + inst));
    EXPECT_TRUE(test::path_exists("/var/run/dpdk/sbc-" + inst));
    EXPECT_EQ(p.stop(), 0) << p.log();
    EXPECT_TRUE(c.dataplane_restarted());  // the region is gone
    c.detach();
    EXPECT_FALSE(test::path_exists("/dev/shm/sbc-" + inst));
    EXPECT_FALSE(test::path_exists("/var/run/dpdk/sbc-" + inst));
    EXPECT_NE(p.log().find("stopped"), std::string::npos) << p.log();
}

TEST(dataplane_process, sigint_with_workers_0_stops_cleanly) {
    const std::string inst = test::unique_instance("int");
    test::dp_process p;
    ASSERT_TRUE(p.start({"--instance", inst, "--workers", "0", "--vdev", "net_null0", "--max-flows",
                         "64", "--mbuf-pool-size", "1024"},
                        "/tmp/" + inst + ".log"));
    cp::dataplane_client c;
    ASSERT_TRUE(c.attach_with_retry(inst, {5ms, 100ms, 20s}));
    EXPECT_TRUE(c.alive(2000ms));
    c.detach();
    kill(p.pid(), SIGINT);
    EXPECT_EQ(p.wait_exit(10s), 0) << p.log();
    EXPECT_FALSE(test::path_exists("/dev/shm/sbc-" + inst));
    EXPECT_FALSE(test::path_exists("/var/run/dpdk/sbc-" + inst));
}

TEST(dataplane_process, two_workers_on_shared_cpus_start_and_stop) {
    // Three lcores on this machine's two CPUs (EAL lcore mapping): main + two workers, each
    // with its own queue pair on every port and a hand-off ring.
    const std::string inst = test::unique_instance("two");
    test::dp_process p;
    ASSERT_TRUE(
        p.start({"--instance", inst, "--workers", "2", "--eal=--no-huge", "--eal=-m", "--eal=512",
                 "--eal=--no-pci", "--eal=--lcores=0@0,1@1,2@1", "--vdev", "net_null0",
                 "--idle-sleep-us", "200", "--max-flows", "64", "--mbuf-pool-size", "4096"},
                "/tmp/" + inst + ".log"));
    cp::dataplane_client c;
    auto st = c.attach_with_retry(inst, {5ms, 100ms, 20s}, cp::attach_mode::observer);
    ASSERT_TRUE(st) << st.message << p.log();
    EXPECT_EQ(c.lcores().size(), 2u);
    EXPECT_EQ(c.header()->worker_count, 2u);
    c.detach();
    EXPECT_EQ(p.stop(), 0) << p.log();
    EXPECT_FALSE(test::path_exists("/dev/shm/sbc-" + inst));
    EXPECT_FALSE(test::path_exists("/var/run/dpdk/sbc-" + inst));
}

TEST(dataplane_process, bad_settings_exit_2_with_one_line_naming_the_setting) {
    struct bad_case {
        std::vector<std::string> args;
        std::string expect;
    };
    const std::string inst = test::unique_instance("bad");
    const std::vector<bad_case> cases = {
        {{"--instance", inst, "--burst", "0"}, "dataplane.burst"},
        {{"--instance", inst, "--cmd-ring-size", "1000"}, "dataplane.cmd_ring_size"},
        {{"--instance", inst, "--srtp-engine", "openssl"}, "--srtp-engine"},
        {{"--instance", "bad/name"}, "instance"},
        {{"--instance", inst, "--media", "0,not-an-ip"}, "--media"},
        {{"--instance", inst, "--neighbour", "0,10.0.0.1,zz:00:00:00:00:00"}, "--neighbour"},
        {{"--instance", inst, "--no-such-flag"}, "no-such-flag"},
    };
    for (const auto& c : cases) {
        std::string log;
        EXPECT_EQ(run_to_exit(c.args, log), 2) << log;
        EXPECT_EQ(count_lines_with(log, "sbc-dataplane: "), 1) << log;
        EXPECT_NE(log.find(c.expect), std::string::npos) << log;
    }
    EXPECT_FALSE(test::path_exists("/dev/shm/sbc-" + inst));
}

TEST(dataplane_process, startup_failures_exit_1_and_clean_up) {
    const std::string inst = test::unique_instance("fail");
    std::string log;
    // A media address on a port that was not probed.
    EXPECT_EQ(run_to_exit({"--instance", inst, "--vdev", "net_null0", "--media", "3,10.0.0.1",
                           "--max-flows", "64", "--mbuf-pool-size", "1024"},
                          log),
              1)
        << log;
    EXPECT_NE(log.find("dpdk_port 3 does not exist"), std::string::npos) << log;
    EXPECT_FALSE(test::path_exists("/dev/shm/sbc-" + inst));
    EXPECT_FALSE(test::path_exists("/var/run/dpdk/sbc-" + inst));
    // More workers than the machine has CPUs.
    EXPECT_EQ(run_to_exit({"--instance", inst, "--workers", "15"}, log), 1) << log;
    EXPECT_NE(log.find("dataplane.workers"), std::string::npos) << log;
    // A bad EAL device.
    EXPECT_EQ(run_to_exit({"--instance", inst, "--vdev", "net_nonexistent0", "--max-flows", "64",
                           "--mbuf-pool-size", "1024"},
                          log),
              1)
        << log;
    EXPECT_NE(log.find("EAL init failed"), std::string::npos) << log;
    EXPECT_FALSE(test::path_exists("/dev/shm/sbc-" + inst));
    EXPECT_FALSE(test::path_exists("/var/run/dpdk/sbc-" + inst));
}
