#include "sip/transport/io_loop.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;

// Runs the loop until `done` or a bounded number of iterations (each waits at most 100 ms).
template <typename Pred>
bool run_until(io_loop& loop, Pred done, int max_iterations = 200) {
    for (int i = 0; i < max_iterations && !done(); ++i) {
        loop.run_once(100ms);
    }
    return done();
}

struct socket_pair {
    int fd[2] = {-1, -1};
    socket_pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0); }
    ~socket_pair() {
        for (int f : fd) {
            if (f >= 0) {
                ::close(f);
            }
        }
    }
};

TEST(IoLoop, SendAndRecvComplete) {
    io_loop loop;
    socket_pair sp;
    const std::string msg = "OPTIONS sip:a SIP/2.0\r\n\r\n";
    int sent = -1;
    int got = -1;
    char buf[128] = {};
    loop.send(sp.fd[0], msg.data(), msg.size(), 0, [&](int r) { sent = r; });
    loop.recv(sp.fd[1], buf, sizeof buf, 0, [&](int r) { got = r; });
    ASSERT_TRUE(run_until(loop, [&] { return sent >= 0 && got >= 0; }));
    EXPECT_EQ(sent, static_cast<int>(msg.size()));
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(got)), msg);
    EXPECT_EQ(loop.in_flight(), 0u);
}

TEST(IoLoop, CancelRunsTheCallbackOnceWithECANCELED) {
    io_loop loop;
    socket_pair sp;
    char buf[16];
    int calls = 0;
    int result = 0;
    auto id = loop.recv(sp.fd[1], buf, sizeof buf, 0, [&](int r) {
        ++calls;
        result = r;
    });
    loop.run_once(0ms);  // submitted, nothing to read
    EXPECT_EQ(calls, 0);
    loop.cancel(id);
    ASSERT_TRUE(run_until(loop, [&] { return calls > 0; }));
    loop.run_once(10ms);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(result, -ECANCELED);
    loop.cancel(id);  // stale: no effect
    loop.run_once(10ms);
    EXPECT_EQ(calls, 1);
}

TEST(IoLoop, AcceptAndConnectOnLoopback) {
    io_loop loop;
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(lfd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(lfd, 8), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);

    int cfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int accepted = -1;
    int connected = 1;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    loop.accept(lfd, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK,
                [&](int r) { accepted = r; });
    loop.connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr,
                 [&](int r) { connected = r; });
    ASSERT_TRUE(run_until(loop, [&] { return accepted >= 0 && connected <= 0; }));
    EXPECT_EQ(connected, 0);
    EXPECT_GE(accepted, 0);
    EXPECT_EQ(peer.ss_family, AF_INET);
    ::close(accepted);
    ::close(cfd);
    ::close(lfd);
}

TEST(IoLoop, ConnectRefusedIsAnErrorResult) {
    io_loop loop;
    // Bind a port and close it again without listening: connecting there is refused.
    int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(probe);
    int cfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int connected = 1;
    loop.connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr,
                 [&](int r) { connected = r; });
    ASSERT_TRUE(run_until(loop, [&] { return connected <= 0; }));
    EXPECT_EQ(connected, -ECONNREFUSED);
    ::close(cfd);
}

TEST(IoLoop, WatchFiresOnEachReadinessUntilUnwatched) {
    io_loop loop;
    int efd = ::eventfd(0, EFD_NONBLOCK);
    ASSERT_GE(efd, 0);
    int fired = 0;
    auto id = loop.watch(efd, POLLIN, [&](unsigned revents) {
        EXPECT_TRUE(revents & POLLIN);
        std::uint64_t v;
        while (::read(efd, &v, sizeof v) == sizeof v) {
        }
        ++fired;
    });
    for (int round = 1; round <= 3; ++round) {
        std::uint64_t one = 1;
        ASSERT_EQ(::write(efd, &one, sizeof one), 8);
        ASSERT_TRUE(run_until(loop, [&] { return fired >= round; }));
    }
    loop.unwatch(id);
    loop.run_once(10ms);
    std::uint64_t one = 1;
    ASSERT_EQ(::write(efd, &one, sizeof one), 8);
    for (int i = 0; i < 3; ++i) {
        loop.run_once(10ms);
    }
    EXPECT_EQ(fired, 3);
    EXPECT_EQ(loop.in_flight(), 0u);
    ::close(efd);
}

TEST(IoLoop, UnwatchFromInsideTheCallback) {
    io_loop loop;
    int efd = ::eventfd(0, EFD_NONBLOCK);
    int fired = 0;
    op_id id;
    id = loop.watch(efd, POLLIN, [&](unsigned) {
        ++fired;
        loop.unwatch(id);  // leaves the counter readable: no more callbacks must come
    });
    std::uint64_t one = 1;
    ASSERT_EQ(::write(efd, &one, sizeof one), 8);
    ASSERT_TRUE(run_until(loop, [&] { return fired > 0; }));
    for (int i = 0; i < 3; ++i) {
        loop.run_once(10ms);
    }
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(loop.in_flight(), 0u);
    ::close(efd);
}

TEST(IoLoop, TimersPostAndPeriodicTasks) {
    io_loop loop;
    std::vector<std::string> order;
    loop.run_after(20ms, [&] { order.push_back("after20"); });
    loop.run_after(5ms, [&] { order.push_back("after5"); });
    loop.post([&] { order.push_back("posted"); });
    int periodic_runs = 0;
    std::uint64_t every = 0;
    every = loop.run_every(2ms, [&] {
        if (++periodic_runs == 3) {
            loop.cancel_every(every);  // cancels itself while running
        }
    });
    auto cancelled = loop.run_after(10ms, [&] { order.push_back("cancelled"); });
    EXPECT_TRUE(loop.cancel_timer(cancelled));
    ASSERT_TRUE(run_until(loop, [&] { return order.size() >= 3 && periodic_runs >= 3; }));
    for (int i = 0; i < 3; ++i) {
        loop.run_once(5ms);
    }
    EXPECT_EQ(order, (std::vector<std::string>{"posted", "after5", "after20"}));
    EXPECT_EQ(periodic_runs, 3);
    EXPECT_FALSE(loop.cancel_every(every));
}

TEST(IoLoop, RunUntilStop) {
    io_loop loop;
    int n = 0;
    loop.run_every(1ms, [&] {
        if (++n == 5) {
            loop.stop();
        }
    });
    loop.run();
    EXPECT_EQ(n, 5);
}

TEST(IoLoop, DestroyingWithOperationsInFlightDoesNotRunCallbacks) {
    socket_pair sp;
    char buf[16];
    bool ran = false;
    {
        io_loop loop;
        loop.recv(sp.fd[1], buf, sizeof buf, 0, [&](int) { ran = true; });
        loop.run_once(0ms);
    }
    EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace sbc::sip
