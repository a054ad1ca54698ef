// A live SRTP <-> RTP call through sbc-dataplane on net_af_packet ports over veths into two
// network namespaces (label `system`). The softphone namespace sends SRTP (pylibsrtp), the PBX
// namespace plain RTP; both must receive the other's stream. ARP both ways is real: the
// namespaces resolve the media addresses, the dataplane resolves the peers. The test creates
// and always removes its namespaces and veths.

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "tests/dataplane/support/dp_process.hpp"
#include "tests/dataplane/support/path_harness.hpp"

using namespace sbc;
using namespace std::chrono_literals;

namespace {

int sh(const std::string& cmd) {
    return std::system(cmd.c_str());
}

std::string run_capture(const std::string& cmd) {
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    if (f == nullptr) {
        return out;
    }
    char buf[512];
    while (std::fgets(buf, sizeof buf, f) != nullptr) {
        out += buf;
    }
    pclose(f);
    return out;
}

// Two namespaces, each with one end of a veth; the other ends stay in the root namespace for
// the dataplane. Removed in the destructor whatever happened.
struct topology {
    std::string tag, ns_a, ns_b, dp_a, dp_b;
    bool ok = false;
    explicit topology(const std::string& t)
        : tag(t), ns_a("sbcA" + t), ns_b("sbcB" + t), dp_a("sA" + t), dp_b("sB" + t) {
        cleanup();
        ok = sh("ip netns add " + ns_a) == 0 && sh("ip netns add " + ns_b) == 0 &&
             sh("ip link add " + dp_a + " type veth peer name pA" + tag + " netns " + ns_a) == 0 &&
             sh("ip link add " + dp_b + " type veth peer name pB" + tag + " netns " + ns_b) == 0 &&
             sh("ip link set " + dp_a + " up") == 0 && sh("ip link set " + dp_b + " up") == 0 &&
             sh("ip -n " + ns_a + " addr add 10.50.0.2/24 dev pA" + tag) == 0 &&
             sh("ip -n " + ns_b + " addr add 10.60.0.2/24 dev pB" + tag) == 0 &&
             sh("ip -n " + ns_a + " link set pA" + tag + " up") == 0 &&
             sh("ip -n " + ns_b + " link set pB" + tag + " up") == 0 &&
             sh("ip -n " + ns_a + " link set lo up") == 0 &&
             sh("ip -n " + ns_b + " link set lo up") == 0;
    }
    void cleanup() {
        sh("ip link del " + dp_a + " 2>/dev/null");
        sh("ip link del " + dp_b + " 2>/dev/null");
        sh("ip netns del " + ns_a + " 2>/dev/null");
        sh("ip netns del " + ns_b + " 2>/dev/null");
    }
    ~topology() { cleanup(); }
};

std::string hex(const shm::srtp_key& k) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < k.master_key_len; ++i) {
        s += d[k.master_key[i] >> 4];
        s += d[k.master_key[i] & 15];
    }
    for (int i = 0; i < k.master_salt_len; ++i) {
        s += d[k.master_salt[i] >> 4];
        s += d[k.master_salt[i] & 15];
    }
    return s;
}

shm::srtp_key key(uint8_t seed) {
    shm::srtp_key k{};
    k.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    k.master_key_len = 16;
    k.master_salt_len = 14;
    for (int i = 0; i < 16; ++i) {
        k.master_key[i] = static_cast<uint8_t>(seed * 7 + i);
    }
    for (int i = 0; i < 14; ++i) {
        k.master_salt[i] = static_cast<uint8_t>(seed * 11 + i);
    }
    return k;
}

int field(const std::string& json, const std::string& name) {
    const auto at = json.find("\"" + name + "\": ");
    return at == std::string::npos
               ? -1
               : static_cast<int>(std::strtol(json.c_str() + at + name.size() + 4, nullptr, 10));
}

}  // namespace

TEST(dataplane_system, srtp_call_over_af_packet_veths_both_ways) {
    if (geteuid() != 0) {
        GTEST_SKIP() << "needs root for network namespaces";
    }
    const std::string tag = std::to_string(getpid() % 100000);
    topology topo(tag);
    ASSERT_TRUE(topo.ok) << "could not create namespaces/veths";
    const std::string inst = test::unique_instance("veth");
    test::dp_process proc;
    auto args = test::base_args(inst);
    args.insert(args.end(), {"--vdev", "net_af_packet0,iface=" + topo.dp_a, "--vdev",
                             "net_af_packet1,iface=" + topo.dp_b, "--media", "0,10.50.0.1/24",
                             "--media", "1,10.60.0.1/24"});
    ASSERT_TRUE(proc.start(args, "/tmp/" + inst + ".log"));
    cp::dataplane_client c;
    auto st = c.attach_with_retry(inst, {5ms, 100ms, 20s});
    ASSERT_TRUE(st) << st.message << proc.log();

    const auto k_phone = key(1), k_sbc = key(2);
    auto a = test::make_leg(0, 0x0a320001, 20000, 1, 0x0a3c0001, 30000, 0x0a320002, 40000,
                            shm::media_protocol::srtp);
    a.rx = k_phone;
    a.tx = k_sbc;
    auto b = test::make_leg(1, 0x0a3c0001, 30000, 0, 0x0a320001, 20000, 0x0a3c0002, 50000,
                            shm::media_protocol::rtp);
    for (const auto& leg : {a, b}) {
        auto r = c.flow_add(leg);
        ASSERT_TRUE(r.ok());
        auto ev = c.wait_for(r.seq, 5s);
        ASSERT_TRUE(ev && ev->raw.type == shm::event_type::ack);
    }
    std::this_thread::sleep_for(1s);  // af_packet ports forward after about a second

    const std::string peer = test::source_dir() + "/tests/dataplane/support/veth_peer.py";
    std::string out_a, out_b;
    std::thread ta([&] {
        out_a = run_capture("ip netns exec " + topo.ns_a + " /usr/bin/python3 " + peer +
                            " srtp 40000 10.50.0.1 20000 100 0x1111 " + hex(k_phone) + " " +
                            hex(k_sbc));
    });
    std::thread tb([&] {
        out_b = run_capture("ip netns exec " + topo.ns_b + " /usr/bin/python3 " + peer +
                            " rtp 50000 10.60.0.1 30000 100 0x2222");
    });
    ta.join();
    tb.join();
    const auto fa = c.flow_counters(a.key);
    const auto fb = c.flow_counters(b.key);
    c.detach();
    EXPECT_EQ(proc.stop(), 0) << proc.log();
    // The first packets may be lost while ARP resolves; the stream must get through.
    EXPECT_EQ(field(out_a, "sent"), 100) << out_a;
    EXPECT_GE(field(out_a, "ok"), 80) << out_a;
    EXPECT_EQ(field(out_a, "bad"), 0) << out_a;
    EXPECT_GE(field(out_b, "ok"), 80) << out_b;
    EXPECT_EQ(field(out_b, "bad"), 0) << out_b;
    ASSERT_TRUE(fa && fb);
    EXPECT_GE(fa->fwd_packets, 80u);
    EXPECT_GE(fb->fwd_packets, 80u);
}
