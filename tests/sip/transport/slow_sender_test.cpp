// Issue 10 finding 5, slow senders, over real TCP and TLS sockets and the loop's timer wheel: a
// message must arrive whole within message_read_timeout of its first byte (a 1 byte/s trickle is
// closed), and an accepted connection that says nothing (or only pings) is closed after
// first_message_timeout, long before connection_idle_timeout.
#include <gtest/gtest.h>

#include <chrono>

#include "sip_samples.hpp"
#include "test_peers.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"
#include "tls_client.hpp"

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;
using test::options_request;
using test::recording_server;
using test::run_for;
using test::run_until;

const socket_address loopback = *socket_address::parse("127.0.0.1:0");

TEST(SlowSenders, DefaultsBoundBothWaits) {
    const transport_limits defaults;
    EXPECT_EQ(defaults.message_read_timeout, 10000ms);
    EXPECT_EQ(defaults.first_message_timeout, 5000ms);
    EXPECT_LT(defaults.first_message_timeout, defaults.idle_timeout);
}

class TlsSlowSenders : public ::testing::Test {
  protected:
    void SetUp() override {
        pki.add_ca("ca");
        server = pki.add_leaf("sbc", "ca", {"sbc.test"}, {"127.0.0.1"});
    }

    std::shared_ptr<tls_server_context> server_ctx() {
        tls_profile p;
        p.cert_file = server.cert;
        p.key_file = server.key;
        auto r = tls_server_context::create({p});
        EXPECT_TRUE(r.ok()) << r.error();
        return r.ok() ? *r : nullptr;
    }

    test::temp_dir dir;
    test::test_pki pki{dir.path()};
    test::cert_files server;
};

// The finding as reported: a valid request at one byte per second over TLS. Closed once the
// request is older than message_read_timeout (2 s here), never delivered; a client that sends the
// same request at once on another connection meanwhile is served.
TEST_F(TlsSlowSenders, OneBytePerSecondTrickleIsClosed) {
    io_loop loop;
    transport_limits limits;
    limits.message_read_timeout = 2s;
    limits.first_message_timeout = 0ms;  // only the message clock is under test
    limits.linger = 200ms;
    recording_server srv(loop, limits);
    auto bound = srv.layer.listen_tls(loopback, server_ctx());
    ASSERT_TRUE(bound.ok()) << bound.error();

    test::tls_client slow(*bound, pki.ca("ca").cert);
    ASSERT_TRUE(run_until(
        loop, [&] { return slow.handshake(); }, 5s));
    const std::string request = options_request(1, "TLS");
    const auto first_byte = std::chrono::steady_clock::now();
    std::size_t sent = 0;
    // Bounded: at most 12 bytes (12 s); the server must give up after about 2.
    while (sent < 12 && !slow.eof()) {
        ASSERT_TRUE(slow.send(std::string_view(request).substr(sent, 1)));
        ++sent;
        run_until(
            loop, [&] { return slow.pump(), slow.eof(); }, 1s);
    }
    const auto held = std::chrono::steady_clock::now() - first_byte;
    EXPECT_TRUE(slow.eof()) << "still open after " << sent << " bytes";
    EXPECT_GE(held, 2s);  // not before the limit
    EXPECT_LE(sent, 5u);
    EXPECT_TRUE(srv.messages.empty());
    EXPECT_EQ(srv.layer.counters().message_read_timeouts, 1u);
    ASSERT_TRUE(run_until(loop, [&] { return srv.closed.size() == 1; }));  // after its linger
    EXPECT_EQ(srv.closed[0].reason, close_reason::message_read_timeout);

    test::tls_client quick(*bound, pki.ca("ca").cert);
    ASSERT_TRUE(run_until(
        loop, [&] { return quick.handshake(); }, 5s));
    ASSERT_TRUE(quick.send(request));
    ASSERT_TRUE(run_until(loop, [&] {
        quick.pump();
        return quick.received().find("SIP/2.0 200") != std::string::npos;
    }));
    EXPECT_EQ(srv.messages.size(), 1u);
}

// A TLS connection that completes its handshake and then says nothing is closed after
// first_message_timeout, not kept for the idle timeout.
TEST_F(TlsSlowSenders, SilentConnectionIsClosedAfterTheFirstMessageTimeout) {
    io_loop loop;
    transport_limits limits;
    limits.first_message_timeout = 300ms;
    limits.idle_timeout = 60s;
    limits.linger = 200ms;
    recording_server srv(loop, limits);
    auto bound = srv.layer.listen_tls(loopback, server_ctx());
    ASSERT_TRUE(bound.ok()) << bound.error();
    test::tls_client silent(*bound, pki.ca("ca").cert);
    ASSERT_TRUE(run_until(
        loop, [&] { return silent.handshake(); }, 5s));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(run_until(
        loop, [&] { return silent.pump(), silent.eof(); }, 5s));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
    EXPECT_EQ(srv.layer.counters().first_message_timeouts, 1u);
    ASSERT_TRUE(run_until(loop, [&] { return srv.closed.size() == 1; }));  // after its linger
    EXPECT_EQ(srv.closed[0].reason, close_reason::first_message_timeout);
}

TEST(SlowSendersTcp, EachMessageHasItsOwnClock) {
    io_loop loop;
    transport_limits limits;
    limits.message_read_timeout = 400ms;
    recording_server srv(loop, limits);
    auto bound = srv.layer.listen_tcp(loopback);
    ASSERT_TRUE(bound.ok()) << bound.error();
    test::tcp_client c(*bound);
    ASSERT_TRUE(c.connected());
    // Three messages, each in three pieces 100 ms apart: every one is whole within its 400 ms,
    // the three together take longer than that. The second starts in the read that ends the
    // first (its clock starts there).
    const std::string m1 = options_request(1), m2 = options_request(2), m3 = options_request(3);
    const std::string pieces[] = {m1.substr(0, 100),  m1.substr(100) + m2.substr(0, 50),
                                  m2.substr(50, 100), m2.substr(150) + m3.substr(0, 30),
                                  m3.substr(30, 100), m3.substr(130)};
    for (const std::string& p : pieces) {
        ASSERT_TRUE(c.send(p));
        run_for(loop, 100ms);
    }
    ASSERT_TRUE(run_until(
        loop, [&] { return srv.messages.size() == 3; }, 2s));
    EXPECT_TRUE(srv.closed.empty());
    EXPECT_EQ(srv.layer.counters().message_read_timeouts, 0u);
    // A head that stops half way, with no more bytes: closed once its clock runs out.
    ASSERT_TRUE(c.send(options_request(4).substr(0, 60)));
    ASSERT_TRUE(run_until(
        loop, [&] { return c.pump(), c.eof(); }, 3s));
    EXPECT_EQ(srv.layer.counters().message_read_timeouts, 1u);
    EXPECT_EQ(srv.messages.size(), 3u);
    // The body counts too: a complete head whose body never comes.
    test::tcp_client body(*bound);
    std::string no_body = options_request(5, "TCP", std::string(40, 'b'));
    ASSERT_TRUE(body.send(no_body.substr(0, no_body.size() - 10)));
    ASSERT_TRUE(run_until(
        loop, [&] { return body.pump(), body.eof(); }, 3s));
    EXPECT_EQ(srv.layer.counters().message_read_timeouts, 2u);
}

TEST(SlowSendersTcp, PingsAreNotAFirstMessage) {
    io_loop loop;
    transport_limits limits;
    limits.first_message_timeout = 300ms;
    limits.linger = 200ms;
    recording_server srv(loop, limits);
    auto bound = srv.layer.listen_tcp(loopback);
    ASSERT_TRUE(bound.ok()) << bound.error();
    // Keep-alives only: answered (pong), and closed at the first message timeout all the same.
    test::tcp_client pinger(*bound);
    // A connection that sends its request in time stays open past the first message timeout.
    test::tcp_client talker(*bound);
    ASSERT_TRUE(talker.send(options_request(1)));
    for (int i = 0; i < 10 && !pinger.eof(); ++i) {
        pinger.send("\r\n\r\n");
        run_for(loop, 60ms);
        pinger.pump();
    }
    ASSERT_TRUE(run_until(
        loop, [&] { return pinger.pump(), pinger.eof(); }, 2s));
    EXPECT_NE(pinger.received().find("\r\n"), std::string::npos);  // pongs came back
    run_for(loop, 100ms);
    talker.pump();
    EXPECT_FALSE(talker.eof());
    EXPECT_NE(talker.received().find("SIP/2.0 200"), std::string::npos);
    EXPECT_EQ(srv.layer.counters().first_message_timeouts, 1u);
    EXPECT_GT(srv.layer.counters().keepalive_pings_rx, 0u);
    ASSERT_TRUE(run_until(loop, [&] { return srv.closed.size() == 1; }));  // after its linger
    EXPECT_EQ(srv.closed[0].reason, close_reason::first_message_timeout);
}

// Outbound connections (toward OSV) are not subject to the first message limit: OSV may only
// ever answer on them.
TEST(SlowSendersTcp, OutboundConnectionsHaveNoFirstMessageLimit) {
    io_loop loop;
    transport_limits quiet;
    quiet.first_message_timeout = 200ms;
    recording_server peer(loop);  // answers our request, then stays quiet
    auto bound = peer.layer.listen_tcp(loopback);
    ASSERT_TRUE(bound.ok()) << bound.error();
    recording_server us(loop, quiet);
    us.answer_requests = false;
    ASSERT_EQ(us.layer.send(destination{transport_type::tcp, *bound, ""}, options_request(1)),
              send_status::ok);
    ASSERT_TRUE(run_until(loop, [&] { return us.messages.size() == 1; }));
    run_for(loop, 500ms);
    EXPECT_TRUE(us.closed.empty());
    EXPECT_EQ(us.layer.counters().first_message_timeouts, 0u);
    EXPECT_EQ(us.layer.connection_count(), 1u);
}

}  // namespace
}  // namespace sbc::sip
