// The scrape endpoint over real loopback TCP on a real io_loop: a scrape, and every way a
// hostile scraper can try to hurt sbcd (garbage, control bytes, a huge request line, slowloris,
// a connection flood, a reader that never drains the answer) costs it a bounded amount and
// leaves the endpoint answering the next scraper.
#include "controlplane/metrics/metrics_endpoint.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/sip/transport/test_support.hpp"

namespace sbc::cp::metrics {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using sip::test::run_until;

// A blocking-free client socket: the loop runs in this thread too.
class client {
  public:
    explicit client(std::uint16_t port, int rcvbuf = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (rcvbuf > 0) {
            (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    }
    ~client() { ::close(fd_); }
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // As much as the socket takes now (loopback takes a lot; the test bounds the rest).
    std::size_t send(const std::string& bytes) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    // Reads what is there; true once the server closed.
    bool pump() {
        char buf[65536];
        for (;;) {
            const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
            if (n > 0) {
                got.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                closed = true;
            }
            return closed;
        }
    }
    std::string got;
    bool closed = false;

  private:
    int fd_ = -1;
};

struct fixture {
    sip::io_loop loop;
    std::string page = "# HELP sbc_x x\n# TYPE sbc_x gauge\nsbc_x 1\n";
    bool throw_on_render = false;
    endpoint_limits limits;
    std::unique_ptr<metrics_endpoint> ep;

    explicit fixture(endpoint_limits l = {}) : limits(l) {
        ep = std::make_unique<metrics_endpoint>(
            loop,
            [this] {
                if (throw_on_render) {
                    throw std::runtime_error("render failed");
                }
                return page;
            },
            limits);
        const cp::status st = ep->open("127.0.0.1", 0);
        EXPECT_TRUE(st) << st.message();
    }

    // Sends `request` and waits for the answer and the close.
    std::string exchange(const std::string& request) {
        client c(ep->port());
        run_until(
            loop, [&] { return c.send(request) > 0; }, 2s);
        EXPECT_TRUE(run_until(
            loop, [&] { return c.pump(); }, 5s))
            << "no close";
        return c.got;
    }
};

TEST(MetricsEndpoint, GetMetricsAnswersThePageAndCloses) {
    fixture f;
    const std::string got = f.exchange("GET /metrics HTTP/1.1\r\nHost: sbc\r\n\r\n");
    EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << got;
    EXPECT_NE(got.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << got;
    EXPECT_NE(got.find("Content-Length: " + std::to_string(f.page.size()) + "\r\n"),
              std::string::npos)
        << got;
    EXPECT_EQ(got.substr(got.size() - f.page.size()), f.page);
    EXPECT_EQ(f.ep->counters().scrapes, 1U);
    EXPECT_EQ(f.ep->counters().connections, 0U) << "closed after the answer";
}

TEST(MetricsEndpoint, WrongPathMethodOrGarbageGetsItsStatusAndNoPage) {
    fixture f;
    EXPECT_EQ(f.exchange("GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0U);
    EXPECT_EQ(f.exchange("POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0U);
    const std::string garbage[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"s,  // a TLS ClientHello
        "GET /metrics\r\n\r\n",                                   // HTTP/0.9
        "GET /metrics HTTP/1.1 x\r\n\r\n",
        "GET /metr\0ics HTTP/1.1\r\n\r\n"s,
        "GET /metrics\rHTTP/1.1\r\n\r\n",  // bare CR
        "\xff\xfe\xfd /metrics HTTP/1.1\r\n\r\n",
        "OPTIONS sip:sbc SIP/2.0\r\n\r\n",
    };
    for (const std::string& g : garbage) {
        const std::string got = f.exchange(g);
        EXPECT_TRUE(got.rfind("HTTP/1.1 400", 0) == 0 || got.rfind("HTTP/1.1 404", 0) == 0 ||
                    got.rfind("HTTP/1.1 405", 0) == 0)
            << got;
        EXPECT_EQ(got.find("sbc_x"), std::string::npos) << got;
    }
    EXPECT_EQ(f.ep->counters().bad_requests, 2U + std::size(garbage));
    EXPECT_EQ(f.ep->counters().scrapes, 0U);
    // Still serving.
    EXPECT_NE(f.exchange("GET /metrics HTTP/1.0\r\n\r\n").find("sbc_x 1"), std::string::npos);
}

TEST(MetricsEndpoint, HugeRequestLineIsAnswered431AndNotBuffered) {
    fixture f;
    client c(f.ep->port());
    const std::string huge = "GET /" + std::string(8 << 20, 'a');  // 8 MiB, no line end
    std::size_t sent = 0;
    run_until(
        f.loop,
        [&] {
            if (sent < huge.size()) {
                sent += c.send(huge.substr(sent, 65536));
            }
            return c.pump();
        },
        5s);
    EXPECT_TRUE(c.closed);
    EXPECT_EQ(f.ep->counters().oversize_requests, 1U);
    EXPECT_LT(sent, huge.size()) << "the endpoint stopped reading at its limit";
    EXPECT_NE(f.exchange("GET /metrics HTTP/1.1\r\n\r\n").find("sbc_x 1"), std::string::npos);
}

TEST(MetricsEndpoint, SlowlorisIsClosedAtTheDeadlineWhileOthersAreServed) {
    endpoint_limits l;
    l.request_timeout = 300ms;
    fixture f(l);
    client slow(f.ep->port());
    run_until(
        f.loop, [&] { return slow.send("GET /met") > 0; }, 1s);
    // Another scraper is served while the slow one holds its connection.
    EXPECT_NE(f.exchange("GET /metrics HTTP/1.1\r\n\r\n").find("sbc_x 1"), std::string::npos);
    EXPECT_TRUE(run_until(
        f.loop, [&] { return slow.pump(); }, 3s))
        << "slowloris not closed";
    EXPECT_EQ(slow.got, "") << "no answer to half a request";
    EXPECT_EQ(f.ep->counters().timeouts, 1U);
    EXPECT_EQ(f.ep->counters().connections, 0U);
}

TEST(MetricsEndpoint, ConnectionFloodIsBoundedAndServiceReturns) {
    endpoint_limits l;
    l.max_connections = 4;
    l.request_timeout = 300ms;
    fixture f(l);
    std::vector<std::unique_ptr<client>> flood;
    for (int i = 0; i < 50; ++i) {
        flood.push_back(std::make_unique<client>(f.ep->port()));
    }
    // The kernel's listen backlog (16) holds some of the 50 back; every one that reaches
    // accept beyond the 4 is closed at once.
    run_until(
        f.loop, [&] { return f.ep->counters().refused_connections >= 20; }, 3s);
    EXPECT_GE(f.ep->counters().refused_connections, 20U);
    EXPECT_LE(f.ep->counters().refused_connections, 46U);
    EXPECT_LE(f.ep->counters().connections, 4U);
    // The held ones time out; then a scraper gets through.
    EXPECT_TRUE(run_until(
        f.loop, [&] { return f.ep->counters().connections == 0; }, 3s));
    EXPECT_NE(f.exchange("GET /metrics HTTP/1.1\r\n\r\n").find("sbc_x 1"), std::string::npos);
}

TEST(MetricsEndpoint, ReaderThatNeverDrainsIsClosedAtTheDeadline) {
    endpoint_limits l;
    l.request_timeout = 300ms;
    fixture f(l);
    f.page.assign(16 << 20, '#');  // far more than the socket buffers hold
    client c(f.ep->port(), 4096);
    run_until(
        f.loop, [&] { return c.send("GET /metrics HTTP/1.1\r\n\r\n") > 0; }, 1s);
    EXPECT_TRUE(run_until(
        f.loop, [&] { return f.ep->counters().timeouts == 1; }, 3s));
    EXPECT_EQ(f.ep->counters().connections, 0U);
}

TEST(MetricsEndpoint, RenderFailureIsA500NotAThrow) {
    fixture f;
    f.throw_on_render = true;
    EXPECT_EQ(f.exchange("GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 500", 0), 0U);
}

TEST(MetricsEndpoint, OpenNamesTheSettingOnABadAddressOrABusyPort) {
    fixture f;
    sip::io_loop loop;
    metrics_endpoint other(loop, [] { return std::string(); });
    const cp::status busy = other.open("127.0.0.1", f.ep->port());
    ASSERT_FALSE(busy);
    EXPECT_NE(busy.message().find("mgmt.metrics_port"), std::string::npos) << busy.message();
    metrics_endpoint bad(loop, [] { return std::string(); });
    const cp::status st = bad.open("localhost", 9464);
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("mgmt.metrics_address"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace sbc::cp::metrics
