// Issue 10, "close the class": an exception thrown by any callback the loop runs is caught,
// counted, reported with what was running, and the loop and every other callback, connection and
// listener carry on. Each kind of callback is made to throw here: completions, watches, timers
// (also two due at once), periodic and posted tasks, and in the transport the message handler
// (a datagram is dropped, a stream connection closed), the close handler, the source policy and
// the TLS selector.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "sip/transport/io_loop.hpp"
#include "sip_samples.hpp"
#include "test_peers.hpp"
#include "test_support.hpp"

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;
using test::options_request;
using test::run_for;
using test::run_until;

const socket_address loopback = *socket_address::parse("127.0.0.1:0");

struct reports {
    std::vector<std::pair<std::string, std::string>> seen;
    void attach(io_loop& loop) {
        loop.set_fault_reporter([this](std::string_view label, std::string_view what) {
            seen.emplace_back(label, what);
        });
    }
};

TEST(CallbackGuard, EveryKindOfLoopCallbackThatThrowsIsCountedAndTheLoopGoesOn) {
    io_loop loop;
    reports r;
    r.attach(loop);
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    char buf[16];
    bool later_completion = false;
    // A completion that throws, then another on the same loop.
    loop.recv(fds[1], buf, sizeof buf, 0, [](int) { throw std::runtime_error("recv handler"); });
    ASSERT_EQ(::send(fds[0], "x", 1, 0), 1);
    ASSERT_TRUE(run_until(
        loop, [&] { return loop.callback_faults() == 1; }, 2s));
    loop.send(fds[0], "y", 1, 0, [&](int) { later_completion = true; });
    ASSERT_TRUE(run_until(
        loop, [&] { return later_completion; }, 2s));

    // Two timers due at the same tick: the first throws, the second still runs on time.
    bool second_timer = false;
    loop.run_after(5ms, [] { throw std::logic_error("timer handler"); });
    loop.run_after(5ms, [&] { second_timer = true; });
    ASSERT_TRUE(run_until(
        loop, [&] { return second_timer; }, 2s));
    EXPECT_EQ(loop.callback_faults(), 2u);

    // A posted task, a periodic task (which keeps running after it threw) and a watch.
    int periodic = 0;
    loop.post([] { throw std::runtime_error("posted"); });
    const auto every = loop.run_every(2ms, [&] {
        if (++periodic == 1) {
            throw std::runtime_error("periodic");
        }
    });
    const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int watched = 0;
    const op_id w = loop.watch(efd, POLLIN, [&](unsigned) {
        std::uint64_t v;
        (void)::read(efd, &v, sizeof v);
        if (++watched == 1) {
            throw 42;  // not even a std::exception
        }
    });
    std::uint64_t one = 1;
    ASSERT_EQ(::write(efd, &one, sizeof one), 8);
    ASSERT_TRUE(run_until(
        loop, [&] { return watched == 1 && periodic >= 3; }, 2s));
    ASSERT_EQ(::write(efd, &one, sizeof one), 8);  // the watch is still armed
    ASSERT_TRUE(run_until(
        loop, [&] { return watched == 2; }, 2s));
    loop.cancel_every(every);
    loop.unwatch(w);
    run_for(loop, 20ms);
    ::close(efd);
    ::close(fds[0]);
    ::close(fds[1]);

    EXPECT_EQ(loop.callback_faults(), 5u);
    ASSERT_EQ(r.seen.size(), 5u);
    EXPECT_EQ(r.seen[0], (std::pair<std::string, std::string>{"recv completion", "recv handler"}));
    EXPECT_EQ(r.seen[1], (std::pair<std::string, std::string>{"timer", "timer handler"}));
    std::vector<std::string> labels;
    for (std::size_t i = 2; i < r.seen.size(); ++i) {
        labels.push_back(r.seen[i].first);
    }
    std::sort(labels.begin(), labels.end());
    EXPECT_EQ(labels, (std::vector<std::string>{"periodic task", "posted task", "watch"}));
}

TEST(CallbackGuard, AReporterThatThrowsIsSwallowedAndTheDefaultEscapesPeerBytes) {
    callback_guard g;
    g.set_reporter([](std::string_view, std::string_view) { throw std::runtime_error("log"); });
    EXPECT_FALSE(g.run("x", [] { throw std::runtime_error("boom"); }));
    EXPECT_TRUE(g.run("y", [] {}));
    EXPECT_EQ(g.faults(), 1u);

    callback_guard quiet;  // the default reporter writes one escaped line to stderr
    ::testing::internal::CaptureStderr();
    quiet.run("label\r\nInjected", [] { throw std::runtime_error("what\xff\n"); });
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(err, "sip: label\\x0d\\x0aInjected threw: what\\xff\\x0a\n");
}

// The transport: a message handler that throws on some messages.
struct throwing_server {
    explicit throwing_server(io_loop& loop)
        : layer(loop, {},
                transport_layer::handlers{
                    [this](message&& m, const transport_context& ctx) {
                        if (m.find("X-Throw") != nullptr) {
                            throw std::runtime_error("handler refused " + std::string(m.call_id()));
                        }
                        ++delivered;
                        layer.reply(ctx, response_for(m, 200, {}, "t").serialize());
                    },
                    [this](const connection_closed& c) {
                        closed.push_back(c);
                        throw std::runtime_error("close handler");
                    }}) {}
    transport_layer layer;
    int delivered = 0;
    std::vector<connection_closed> closed;
};

std::string throwing_request(int n, const std::string& transport = "TCP") {
    std::string r = options_request(n, transport);
    r.insert(r.find("Max-Forwards"), "X-Throw: yes\r\n");
    return r;
}

TEST(TransportHandlerFaults, AThrowingHandlerDropsTheDatagramAndTheListenerReadsOn) {
    io_loop loop;
    reports r;
    r.attach(loop);
    throwing_server srv(loop);
    auto bound = srv.layer.listen_udp(loopback);
    ASSERT_TRUE(bound.ok()) << bound.error();
    test::udp_client c;
    ASSERT_TRUE(c.send_to(*bound, throwing_request(1, "UDP")));
    ASSERT_TRUE(c.send_to(*bound, options_request(2, "UDP")));
    ASSERT_TRUE(run_until(loop, [&] { return srv.delivered == 1; }));
    ASSERT_TRUE(c.send_to(*bound, throwing_request(3, "UDP")));
    ASSERT_TRUE(c.send_to(*bound, options_request(4, "UDP")));
    ASSERT_TRUE(run_until(loop, [&] { return srv.delivered == 2; }));
    run_for(loop, 20ms);
    c.pump();
    ASSERT_EQ(c.received().size(), 2u);  // answers to the clean requests only
    EXPECT_EQ(srv.layer.counters().handler_faults, 2u);
    EXPECT_EQ(loop.callback_faults(), 2u);
    ASSERT_EQ(r.seen.size(), 2u);
    EXPECT_TRUE(r.seen[0].first.starts_with("datagram (UDP 127.0.0.1:")) << r.seen[0].first;
    EXPECT_EQ(r.seen[0].second, "handler refused call-1");
}

TEST(TransportHandlerFaults, AThrowingHandlerClosesThatConnectionOnlyOthersCarryOn) {
    io_loop loop;
    reports r;
    r.attach(loop);
    throwing_server srv(loop);
    auto bound = srv.layer.listen_tcp(loopback);
    ASSERT_TRUE(bound.ok()) << bound.error();
    test::tcp_client victim(*bound);
    test::tcp_client bystander(*bound);
    ASSERT_TRUE(bystander.send(options_request(1)));
    ASSERT_TRUE(run_until(loop, [&] { return srv.delivered == 1; }));
    // The faulty message, then a clean one in the same write: the connection goes at the fault.
    ASSERT_TRUE(victim.send(throwing_request(2) + options_request(3)));
    ASSERT_TRUE(run_until(loop, [&] { return victim.pump(), victim.eof(); }));
    EXPECT_EQ(srv.delivered, 1);
    ASSERT_TRUE(run_until(loop, [&] { return srv.closed.size() == 1; }));
    EXPECT_EQ(srv.closed[0].reason, close_reason::internal_error);
    // The close handler threw too: counted, nothing else happened.
    EXPECT_EQ(srv.layer.counters().handler_faults, 2u);
    EXPECT_EQ(loop.callback_faults(), 2u);
    // The other connection and the listener are fine.
    ASSERT_TRUE(bystander.send(options_request(4)));
    ASSERT_TRUE(run_until(loop, [&] { return srv.delivered == 2; }));
    test::tcp_client newcomer(*bound);
    ASSERT_TRUE(newcomer.send(options_request(5)));
    ASSERT_TRUE(run_until(loop, [&] { return srv.delivered == 3; }));
    EXPECT_EQ(srv.layer.connection_count(), 2u);
}

// A source policy whose every answer throws: each connection it is asked about is closed, each
// message dropped; the listener keeps accepting.
class throwing_policy final : public source_policy {
  public:
    source_verdict on_connection(const socket_address&, std::size_t) override {
        if (throw_on_connection) {
            throw std::runtime_error("policy: connection");
        }
        return source_verdict::accept;
    }
    source_verdict on_message(const socket_address&, transport_type, message_kind) override {
        throw std::runtime_error("policy: message");
    }
    void on_malformed(const socket_address&) override {}
    std::uint32_t retry_after_s() const override { return 1; }
    bool throw_on_connection = true;
};

TEST(TransportHandlerFaults, AThrowingSourcePolicyCostsTheConnectionNotTheListener) {
    io_loop loop;
    reports r;
    r.attach(loop);
    throwing_server srv(loop);
    throwing_policy policy;
    srv.layer.set_source_policy(&policy);
    auto bound = srv.layer.listen_tcp(loopback);
    ASSERT_TRUE(bound.ok()) << bound.error();
    for (int i = 0; i < 3; ++i) {
        test::tcp_client c(*bound);
        c.send(options_request(i));
        ASSERT_TRUE(run_until(loop, [&] { return c.pump(), c.eof(); })) << i;
    }
    EXPECT_EQ(srv.layer.connection_count(), 0u);
    EXPECT_EQ(srv.layer.counters().handler_faults, 3u);
    EXPECT_TRUE(r.seen.at(0).first.starts_with("accept (TCP 127.0.0.1:")) << r.seen.at(0).first;
    // Accepted, then the message policy throws: that connection closes.
    policy.throw_on_connection = false;
    test::tcp_client c(*bound);
    c.send(options_request(9));
    ASSERT_TRUE(run_until(loop, [&] { return c.pump(), c.eof(); }));
    EXPECT_EQ(srv.delivered, 0);
    EXPECT_EQ(srv.layer.counters().handler_faults, 5u);  // the message, then the close handler
    srv.layer.set_source_policy(nullptr);
}

}  // namespace
}  // namespace sbc::sip
