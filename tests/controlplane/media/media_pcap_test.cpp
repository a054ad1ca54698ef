// SDP in, packets through: the media manager programs a live sbc-dataplane (two net_pcap ports)
// from a softphone's offer and a PBX's answer, then the softphone rekeys in a re-offer. The
// softphone's SRTP (first half under its first key, second half under its new one) must come out
// on the core side as plain RTP, every packet; the PBX's RTP must come out on the access side as
// SRTP under the key our answer SDP gave the softphone. Checked with libsrtp2.

#include <gtest/gtest.h>

#include <thread>

#include "controlplane/media/media_manager.hpp"
#include "controlplane/media/sdes_keys.hpp"
#include "dataplane/core/headers.hpp"
#include "dataplane/shm/address.hpp"
#include "tests/controlplane/media/live_dataplane.hpp"
#include "tests/controlplane/media/media_support.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"
#include "tests/dataplane/support/path_harness.hpp"
#include "tests/dataplane/support/pcap_file.hpp"

using namespace sbc;
using namespace sbc::cp::media;
using namespace std::chrono_literals;
namespace wire = sbc::dp::wire;
namespace sdp = sbc::sip::sdp;

namespace {

const shm::mac_address pcap_mac[2] = {{0x02, 0x70, 0x63, 0x61, 0x70, 0x00},
                                      {0x02, 0x70, 0x63, 0x61, 0x70, 0x01}};
constexpr uint32_t media_access = 0x0a010101, media_core = 0x0a020101;  // 10.1.1.1, 10.2.1.1
constexpr uint32_t phone_ip = 0x0a01014d, pbx_ip = 0x0a020132;          // 10.1.1.77, 10.2.1.50
constexpr int half = 100;

std::vector<uint8_t> eth(uint16_t port, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                         const std::vector<uint8_t>& payload) {
    test::frame f =
        test::make_frame(port, src, sport, dst, dport, payload, 0, pcap_mac[port].data());
    return {f.bytes.begin(), f.bytes.begin() + f.len};
}

std::string crypto_line(int tag, const shm::srtp_key& k) {
    return "a=crypto:" +
           sdp::format_crypto(static_cast<uint32_t>(tag), srtp_suite::aes_cm_128_hmac_sha1_80,
                              std::span<const uint8_t>(k.master_key, 16),
                              std::span<const uint8_t>(k.master_salt, 14)) +
           "\r\n";
}

shm::srtp_key key_in(const std::string& answer) {
    auto s = sdp::parse(answer);
    EXPECT_TRUE(s.ok());
    const auto lines = s.value.media_sections.at(0).crypto_lines();
    EXPECT_EQ(lines.size(), 1u);
    return to_srtp_key(sdp::parse_crypto(lines.at(0)).value).value();
}

}  // namespace

TEST(media_pcap, softphone_rekey_mid_call_loses_no_packet) {
    const std::string dir = "/tmp/" + test::unique_instance("mp");
    ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
    const auto k1 = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 41);
    const auto k2 = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 42);

    // The softphone's packets: one SSRC, sequence numbers running on, the key changing halfway.
    { srtp::test::ref_session init(k1, true); }
    srtp::test::ref_session tx1(k1, false), tx2(k2, false);
    std::vector<std::vector<uint8_t>> in0, in1, phone_rtp, pbx_rtp;
    for (int i = 0; i < 2 * half; ++i) {
        auto rtp = srtp::test::make_rtp(static_cast<uint16_t>(100 + i), 0x5eed, 160,
                                        static_cast<uint8_t>(i));
        phone_rtp.push_back(rtp);
        ASSERT_EQ((i < half ? tx1 : tx2).protect(rtp), srtp_err_status_ok);
        in0.push_back(eth(0, phone_ip, 4000, media_access, 40000, rtp));
        auto plain = srtp::test::make_rtp(static_cast<uint16_t>(7000 + i), 0xfeed, 160,
                                          static_cast<uint8_t>(i + 3));
        pbx_rtp.push_back(plain);
        in1.push_back(eth(1, pbx_ip, 30000, media_core, 50000, plain));
    }
    ASSERT_TRUE(test::write_pcap(dir + "/in0.pcap", in0));
    ASSERT_TRUE(test::write_pcap(dir + "/in1.pcap", in1));

    auto cfg = test::test_config();
    test::live_dataplane dp;
    ASSERT_TRUE(dp.start("mp",
                         {"net_pcap0,rx_pcap=" + dir + "/in0.pcap,tx_pcap=" + dir + "/out0.pcap",
                          "net_pcap1,rx_pcap=" + dir + "/in1.pcap,tx_pcap=" + dir + "/out1.pcap"},
                         {"--hold-rx", "--neighbour", "0,10.1.1.77,02:00:00:00:00:4d",
                          "--neighbour", "1,10.2.1.50,02:00:00:00:01:32"}))
        << dp.proc.log();
    media_manager mm(cfg, dp.client);
    auto c = mm.create({&cfg.realm.access, cfg.find_media_profile("SRTP_SDES"), "t", {}},
                       {&cfg.realm.core, cfg.find_media_profile("OSV_RTP"), "t", {}});
    ASSERT_TRUE(c);
    const std::string osv = test::osv_sdp("sendrecv", "10.2.1.50", 30000);
    std::string answer;
    auto negotiate = [&](const shm::srtp_key& k) {
        std::string to_core;
        auto st = mm.offer(*c, side::a,
                           test::client_offer(crypto_line(1, k), "", "RTP/SAVP", "10.1.1.77", 4000),
                           to_core);
        ASSERT_TRUE(st) << st.message();
        bool done = false;
        mm.answer(*c, side::b, osv, [&](const status& s, const std::string& body) {
            EXPECT_TRUE(s) << s.message();
            answer = body;
            done = true;
        });
        ASSERT_TRUE(dp.pump(mm, [&] { return done; }));
    };
    negotiate(k1);
    negotiate(k2);  // the rekey re-INVITE, before any packet is read
    ASSERT_EQ(mm.counters().rekeys, 1u);
    const shm::srtp_key ours = key_in(answer);

    ASSERT_TRUE(dp.client.rx_start().ok());
    const auto* s = mm.find(*c);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        dp.client.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
        auto fa = dp.client.flow_counters(s->get(side::a).key);
        auto fb = dp.client.flow_counters(s->get(side::b).key);
        if (fa && fb && fa->rx_packets >= 2u * half && fb->rx_packets >= 2u * half) {
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    // The counters are final once rx_packets is (a worker counts a burst after relaying it);
    // the latch and key-switch events reach the media manager through the main lcore.
    const auto* rt = mm.runtime(*c, side::a);
    const auto event_deadline = std::chrono::steady_clock::now() + 10s;
    while (!(rt->latched.has_value() && rt->key_switches >= 1) &&
           std::chrono::steady_clock::now() < event_deadline) {
        dp.client.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
        std::this_thread::sleep_for(1ms);
    }
    auto fa = dp.client.flow_counters(s->get(side::a).key);
    ASSERT_TRUE(fa.has_value());
    EXPECT_EQ(fa->fwd_packets, 2u * half) << "every packet of both keys relayed";
    EXPECT_EQ(fa->drops[static_cast<size_t>(shm::drop_reason::auth_fail)], 0u);
    EXPECT_EQ(rt->key_switches, 1u);
    ASSERT_TRUE(rt->latched.has_value());
    EXPECT_EQ(shm::to_string(*rt->latched), "10.1.1.77:4000");
    mm.end(*c, {});
    dp.settle(mm);
    dp.client.detach();
    ASSERT_EQ(dp.proc.stop(), 0) << dp.proc.log();

    auto out1 = test::read_pcap(dir + "/out1.pcap");
    ASSERT_EQ(out1.size(), size_t(2 * half));
    for (size_t i = 0; i < out1.size(); ++i) {
        auto& fr = out1[i];
        dp::pkt_desc d{
            fr.data(), static_cast<uint16_t>(fr.size()), 0, 1, 0, dp::verdict::transmit, 0, 0};
        EXPECT_EQ(wire::load32(fr.data() + 14 + 16), pbx_ip);
        EXPECT_EQ(test::payload_of(d), phone_rtp[i]) << i;
    }
    srtp::test::ref_session phone_rx(ours, true);
    auto out0 = test::read_pcap(dir + "/out0.pcap");
    ASSERT_EQ(out0.size(), size_t(2 * half));
    for (size_t i = 0; i < out0.size(); ++i) {
        auto& fr = out0[i];
        dp::pkt_desc d{
            fr.data(), static_cast<uint16_t>(fr.size()), 0, 0, 0, dp::verdict::transmit, 0, 0};
        EXPECT_EQ(wire::load32(fr.data() + 14 + 16), phone_ip);
        EXPECT_EQ(wire::load16(fr.data() + 34), 40000) << "sent from the leg's one port";
        auto p = test::payload_of(d);
        ASSERT_EQ(phone_rx.unprotect(p), srtp_err_status_ok) << i;
        EXPECT_EQ(p, pbx_rtp[i]);
    }
    system(("rm -rf " + dir).c_str());
}

// OSV connects two of our subscribers without anchoring media: each call's core leg is offered
// the other's core endpoint. The dataplane cannot send to its own address, so the media manager
// relays access leg to access leg: alice's SRTP comes out to bob under bob's key.
TEST(media_pcap, hairpin_through_our_own_core_address) {
    const std::string dir = "/tmp/" + test::unique_instance("mh");
    ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
    const auto k_alice = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 51);
    const auto k_bob = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 52);
    constexpr uint32_t alice_ip = 0x0a01014d, bob_ip = 0x0a010158;  // 10.1.1.77, 10.1.1.88
    { srtp::test::ref_session init(k_alice, true); }
    srtp::test::ref_session alice_tx(k_alice, false), bob_tx(k_bob, false);
    std::vector<std::vector<uint8_t>> in0, alice_rtp, bob_rtp;
    for (int i = 0; i < 50; ++i) {
        auto a = srtp::test::make_rtp(static_cast<uint16_t>(10 + i), 0xa11ce, 160,
                                      static_cast<uint8_t>(i));
        alice_rtp.push_back(a);
        ASSERT_EQ(alice_tx.protect(a), srtp_err_status_ok);
        in0.push_back(eth(0, alice_ip, 4000, media_access, 40000, a));
        auto b = srtp::test::make_rtp(static_cast<uint16_t>(900 + i), 0xb0b, 160,
                                      static_cast<uint8_t>(i + 9));
        bob_rtp.push_back(b);
        ASSERT_EQ(bob_tx.protect(b), srtp_err_status_ok);
        in0.push_back(eth(0, bob_ip, 4002, media_access, 40002, b));
    }
    ASSERT_TRUE(test::write_pcap(dir + "/in0.pcap", in0));
    ASSERT_TRUE(test::write_pcap(dir + "/in1.pcap", {}));

    auto cfg = test::test_config();
    test::live_dataplane dp;
    ASSERT_TRUE(dp.start("mh",
                         {"net_pcap0,rx_pcap=" + dir + "/in0.pcap,tx_pcap=" + dir + "/out0.pcap",
                          "net_pcap1,rx_pcap=" + dir + "/in1.pcap,tx_pcap=" + dir + "/out1.pcap"},
                         {"--hold-rx", "--neighbour", "0,10.1.1.77,02:00:00:00:00:4d",
                          "--neighbour", "0,10.1.1.88,02:00:00:00:00:58"}))
        << dp.proc.log();
    media_manager mm(cfg, dp.client);
    const leg_setup access{&cfg.realm.access, cfg.find_media_profile("SRTP_SDES"), "t", {}};
    const leg_setup core{&cfg.realm.core, cfg.find_media_profile("OSV_RTP"), "t", {}};
    auto x = mm.create(access, core);  // alice -> OSV: 10.1.1.1:40000 / 10.2.1.1:50000
    auto y = mm.create(core, access);  // OSV -> bob:   10.2.1.1:50002 / 10.1.1.1:40002
    ASSERT_TRUE(x && y);
    // Call y first (as OSV forwards alice's offer to bob before alice gets an answer).
    const std::string alice_offer =
        test::client_offer(crypto_line(1, k_alice), "", "RTP/SAVP", "10.1.1.77", 4000);
    std::string x_to_osv;
    ASSERT_TRUE(mm.offer(*x, side::a, alice_offer, x_to_osv));
    std::string y_to_bob;
    ASSERT_TRUE(mm.offer(*y, side::a, x_to_osv, y_to_bob));  // c=10.2.1.1 port 50000
    bool y_done = false;
    std::string y_answer;
    mm.answer(*y, side::b,
              test::client_offer(crypto_line(1, k_bob), "", "RTP/SAVP", "10.1.1.88", 4002),
              [&](const status& s, const std::string& b) {
                  EXPECT_TRUE(s) << s.message();
                  y_answer = b;  // c=10.2.1.1 port 50002, toward OSV
                  y_done = true;
              });
    ASSERT_TRUE(dp.pump(mm, [&] { return y_done; }));
    bool x_done = false;
    std::string x_answer;
    mm.answer(*x, side::b, y_answer, [&](const status& s, const std::string& b) {
        EXPECT_TRUE(s) << s.message();
        x_answer = b;
        x_done = true;
    });
    ASSERT_TRUE(dp.pump(mm, [&] { return x_done; }));
    dp.settle(mm);
    EXPECT_EQ(dp.client.flows_installed(), 2u) << "only the two access legs";
    EXPECT_EQ(mm.session_json(*x)["legs"][1]["looped_to"], "session 2 leg a");
    const shm::srtp_key to_alice = key_in(x_answer);
    const shm::srtp_key to_bob = [&] {
        auto s = sdp::parse(y_to_bob);
        return to_srtp_key(
                   sdp::parse_crypto(s.value.media_sections.at(0).crypto_lines().at(0)).value)
            .value();
    }();

    ASSERT_TRUE(dp.client.rx_start().ok());
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        uint64_t rx = 0;
        for (const auto& l : dp.client.lcores()) {
            rx += l.rx_packets;
        }
        if (rx >= in0.size()) {
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    // No wait for the output: a worker counts rx_packets after it transmitted the burst, and
    // the pcap is complete once the process has stopped.
    dp.client.detach();
    ASSERT_EQ(dp.proc.stop(), 0) << dp.proc.log();

    srtp::test::ref_session alice_rx(to_alice, true), bob_rx(to_bob, true);
    size_t to_a = 0, to_b = 0;
    for (auto& fr : test::read_pcap(dir + "/out0.pcap")) {
        dp::pkt_desc d{
            fr.data(), static_cast<uint16_t>(fr.size()), 0, 0, 0, dp::verdict::transmit, 0, 0};
        auto p = test::payload_of(d);
        const uint32_t dst = wire::load32(fr.data() + 14 + 16);
        if (dst == bob_ip) {
            ASSERT_EQ(bob_rx.unprotect(p), srtp_err_status_ok);
            EXPECT_EQ(p, alice_rtp.at(to_b));
            EXPECT_EQ(wire::load16(fr.data() + 34), 40002) << "from bob's leg port";
            ++to_b;
        } else if (dst == alice_ip) {
            ASSERT_EQ(alice_rx.unprotect(p), srtp_err_status_ok);
            EXPECT_EQ(p, bob_rtp.at(to_a));
            ++to_a;
        }
    }
    EXPECT_EQ(to_b, 50u);
    EXPECT_EQ(to_a, 50u);
    EXPECT_TRUE(test::read_pcap(dir + "/out1.pcap").empty()) << "nothing went to the core port";
    system(("rm -rf " + dir).c_str());
}
