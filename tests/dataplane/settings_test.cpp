// sbc-dataplane's settings: flags, the appliance config mapping, validation messages.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "dataplane/cli.hpp"
#include "dataplane/config_map.hpp"

using namespace sbc;

namespace {
dp::cli_result parse(std::vector<std::string> args) {
    args.insert(args.begin(), "sbc-dataplane");
    std::vector<const char*> argv;
    argv.reserve(args.size());
    for (auto& a : args) {
        argv.push_back(a.c_str());
    }
    return dp::parse_command_line(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST(dataplane_settings, flags_map_onto_settings) {
    auto r = parse({"--instance", "x1", "--workers", "0", "--srtp-engine", "libsrtp", "--vdev",
                    "net_null0", "--media", "0,10.0.0.1/24,20000-29999", "--neighbour",
                    "0,10.0.0.2,02:00:00:00:00:02", "--gateway", "0,10.0.0.254", "--hold-rx"});
    ASSERT_TRUE(r.error.empty()) << r.error;
    const auto& s = r.values;
    EXPECT_EQ(s.instance, "x1");
    EXPECT_EQ(s.workers, 0u);
    EXPECT_EQ(s.srtp_engine, dp::srtp_engine_kind::libsrtp);
    EXPECT_EQ(s.eal_args.back(), "--vdev=net_null0");
    ASSERT_EQ(s.media.size(), 1u);
    EXPECT_EQ(s.media[0].prefix_len, 24);
    EXPECT_EQ(s.media[0].port_min, 20000);
    ASSERT_EQ(s.neighbours.size(), 1u);
    EXPECT_EQ(s.neighbours[0].mac[5], 2);
    ASSERT_EQ(s.gateways.size(), 1u);
    EXPECT_TRUE(s.hold_rx);
    EXPECT_EQ(dp::validate(s), "");
    auto argv = dp::eal_argv(s, "prog");
    EXPECT_NE(std::find(argv.begin(), argv.end(), "--file-prefix=sbc-x1"), argv.end());
    EXPECT_NE(std::find(argv.begin(), argv.end(), "0"), argv.end());  // -l 0
}

TEST(dataplane_settings, validation_names_the_setting) {
    dp::settings s;
    s.burst = 0;
    EXPECT_NE(dp::validate(s).find("dataplane.burst"), std::string::npos);
    s = {};
    s.evt_ring_size = 3000;
    EXPECT_NE(dp::validate(s).find("dataplane.evt_ring_size"), std::string::npos);
    s = {};
    s.lcores = {0};
    EXPECT_NE(dp::validate(s).find("dataplane.lcores"), std::string::npos);
    s = {};
    s.instance = "has space";
    EXPECT_NE(dp::validate(s).find("instance"), std::string::npos);
    EXPECT_NE(parse({"--media", "0,10.0.0.1/33"}).error.find("--media"), std::string::npos);
    EXPECT_NE(parse({"--srtp-engine", "x"}).error.find("--srtp-engine"), std::string::npos);
}

TEST(dataplane_settings, embedded_default_config_maps_and_flags_override) {
    auto r = parse({"--config", "--instance", "over"});
    ASSERT_TRUE(r.error.empty()) << r.error;
    const auto cfg = config::embedded_default();
    EXPECT_EQ(r.values.instance, "over");
    EXPECT_EQ(r.values.workers, cfg.dataplane.workers);
    EXPECT_EQ(r.values.eal_args, cfg.dataplane.eal_args);
    ASSERT_EQ(r.values.media.size(), 2u);
    EXPECT_EQ(shm::to_string(r.values.media[0].addr), cfg.realm.access.media_address);
    EXPECT_EQ(r.values.media[1].dpdk_port, cfg.realm.core.dpdk_port);
    EXPECT_EQ(dp::validate(r.values), "");
    EXPECT_EQ(r.values.media[0].prefix_len, cfg.realm.access.media_prefix_length);
    EXPECT_TRUE(r.values.gateways.empty());
    auto bad = parse({"--config", "/nonexistent/sbc.toml"});
    EXPECT_NE(bad.error.find("--config"), std::string::npos);
}

namespace sbc::dp {
namespace {

// The realm's media subnet and gateway reach the dataplane: peers outside the subnet go via it.
TEST(dataplane_settings, media_subnet_and_gateway_come_from_the_config) {
    auto cfg = config::embedded_default();
    cfg.realm.core.media_prefix_length = 24;
    cfg.realm.core.media_gateway = "10.2.1.254";
    settings s;
    ASSERT_EQ(settings_from_config(cfg, s), "");
    ASSERT_EQ(s.media.size(), 2u);
    EXPECT_EQ(s.media[1].prefix_len, 24);
    ASSERT_EQ(s.gateways.size(), 1u);
    EXPECT_EQ(s.gateways[0].dpdk_port, cfg.realm.core.dpdk_port);
    EXPECT_EQ(shm::to_string(s.gateways[0].addr), "10.2.1.254");
    EXPECT_EQ(validate(s), "");
}

}  // namespace
}  // namespace sbc::dp

// The media ports' rings (issue 11): sized from the configured load and the stall to absorb,
// printed with their headroom; the vdev strings the EAL gets.
TEST(dataplane_port_plan, rings_are_sized_for_the_load_and_the_stall) {
    auto r = parse({"--port", "af_packet:s-amed", "--port", "af_xdp:s-cmed", "--port",
                    "memif:/run/sbc/m.sock", "--media", "0,10.1.1.1/24,40000-40999",
                    "--rx-stall-ms", "100"});
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(dp::validate(r.values), "");
    const dp::port_plan plan = dp::plan_ports(r.values);
    // 1,000 media ports = 500 legs x 50 pps; 100 ms of that is 2,500 packets.
    EXPECT_EQ(plan.port_pps, 25000u);
    ASSERT_EQ(plan.ports.size(), 3u);
    EXPECT_EQ(plan.ports[0].rx_frames, 4096u);
    EXPECT_EQ(plan.ports[0].vdev,
              "net_af_packet0,iface=s-amed,qpairs=1,blocksz=4096,framesz=2048,framecnt=4096");
    // af_xdp: the PMD's 2,048 fill buffers are what a stall can use.
    EXPECT_EQ(plan.ports[1].rx_frames, 2048u);
    EXPECT_EQ(plan.ports[1].vdev, "net_af_xdp1,iface=s-cmed,start_queue=0,queue_count=1");
    EXPECT_EQ(plan.ports[2].vdev,
              "net_memif2,role=server,id=0,socket-abstract=no,"
              "socket=/run/sbc/m.sock,rsize=12");
    // af_xdp's umem is the pool (fill + tx ring), memif's rings hold mbufs, af_packet copies.
    EXPECT_GE(plan.mbufs, (2048u * 2 + 2048) + 2u * 4096 + 1024);
    const auto lines = plan.describe();
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_NE(lines[0].find("4096 packets may wait for the worker = 164 ms at 25000 pps"),
              std::string::npos)
        << lines[0];
    // The vdevs come first in the EAL's argv, so that dpdk_port = index.
    const auto argv = dp::eal_argv(r.values, "prog");
    EXPECT_EQ(argv.at(1), "--vdev=" + plan.ports[0].vdev);

    r.values.port_pps = 1'000'000;  // explicit load: capped at 32,768 frames
    EXPECT_EQ(dp::plan_ports(r.values).ports[0].rx_frames, 32768u);
    r.values.port_pps = 100;  // tiny load: never below 512
    EXPECT_EQ(dp::plan_ports(r.values).ports[0].rx_frames, 512u);
}

TEST(dataplane_port_plan, bad_ports_are_refused_with_the_setting_named) {
    EXPECT_NE(parse({"--port", "eth0"}).error.find("--port"), std::string::npos);
    EXPECT_NE(parse({"--port", "af_xdp:way-too-long-name"}).error.find("interface name"),
              std::string::npos);
    EXPECT_NE(parse({"--port", "memif:rel.sock"}).error.find("absolute"), std::string::npos);
    auto r = parse({"--port", "af_xdp:a", "--port", "af_xdp:a"});
    ASSERT_TRUE(r.error.empty());
    EXPECT_NE(dp::validate(r.values).find("listed twice"), std::string::npos);
    r = parse({"--rx-stall-ms", "0"});
    EXPECT_NE(dp::validate(r.values).find("dataplane.rx_stall_ms"), std::string::npos);
}

TEST(dataplane_port_plan, the_embedded_default_uses_af_xdp_on_the_media_veths) {
    auto r = parse({"--config"});
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.values.ports.size(), 2u);
    EXPECT_EQ(r.values.ports[0].kind, dp::port_kind::af_xdp);
    EXPECT_EQ(r.values.ports[1].target, "s-cmed");
    EXPECT_EQ(r.values.rx_stall_ms, 100u);
}
