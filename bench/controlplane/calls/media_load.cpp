// End-to-end media through the virtual appliance: calls set up by the media manager (the same
// offer/answer and programming sbcd does) on a running sbc-dataplane whose media ports are
// af_packet veths, then G.711/20 ms streams both ways: SRTP from "softphones" in the access
// namespace, RTP from "OSV" in the core namespace, each stream from its own socket at its SDP
// address. Counts every packet sent and received on each side; reads the dataplane's busy
// cycles per packet from its lcore counters over the same interval.
//
//   media_load --config FILE --instance NAME --acc NETNS --core NETNS --calls N --seconds S
//
// Prints one JSON object. Run by media_bench.py (which makes the namespaces and the dataplane).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "controlplane/media/media_manager.hpp"
#include "dataplane/shm/address.hpp"
#include "sip/sdes.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"

using namespace sbc;
using namespace std::chrono_literals;

namespace {

constexpr int payload_len = 160;

struct stream {
    int fd = -1;
    uint16_t peer_port = 0;  // our socket's port (the SDP port)
    uint16_t sbc_port = 0;   // the SBC leg's port we send to
    uint32_t ssrc = 0;
    std::unique_ptr<srtp::test::ref_session> protect;  // access side only
    uint16_t seq = 0;
};

struct side_stats {
    std::atomic<uint64_t> sent{0}, received{0};
};

bool enter_netns(const std::string& name) {
    const int fd = open(("/var/run/netns/" + name).c_str(), O_RDONLY);
    if (fd < 0) {
        return false;
    }
    const bool ok = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    return ok;
}

int bound_socket(const char* ip, uint16_t port) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    int big = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// One namespace's side: opens the sockets, then sends one packet per stream every 20 ms for
// `seconds`, and receives (counts) until `stop`.
void run_side(const std::string& netns, const char* ip, const char* sbc_ip,
              std::vector<stream>& streams, bool srtp_side, int seconds, side_stats& st,
              std::atomic<int>& ready, std::atomic<bool>& go, std::atomic<bool>& stop,
              std::atomic<bool>& failed, std::atomic<int>& warmed) {
    if (!enter_netns(netns)) {
        failed = true;
        ++ready;
        return;
    }
    const int ep = epoll_create1(0);
    for (size_t i = 0; i < streams.size(); ++i) {
        streams[i].fd = bound_socket(ip, streams[i].peer_port);
        if (streams[i].fd < 0) {
            failed = true;
        } else {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            epoll_ctl(ep, EPOLL_CTL_ADD, streams[i].fd, &ev);
        }
    }
    ++ready;
    while (!go) {
        std::this_thread::sleep_for(1ms);
    }
    std::thread receiver([&] {
        char buf[2048];
        epoll_event evs[256];
        while (!stop) {
            const int n = epoll_wait(ep, evs, 256, 10);
            for (int k = 0; k < n; ++k) {
                const int fd = streams[evs[k].data.u64].fd;
                while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
                    ++st.received;
                }
            }
        }
    });
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    inet_pton(AF_INET, sbc_ip, &dst.sin_addr);
    std::vector<uint8_t> pkt;
    // Warm-up tick (not counted): the dataplane resolves its neighbours and latches each leg.
    const int ticks = seconds * 50 + 1;
    const auto start = std::chrono::steady_clock::now() + 480ms;
    for (int t = 0; t < ticks; ++t) {
        if (t == 1) {
            std::this_thread::sleep_until(start);
            st.sent = 0;
            st.received = 0;
            ++warmed;
            while (warmed < 2) {
                std::this_thread::sleep_for(1ms);
            }
        }
        for (auto& s : streams) {
            pkt.assign(12 + payload_len, 0xd5);
            pkt[0] = 0x80;
            pkt[1] = 0;
            pkt[2] = static_cast<uint8_t>(s.seq >> 8);
            pkt[3] = static_cast<uint8_t>(s.seq);
            const uint32_t ts = static_cast<uint32_t>(t) * payload_len;
            for (int b = 0; b < 4; ++b) {
                pkt[4 + b] = static_cast<uint8_t>(ts >> (24 - 8 * b));
                pkt[8 + b] = static_cast<uint8_t>(s.ssrc >> (24 - 8 * b));
            }
            ++s.seq;
            if (srtp_side && s.protect->protect(pkt) != srtp_err_status_ok) {
                failed = true;
                continue;
            }
            dst.sin_port = htons(s.sbc_port);
            if (sendto(s.fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&dst),
                       sizeof dst) == static_cast<ssize_t>(pkt.size())) {
                ++st.sent;
            }
        }
        if (t > 0) {
            std::this_thread::sleep_until(start + t * 20ms);
        }
    }
    while (!stop) {
        std::this_thread::sleep_for(5ms);
    }
    receiver.join();
    for (auto& s : streams) {
        close(s.fd);
    }
    close(ep);
}

std::string client_sdp(uint16_t port, const shm::srtp_key& k) {
    return "v=0\r\no=- 1 1 IN IP4 10.1.1.2\r\ns=-\r\nc=IN IP4 10.1.1.2\r\nt=0 0\r\n"
           "m=audio " +
           std::to_string(port) +
           " RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
           "a=crypto:1 " +
           sip::sdp::format_crypto(1, srtp_suite::aes_cm_128_hmac_sha1_80,
                                   std::span<const uint8_t>(k.master_key, 16),
                                   std::span<const uint8_t>(k.master_salt, 14))
               .substr(2) +
           "\r\n";
}

std::string osv_sdp(uint16_t port) {
    return "v=0\r\no=- 1 1 IN IP4 10.2.1.2\r\ns=-\r\nc=IN IP4 10.2.1.2\r\nt=0 0\r\n"
           "m=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

uint64_t lcore_sum(const std::vector<shm::lcore_counters>& l, uint64_t shm::lcore_counters::*f) {
    uint64_t n = 0;
    for (const auto& c : l) {
        n += c.*f;
    }
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> a;
    for (int i = 1; i + 1 < argc; i += 2) {
        a[argv[i]] = argv[i + 1];
    }
    const int calls = std::stoi(a["--calls"]);
    const int seconds = std::stoi(a.count("--seconds") ? a["--seconds"] : "10");
    config::load_options lo;
    lo.check_files = false;
    auto loaded = config::load_file(a["--config"], lo);
    if (!loaded.config) {
        std::cerr << "config: " << loaded.errors.at(0).to_string() << "\n";
        return 2;
    }
    const config::appliance cfg = *loaded.config;
    cp::dataplane_client dp;
    if (auto st = dp.attach_with_retry(a["--instance"], {10ms, 200ms, 20s}); !st) {
        std::cerr << st.message << "\n";
        return 2;
    }
    cp::media::media_manager mm(cfg, dp);
    const cp::media::leg_setup acc{&cfg.realm.access, cfg.find_media_profile("SRTP_SDES"), "b", {}};
    const cp::media::leg_setup core{&cfg.realm.core, cfg.find_media_profile("OSV_RTP"), "b", {}};
    std::vector<stream> acc_streams(calls), core_streams(calls);
    int done = 0, failures = 0;
    for (int i = 0; i < calls; ++i) {
        auto c = mm.create(acc, core);
        if (!c) {
            std::cerr << "create: " << c.error().message() << "\n";
            return 1;
        }
        const auto key = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80,
                                              static_cast<uint8_t>(i * 7 + 1));
        acc_streams[i].peer_port = static_cast<uint16_t>(20000 + 2 * i);
        acc_streams[i].ssrc = 0x10000000u + static_cast<uint32_t>(i);
        acc_streams[i].protect = std::make_unique<srtp::test::ref_session>(key, false);
        core_streams[i].peer_port = static_cast<uint16_t>(30000 + 2 * i);
        core_streams[i].ssrc = 0x20000000u + static_cast<uint32_t>(i);
        std::string out;
        if (!mm.offer(*c, cp::media::side::a, client_sdp(acc_streams[i].peer_port, key), out)) {
            return 1;
        }
        mm.answer(*c, cp::media::side::b, osv_sdp(core_streams[i].peer_port),
                  [&](const cp::media::status& s, const std::string&) {
                      ++done;
                      failures += s ? 0 : 1;
                  });
        const auto* s = mm.find(*c);
        acc_streams[i].sbc_port = s->get(cp::media::side::a).port;
        core_streams[i].sbc_port = s->get(cp::media::side::b).port;
        dp.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
    }
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (done < calls && std::chrono::steady_clock::now() < deadline) {
        dp.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
        std::this_thread::sleep_for(100us);
    }
    if (done < calls || failures != 0) {
        std::cerr << "programming: " << done << " done, " << failures << " failed\n";
        return 1;
    }

    side_stats acc_st, core_st;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false}, stop{false}, failed{false};
    std::atomic<int> warmed{0};
    std::thread ta(run_side, a["--acc"], "10.1.1.2", "10.1.1.1", std::ref(acc_streams), true,
                   seconds, std::ref(acc_st), std::ref(ready), std::ref(go), std::ref(stop),
                   std::ref(failed), std::ref(warmed));
    std::thread tc(run_side, a["--core"], "10.2.1.2", "10.2.1.1", std::ref(core_streams), false,
                   seconds, std::ref(core_st), std::ref(ready), std::ref(go), std::ref(stop),
                   std::ref(failed), std::ref(warmed));
    while (ready < 2) {
        std::this_thread::sleep_for(1ms);
    }
    go = true;
    while (warmed < 2) {
        std::this_thread::sleep_for(1ms);
    }
    const auto l0 = dp.lcores();
    const auto p0 = dp.ports();
    std::this_thread::sleep_for(std::chrono::seconds(seconds) + 500ms);
    stop = true;
    ta.join();
    tc.join();
    const auto l1 = dp.lcores();
    const auto p1 = dp.ports();
    uint64_t missed = 0;
    for (size_t i = 0; i < p1.size() && i < p0.size(); ++i) {
        missed += p1[i].counters.rx_missed - p0[i].counters.rx_missed;
    }
    const uint64_t rx = lcore_sum(l1, &shm::lcore_counters::rx_packets) -
                        lcore_sum(l0, &shm::lcore_counters::rx_packets);
    const uint64_t cycles = lcore_sum(l1, &shm::lcore_counters::busy_cycles) -
                            lcore_sum(l0, &shm::lcore_counters::busy_cycles);
    nlohmann::json drops = nlohmann::json::object();
    for (size_t r = 0; r < shm::drop_reason_count; ++r) {
        uint64_t d = 0;
        for (size_t i = 0; i < l1.size(); ++i) {
            d += l1[i].drops[r] - (i < l0.size() ? l0[i].drops[r] : 0);
        }
        if (d != 0) {
            drops[shm::drop_reason_name[r]] = d;
        }
    }
    nlohmann::json out = {
        {"calls", calls},
        {"seconds", seconds},
        {"access_to_core", {{"sent", acc_st.sent.load()}, {"received", core_st.received.load()}}},
        {"core_to_access", {{"sent", core_st.sent.load()}, {"received", acc_st.received.load()}}},
        {"pps_each_way", static_cast<double>(acc_st.sent.load()) / seconds},
        {"dataplane_rx_packets", rx},
        {"dataplane_busy_cycles_per_packet", rx ? static_cast<double>(cycles) / rx : 0.0},
        {"drops", drops},
        {"port_rx_missed", missed},
        {"failed", failed.load()},
    };
    std::cout << out.dump() << "\n";
    for (int i = 0; i < calls; ++i) {
        mm.end(static_cast<cp::media::session_id>(i + 1), {});
    }
    dp.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
    return 0;
}
