// Issue 10 findings 2 and 5 through real sockets, on UDP, TCP and TLS alike: a request with a
// NUL, a bare CR or another control character in a header value is answered 400 naming the
// header and never delivered; 0xFF is delivered (not a control character); a header line over the
// limit and a head with too many headers are answered (400) before a stream is closed; a request
// cut short is never delivered.
#include <gtest/gtest.h>

#include <memory>

#include "sip/text.hpp"
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

std::string with(std::string request, std::string_view find, std::string_view replace) {
    request.replace(request.find(find), find.size(), replace);
    return request;
}

// A peer of one transport type: sends bytes, collects what comes back.
class peer {
  public:
    virtual ~peer() = default;
    virtual bool send(std::string_view bytes) = 0;
    virtual std::string received() = 0;
    virtual bool closed() = 0;
};

class udp_peer final : public peer {
  public:
    explicit udp_peer(const socket_address& to) : to_(to) {}
    bool send(std::string_view bytes) override { return c_.send_to(to_, bytes); }
    std::string received() override {
        c_.pump();
        std::string all;
        for (const auto& d : c_.received()) {
            all += d;
        }
        return all;
    }
    bool closed() override { return false; }

  private:
    socket_address to_;
    test::udp_client c_;
};

class tcp_peer final : public peer {
  public:
    explicit tcp_peer(const socket_address& to) : c_(to) {}
    bool send(std::string_view bytes) override { return c_.send(bytes); }
    std::string received() override { return c_.pump(), c_.received(); }
    bool closed() override { return c_.pump(), c_.eof(); }

  private:
    test::tcp_client c_;
};

class tls_peer final : public peer {
  public:
    tls_peer(io_loop& loop, const socket_address& to, const std::string& ca) : c_(to, ca) {
        run_until(
            loop, [&] { return c_.handshake(); }, 5s);
    }
    bool send(std::string_view bytes) override { return c_.send(bytes); }
    std::string received() override { return c_.pump(), c_.received(); }
    bool closed() override { return c_.pump(), c_.eof(); }

  private:
    test::tls_client c_;
};

class HostilePeers : public ::testing::TestWithParam<transport_type> {
  protected:
    void SetUp() override {
        pki.add_ca("ca");
        cert = pki.add_leaf("sbc", "ca", {"sbc.test"}, {"127.0.0.1"});
        limits.max_line_length = 1024;
        limits.max_headers = 32;
        limits.linger = 200ms;
        server = std::make_unique<recording_server>(loop, limits);
        result<socket_address, std::string> bound = std::string("none");
        switch (GetParam()) {
            case transport_type::udp:
                bound = server->layer.listen_udp(loopback);
                break;
            case transport_type::tcp:
                bound = server->layer.listen_tcp(loopback);
                break;
            case transport_type::tls: {
                tls_profile p;
                p.cert_file = cert.cert;
                p.key_file = cert.key;
                auto ctx = tls_server_context::create({p});
                ASSERT_TRUE(ctx.ok()) << ctx.error();
                bound = server->layer.listen_tls(loopback, *ctx);
                break;
            }
        }
        ASSERT_TRUE(bound.ok()) << bound.error();
        address = *bound;
    }

    std::unique_ptr<peer> connect() {
        switch (GetParam()) {
            case transport_type::udp:
                return std::make_unique<udp_peer>(address);
            case transport_type::tcp:
                return std::make_unique<tcp_peer>(address);
            case transport_type::tls:
                return std::make_unique<tls_peer>(loop, address, pki.ca("ca").cert);
        }
        return nullptr;
    }

    std::string transport() const { return std::string(transport_name(GetParam())); }

    // Sends and waits for `answers` status lines (or the peer's end); returns what came back.
    std::string exchange(peer& p, std::string_view bytes, std::size_t answers = 1) {
        EXPECT_TRUE(p.send(bytes));
        run_until(loop, [&] {
            return test::count_of(p.received(), "SIP/2.0 ") >= answers || p.closed();
        });
        return p.received();
    }

    io_loop loop;
    test::temp_dir dir;
    test::test_pki pki{dir.path()};
    test::cert_files cert;
    transport_limits limits;
    std::unique_ptr<recording_server> server;
    socket_address address;
};

TEST_P(HostilePeers, ControlCharactersInHeaderValuesGet400NamingTheHeader) {
    struct hostile {
        std::string bytes;
        std::string reason;
    };
    const std::string t = transport();
    const hostile cases[] = {
        {with(options_request(1, t), ";tag=a1",
              std::string(";tag=a\0"
                          "1",
                          8)),
         "Bad Request (control character in From)"},
        {with(options_request(2, t), "Max-Forwards: 70\r\n", "Subject: a\rb\r\n"),
         "Bad Request (control character in Subject)"},
        {with(options_request(3, t), "Max-Forwards: 70\r\n", "X-Note: \x1b[2J\r\n"),
         "Bad Request (control character in X-Note)"},
        {with(options_request(4, t), "call-4", "call\x7f-4"),
         "Bad Request (control character in Call-ID)"},
    };
    auto p = connect();
    std::size_t answered = 0;
    for (const hostile& h : cases) {
        const std::string got = exchange(*p, h.bytes, ++answered);
        ASSERT_EQ(test::count_of(got, "SIP/2.0 400 " + h.reason + "\r\n"), 1u) << got;
        // Nothing of the hostile bytes comes back: every CR ends a line.
        EXPECT_EQ(got.find('\0'), std::string::npos);
        EXPECT_EQ(got.find('\x1b'), std::string::npos);
        EXPECT_EQ(got.find('\x7f'), std::string::npos);
        for (std::size_t i = got.find('\r'); i != std::string::npos; i = got.find('\r', i + 1)) {
            EXPECT_EQ(got[i + 1], '\n');
        }
    }
    EXPECT_TRUE(server->messages.empty());
    EXPECT_EQ(server->layer.counters().malformed_requests, 4u);
    // The connection stays for the next, clean request.
    const std::string got = exchange(*p, options_request(5, t), 5);
    EXPECT_NE(got.find("SIP/2.0 200 OK"), std::string::npos) << got;
    EXPECT_FALSE(p->closed());
    ASSERT_EQ(server->messages.size(), 1u);
}

TEST_P(HostilePeers, HighBytesAndFoldsAreDeliveredFoldsUnfolded) {
    const std::string t = transport();
    std::string bytes = with(options_request(1, t), "Max-Forwards: 70\r\n",
                             "Max-Forwards: 70\r\nUser-Agent: Zoom\xff\xfe\r\n"
                             "Subject: one\r\n two\r\n");
    auto p = connect();
    const std::string got = exchange(*p, bytes);
    EXPECT_NE(got.find("SIP/2.0 200 OK"), std::string::npos) << got;
    ASSERT_EQ(server->messages.size(), 1u);
    const std::string& in = server->messages[0].bytes;
    EXPECT_NE(in.find("User-Agent: Zoom\xff\xfe\r\n"), std::string::npos);
    EXPECT_NE(in.find("Subject: one   two\r\n"), std::string::npos) << in;
}

TEST_P(HostilePeers, AHeaderLineOverTheLimitIsAnsweredBeforeTheStreamCloses) {
    const std::string t = transport();
    // The answer copies what precedes the long line: here all it needs.
    const std::string bytes =
        with(options_request(1, t),
             "Content-Length:", "Accept: " + std::string(2000, 'a') + "\r\nContent-Length:");
    auto p = connect();
    const std::string got = exchange(*p, bytes);
    EXPECT_TRUE(got.starts_with("SIP/2.0 400 Bad Request (line too long)\r\nVia: SIP/2.0/" + t))
        << got;
    EXPECT_NE(got.find("\r\nCall-ID: call-1\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("\r\nCSeq: 1 OPTIONS\r\n"), std::string::npos) << got;
    EXPECT_EQ(server->layer.counters().rx_requests_answered, 1u);
    EXPECT_TRUE(server->messages.empty());
    if (GetParam() != transport_type::udp) {
        EXPECT_EQ(server->layer.counters().line_too_long, 1u);
        ASSERT_TRUE(run_until(loop, [&] { return p->closed(); }));
        ASSERT_TRUE(run_until(loop, [&] { return server->closed.size() == 1; }));
        EXPECT_EQ(server->closed[0].reason, close_reason::framing_error);
    }
    // A long line before the Via leaves nothing to answer by: the stream just closes.
    auto q = connect();
    const std::string first = "OPTIONS sip:sbc.test SIP/2.0\r\nAccept: " + std::string(2000, 'a') +
                              "\r\n" +
                              options_request(2, t).substr(options_request(2, t).find("Via:"));
    EXPECT_TRUE(q->send(first));
    if (GetParam() != transport_type::udp) {
        ASSERT_TRUE(run_until(loop, [&] { return q->closed(); }));
    } else {
        run_for(loop, 100ms);
    }
    EXPECT_EQ(q->received(), "");
    EXPECT_TRUE(server->messages.empty());
}

TEST_P(HostilePeers, TooManyHeadersAreAnsweredBeforeTheStreamCloses) {
    const std::string t = transport();
    std::string extra;
    for (int i = 0; i < 40; ++i) {
        extra += "X-Many: " + std::to_string(i) + "\r\n";
    }
    auto p = connect();
    const std::string got =
        exchange(*p, with(options_request(1, t), "Max-Forwards: 70\r\n", extra));
    EXPECT_TRUE(got.starts_with("SIP/2.0 400 Bad Request (too many headers)\r\n")) << got;
    EXPECT_TRUE(server->messages.empty());
    if (GetParam() != transport_type::udp) {
        EXPECT_TRUE(run_until(loop, [&] { return p->closed(); }));
    }
}

TEST_P(HostilePeers, ARequestCutShortIsNeverDelivered) {
    const std::string bytes = options_request(1, transport(), "v=0\r\n");
    for (std::size_t cut : {std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
        auto p = connect();
        const std::string part = bytes.substr(0, cut);
        EXPECT_TRUE(p->send(part));
        run_for(loop, 100ms);
        p.reset();  // a stream peer goes away half way
        run_for(loop, 50ms);
    }
    EXPECT_TRUE(server->messages.empty());
}

INSTANTIATE_TEST_SUITE_P(Transports, HostilePeers,
                         ::testing::Values(transport_type::udp, transport_type::tcp,
                                           transport_type::tls),
                         [](const auto& tp) { return std::string(transport_name(tp.param)); });

}  // namespace
}  // namespace sbc::sip
