// The DoS guard in front of a real transport_layer on loopback, wired as sip_service wires the
// access realm: floods over UDP and TCP from one source address (127.0.0.2) while another
// (127.0.0.3) carries on, TLS connections from a blacklisted source closed before the
// handshake, expiry letting the source back. The guard's clock is a fake one the test moves, so
// nothing depends on how fast this machine is. Every loop is bounded in count and time.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "controlplane/dos_guard.hpp"
#include "sip_samples.hpp"
#include "test_peers.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using sip::test::options_request;
using sip::test::recording_server;
using sip::test::run_for;
using sip::test::run_until;

// A socket bound to `ip` (port chosen by the kernel): the source address of a test client.
int bound_socket(int type, const char* ip) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    const auto local = *sip::socket_address::from_ip(ip, 0);
    if (fd < 0 || ::bind(fd, local.sa(), local.size()) != 0) {
        ADD_FAILURE() << "cannot bind a socket to " << ip;
    }
    return fd;
}

struct udp_source {
    explicit udp_source(const char* ip) : fd(bound_socket(SOCK_DGRAM, ip)) {}
    ~udp_source() { ::close(fd); }
    void send(const sip::socket_address& to, const std::string& bytes) {
        ::sendto(fd, bytes.data(), bytes.size(), 0, to.sa(), to.size());
    }
    void pump() {
        char buf[65536];
        for (int i = 0; i < 10000; ++i) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0) {
                return;
            }
            received.emplace_back(buf, static_cast<std::size_t>(n));
        }
    }
    int fd;
    std::vector<std::string> received;
};

struct tcp_source {
    tcp_source(const char* ip, const sip::socket_address& to) : fd(bound_socket(SOCK_STREAM, ip)) {
        connected = ::connect(fd, to.sa(), to.size()) == 0;
    }
    ~tcp_source() { ::close(fd); }
    void send(const std::string& bytes) { ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
    void pump() {
        char buf[65536];
        for (int i = 0; i < 10000; ++i) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                received.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                eof = true;
            }
            return;
        }
    }
    int fd;
    bool connected = false;
    bool eof = false;
    std::string received;
};

const char* const attacker = "127.0.0.2";
const char* const bystander = "127.0.0.3";

// A transport layer with the guard in front, as the access realm has it.
struct guarded {
    explicit guarded(dos_settings s, const sip::transport_limits& limits = {})
        : server(loop, limits), guard(s, [this] { return now; }) {
        server.layer.set_source_policy(&guard);
        guard.on_listed(
            [this](const sip::socket_address& a) { return server.layer.close_source(a); });
    }
    ~guarded() { server.layer.set_source_policy(nullptr); }

    static dos_settings settings() {
        dos_settings s;
        s.max_requests_per_source_per_s = 20;
        s.blacklist_duration_s = 30;
        s.max_connections_per_source = 3;
        return s;
    }

    sip::io_loop loop;
    sip::time_point now = sip::time_point{} + 1000h;
    recording_server server;
    dos_guard guard;
};

sip::socket_address listen(sip::transport_layer& layer, sip::transport_type t) {
    const auto any = *sip::socket_address::from_ip("127.0.0.1", 0);
    auto r = t == sip::transport_type::udp ? layer.listen_udp(any) : layer.listen_tcp(any);
    EXPECT_TRUE(r.ok()) << r.error();
    return *r;
}

TEST(DosTransport, UdpFloodBlacklistsTheSourceAndLeavesOthersAlone) {
    guarded g(guarded::settings());
    const auto to = listen(g.server.layer, sip::transport_type::udp);
    udp_source flood(attacker), other(bystander);
    for (int i = 1; i <= 100; ++i) {
        flood.send(to, options_request(i, "UDP"));
    }
    const auto& c = g.server.layer.counters();
    ASSERT_TRUE(
        run_until(g.loop, [&] { return c.rx_messages + c.policy_dropped_messages == 100; }));
    EXPECT_EQ(c.rx_messages, 20u);  // one second's burst
    EXPECT_EQ(c.policy_dropped_messages, 80u);
    EXPECT_TRUE(g.guard.is_blacklisted(*sip::socket_address::from_ip(attacker, 1)));
    EXPECT_EQ(g.guard.counters().blacklisted_request_rate, 1u);
    EXPECT_EQ(g.guard.counters().dropped_datagrams, 79u);  // the 21st was the trigger

    // The other source is served; the blacklisted one is dropped without an answer, counted.
    for (int i = 1; i <= 5; ++i) {
        other.send(to, options_request(200 + i, "UDP"));
        flood.send(to, options_request(300 + i, "UDP"));
    }
    ASSERT_TRUE(run_until(g.loop, [&] {
        other.pump();
        return other.received.size() == 5 && c.policy_dropped_messages == 85;
    }));
    flood.pump();
    EXPECT_EQ(flood.received.size(), 20u);  // only the burst was answered
    EXPECT_EQ(g.guard.counters().dropped_datagrams, 84u);
    EXPECT_EQ(g.server.messages.size(), 25u);

    // The entry expires: the source is back, with a fresh bucket.
    g.now += 30s;
    flood.send(to, options_request(400, "UDP"));
    ASSERT_TRUE(run_until(g.loop, [&] {
        flood.pump();
        return flood.received.size() == 21;
    }));
    EXPECT_FALSE(g.guard.is_blacklisted(*sip::socket_address::from_ip(attacker, 1)));
    EXPECT_EQ(g.guard.counters().expired, 1u);
}

TEST(DosTransport, UdpOverRateWithoutBlacklistDropsOnlyTheExcess) {
    auto s = guarded::settings();
    s.dynamic_blacklist = false;
    guarded g(s);
    const auto to = listen(g.server.layer, sip::transport_type::udp);
    udp_source flood(attacker);
    for (int i = 1; i <= 50; ++i) {
        flood.send(to, options_request(i, "UDP"));
    }
    const auto& c = g.server.layer.counters();
    ASSERT_TRUE(run_until(g.loop, [&] { return c.rx_messages + c.policy_dropped_messages == 50; }));
    EXPECT_EQ(c.rx_messages, 20u);
    EXPECT_EQ(g.guard.counters().rate_dropped, 30u);
    EXPECT_EQ(c.policy_refused_requests, 0u);  // no 503 toward a spoofable source
    g.now += 500ms;                            // ten more tokens
    for (int i = 51; i <= 60; ++i) {
        flood.send(to, options_request(i, "UDP"));
    }
    ASSERT_TRUE(run_until(g.loop, [&] { return c.rx_messages == 30; }));
    EXPECT_EQ(g.guard.blacklisted(), 0u);
}

TEST(DosTransport, TcpRequestsOverRateWithoutBlacklistGet503) {
    auto s = guarded::settings();
    s.dynamic_blacklist = false;
    guarded g(s);
    const auto to = listen(g.server.layer, sip::transport_type::tcp);
    tcp_source client(attacker, to);
    ASSERT_TRUE(client.connected);
    std::string burst;
    for (int i = 1; i <= 25; ++i) {
        burst += options_request(i);
    }
    client.send(burst);
    ASSERT_TRUE(run_until(g.loop, [&] {
        client.pump();
        return sip::test::count_of(client.received, "SIP/2.0 ") == 25;
    }));
    // The connection took a token of the burst of 20.
    EXPECT_EQ(sip::test::count_of(client.received, "SIP/2.0 200 OK"), 19u);
    EXPECT_EQ(sip::test::count_of(client.received, "SIP/2.0 503 Service Unavailable"), 6u);
    EXPECT_EQ(sip::test::count_of(client.received, "Retry-After: 1\r\n"), 6u);
    EXPECT_FALSE(client.eof);  // the connection stays
    EXPECT_EQ(g.server.layer.counters().policy_refused_requests, 6u);
}

TEST(DosTransport, TcpConnectionFloodBlacklistsAndClosesEveryConnectionOfTheSource) {
    guarded g(guarded::settings());
    const auto to = listen(g.server.layer, sip::transport_type::tcp);
    std::vector<std::unique_ptr<tcp_source>> mine;
    for (int i = 0; i < 3; ++i) {
        mine.push_back(std::make_unique<tcp_source>(attacker, to));
        ASSERT_TRUE(mine.back()->connected);
        mine.back()->send(options_request(i + 1));
    }
    tcp_source other(bystander, to);
    ASSERT_TRUE(run_until(g.loop, [&] { return g.server.messages.size() == 3; }));
    // The fourth concurrent connection from the same address: listed, and all of its go.
    mine.push_back(std::make_unique<tcp_source>(attacker, to));
    ASSERT_TRUE(run_until(g.loop, [&] {
        int closed = 0;
        for (auto& m : mine) {
            m->pump();
            closed += m->eof ? 1 : 0;
        }
        return closed == 4;
    }));
    EXPECT_EQ(g.guard.counters().blacklisted_connections, 1u);
    EXPECT_EQ(g.guard.counters().closed_connections, 3u);
    EXPECT_EQ(g.server.layer.counters().policy_dropped_connections, 1u);
    EXPECT_EQ(g.server.closed.size(), 3u);
    EXPECT_TRUE(mine.back()->received.empty());
    // New connections from it are closed at accept; the other source is served.
    for (int i = 0; i < 5; ++i) {
        mine.push_back(std::make_unique<tcp_source>(attacker, to));
    }
    other.send(options_request(50));
    ASSERT_TRUE(run_until(g.loop, [&] {
        other.pump();
        bool all_closed = true;
        for (auto& m : mine) {
            m->pump();
            all_closed = all_closed && m->eof;
        }
        return all_closed && other.received.find("200 OK") != std::string::npos;
    }));
    EXPECT_EQ(g.server.layer.counters().policy_dropped_connections, 6u);
    EXPECT_EQ(g.guard.counters().dropped_connections, 5u);
    EXPECT_EQ(g.server.layer.connection_count(), 1u);
}

TEST(DosTransport, RepeatedMalformedRequestsBlacklistTheSource) {
    guarded g(guarded::settings());
    const auto to = listen(g.server.layer, sip::transport_type::udp);
    udp_source bad(attacker);
    std::string broken = options_request(1, "UDP");
    broken.replace(broken.find("CSeq: 1 OPTIONS"), 15, "CSeq: 1 INVITE");
    for (int i = 0; i < 12; ++i) {
        bad.send(to, broken);
    }
    const auto& c = g.server.layer.counters();
    ASSERT_TRUE(
        run_until(g.loop, [&] { return c.malformed_requests + c.policy_dropped_messages == 12; }));
    EXPECT_EQ(c.malformed_requests, 10u);  // each answered 400 until the tenth listed it
    EXPECT_EQ(c.policy_dropped_messages, 2u);
    EXPECT_EQ(g.guard.counters().blacklisted_malformed, 1u);
    bad.pump();
    EXPECT_EQ(bad.received.size(), 10u);
}

class DosTls : public ::testing::Test {
  protected:
    void SetUp() override {
        pki.add_ca("ca");
        leaf = pki.add_leaf("sbc", "ca", {"sbc.test"}, {"127.0.0.1"});
    }
    std::shared_ptr<sip::tls_server_context> server_ctx() {
        sip::tls_profile p;
        p.cert_file = leaf.cert;
        p.key_file = leaf.key;
        auto r = sip::tls_server_context::create({p});
        EXPECT_TRUE(r.ok()) << r.error();
        return *r;
    }
    std::shared_ptr<sip::tls_client_context> client_ctx() {
        sip::tls_profile p;
        p.ca_file = pki.ca("ca").cert;
        auto r = sip::tls_client_context::create(p);
        EXPECT_TRUE(r.ok()) << r.error();
        return *r;
    }
    // A TLS client whose connections leave from `ip` (the address of its TCP listener).
    std::unique_ptr<recording_server> client_from(sip::io_loop& loop, const char* ip) {
        auto c = std::make_unique<recording_server>(loop);
        c->answer_requests = false;
        EXPECT_TRUE(c->layer.listen_tcp(*sip::socket_address::from_ip(ip, 0)).ok());
        c->layer.set_tls_client(client_ctx());
        return c;
    }

    sip::test::temp_dir dir;
    sip::test::test_pki pki{dir.path()};
    sip::test::cert_files leaf;
};

TEST_F(DosTls, BlacklistedSourceIsClosedBeforeTheHandshakeAndComesBackAfterExpiry) {
    guarded g(guarded::settings());
    auto bound =
        g.server.layer.listen_tls(*sip::socket_address::from_ip("127.0.0.1", 0), server_ctx());
    ASSERT_TRUE(bound.ok()) << bound.error();
    const sip::destination to{sip::transport_type::tls, *bound, "sbc.test"};
    ASSERT_TRUE(
        g.guard.blacklist(*sip::socket_address::from_ip(attacker, 0), dos_reason::request_rate));
    auto bad = client_from(g.loop, attacker);
    auto good = client_from(g.loop, bystander);
    std::optional<sip::send_status> bad_sent;
    bad->layer.send(to, options_request(1, "TLS"), [&](sip::send_status s) { bad_sent = s; });
    good->layer.send(to, options_request(2, "TLS"));
    ASSERT_TRUE(run_until(g.loop, [&] { return bad_sent && good->messages.size() == 1; }));
    EXPECT_NE(bad_sent, sip::send_status::ok);
    EXPECT_TRUE(bad->messages.empty());
    const auto& c = g.server.layer.counters();
    EXPECT_EQ(c.policy_dropped_connections, 1u);
    EXPECT_EQ(c.tls_handshakes, 1u);          // the bystander's only
    EXPECT_EQ(c.tls_handshake_failures, 0u);  // never started for the attacker
    EXPECT_EQ(g.guard.counters().dropped_connections, 1u);

    g.now += 30s;
    bad->layer.send(to, options_request(3, "TLS"));
    ASSERT_TRUE(run_until(g.loop, [&] { return bad->messages.size() == 1; }));
    EXPECT_TRUE(bad->messages[0].bytes.starts_with("SIP/2.0 200 OK"));
    EXPECT_EQ(c.tls_handshakes, 2u);
}

}  // namespace
}  // namespace sbc::cp
