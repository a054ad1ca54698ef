// UDP and TCP transports end to end on loopback: delivery, answers, framing under split and
// coalesced writes, keep-alives, every limit, floods, idle timeout, outbound connections.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>

#include "sip_samples.hpp"
#include "test_peers.hpp"
#include "test_support.hpp"

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;
using test::count_of;
using test::options_request;
using test::recording_server;
using test::run_until;
using test::tcp_client;
using test::udp_client;

const socket_address loopback = *socket_address::parse("127.0.0.1:0");

socket_address listen_tcp(transport_layer& layer) {
    auto r = layer.listen_tcp(loopback);
    EXPECT_TRUE(r.ok()) << r.error();
    return *r;
}

TEST(UdpTransport, RequestIsDeliveredAndAnsweredToItsSource) {
    io_loop loop;
    recording_server server(loop);
    auto bound = server.layer.listen_udp(loopback);
    ASSERT_TRUE(bound.ok()) << bound.error();
    EXPECT_NE(bound->port(), 0);
    udp_client client;
    ASSERT_TRUE(client.send_to(*bound, options_request(1, "UDP")));
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return !client.received().empty();
    }));
    ASSERT_EQ(server.messages.size(), 1u);
    const auto& ctx = server.messages[0].ctx;
    EXPECT_EQ(ctx.type, transport_type::udp);
    EXPECT_EQ(ctx.connection, 0u);
    EXPECT_EQ(ctx.remote, client.local());
    EXPECT_EQ(ctx.local, *bound);
    EXPECT_TRUE(client.received()[0].starts_with("SIP/2.0 200 OK\r\n"));
    EXPECT_EQ(server.layer.counters().rx_messages, 1u);
    EXPECT_EQ(server.layer.counters().tx_messages, 1u);
}

TEST(UdpTransport, MalformedRequestGets400WithTheParsersReason) {
    io_loop loop;
    recording_server server(loop);
    auto bound = *server.layer.listen_udp(loopback);
    udp_client client;
    std::string bad = options_request(2, "UDP");
    bad.replace(bad.find("CSeq: 2 OPTIONS"), 15, "CSeq: 2 INVITE");
    ASSERT_TRUE(client.send_to(bound, bad));
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return !client.received().empty();
    }));
    EXPECT_TRUE(client.received()[0].starts_with(
        "SIP/2.0 400 Bad Request (CSeq method does not match)\r\n"))
        << client.received()[0];
    EXPECT_NE(client.received()[0].find("Call-ID: call-2\r\n"), std::string::npos);
    EXPECT_TRUE(server.messages.empty());
    EXPECT_EQ(server.layer.counters().malformed_requests, 1u);
    EXPECT_EQ(server.layer.counters().rx_requests_answered, 1u);
}

TEST(UdpTransport, GarbageAndBrokenResponsesAreDroppedAndCounted) {
    io_loop loop;
    recording_server server(loop);
    auto bound = *server.layer.listen_udp(loopback);
    udp_client client;
    client.send_to(bound, "SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n");
    client.send_to(bound, std::string("\x00\x01\x00\x00\x21\x12\xa4\x42", 8));  // STUN-ish
    client.send_to(bound, "\r\n\r\n");                                          // keep-alive
    ASSERT_TRUE(run_until(loop, [&] {
        const auto& c = server.layer.counters();
        return c.malformed_responses == 1 && c.malformed_requests == 1 && c.keepalive_pings_rx == 1;
    }));
    test::run_for(loop, 50ms);
    client.pump();
    EXPECT_TRUE(client.received().empty());
    EXPECT_TRUE(server.messages.empty());
}

TEST(UdpTransport, OversizedDatagramGets513) {
    io_loop loop;
    transport_limits limits;
    limits.max_message_size = 1000;
    recording_server server(loop, limits);
    auto bound = *server.layer.listen_udp(loopback);
    udp_client client;
    client.send_to(bound, options_request(3, "UDP", std::string(2000, 'x')));
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return !client.received().empty();
    }));
    EXPECT_TRUE(client.received()[0].starts_with("SIP/2.0 513 Message Too Large\r\n"));
    EXPECT_EQ(server.layer.counters().oversize_datagrams, 1u);
    EXPECT_TRUE(server.messages.empty());
}

TEST(UdpTransport, SendToAnAddressWithoutAListenerFails) {
    io_loop loop;
    recording_server server(loop);
    destination d{transport_type::udp, *socket_address::parse("127.0.0.1:9"), {}};
    EXPECT_EQ(server.layer.send(d, options_request()), send_status::no_listener);
    d.address = socket_address{};
    EXPECT_EQ(server.layer.send(d, options_request()), send_status::invalid_destination);
}

TEST(TcpTransport, SplitWritesMakeOneMessageAndTheAnswerComesBackOnTheConnection) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    ASSERT_TRUE(client.connected());
    const std::string m = options_request(1, "TCP", "hello");
    for (std::size_t i = 0; i < m.size(); i += 17) {
        ASSERT_TRUE(client.send(std::string_view(m).substr(i, 17)));
        loop.run_once(1ms);
    }
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return count_of(client.received(), "SIP/2.0 200 OK") == 1;
    }));
    ASSERT_EQ(server.messages.size(), 1u);
    EXPECT_EQ(server.messages[0].bytes, m);
    EXPECT_EQ(server.messages[0].ctx.type, transport_type::tcp);
    EXPECT_NE(server.messages[0].ctx.connection, 0u);
    EXPECT_TRUE(server.layer.is_open(server.messages[0].ctx.connection));
    auto info = server.layer.connection(server.messages[0].ctx.connection);
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(info->inbound);
    EXPECT_EQ(info->remote, server.messages[0].ctx.remote);
}

TEST(TcpTransport, CoalescedMessagesAreAllDelivered) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    std::string burst;
    for (int i = 1; i <= 50; ++i) {
        burst += options_request(i);
    }
    ASSERT_TRUE(client.send(burst));
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return count_of(client.received(), "SIP/2.0 200 OK") == 50;
    }));
    ASSERT_EQ(server.messages.size(), 50u);
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(server.messages[static_cast<std::size_t>(i)].bytes, options_request(i + 1));
    }
}

TEST(TcpTransport, PingIsAnsweredWithPong) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    client.send("\r\n\r\n");
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return client.received() == "\r\n";
    }));
    client.send("\r\n\r\n" + options_request());
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return client.received().find("200 OK") != std::string::npos;
    }));
    EXPECT_TRUE(client.received().starts_with("\r\n\r\nSIP/2.0 200 OK"));
    EXPECT_EQ(server.layer.counters().keepalive_pings_rx, 2u);
}

TEST(TcpTransport, MalformedRequestGets400AndTheConnectionStays) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    std::string bad = options_request(1);
    bad.erase(bad.find("Call-ID"), bad.find("CSeq") - bad.find("Call-ID"));
    // Without Call-ID there is nothing to answer with (RFC 3261 §8.2.6): dropped and counted.
    std::string bad_uri = options_request(2);
    bad_uri.replace(0, 20, "OPTIONS sip:a b SIP/2.0");
    client.send(bad + bad_uri + options_request(3));
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return count_of(client.received(), "SIP/2.0 ") == 2;
    }));
    EXPECT_TRUE(client.received().starts_with("SIP/2.0 400 ")) << client.received();
    EXPECT_NE(client.received().find("SIP/2.0 200 OK"), std::string::npos);
    ASSERT_EQ(server.messages.size(), 1u);
    EXPECT_EQ(server.layer.counters().malformed_requests, 2u);
    EXPECT_FALSE(client.eof());
}

TEST(TcpTransport, OversizedBodyGets413AndTheConnectionCloses) {
    io_loop loop;
    transport_limits limits;
    limits.max_message_size = 2000;
    recording_server server(loop, limits);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    std::string big = options_request(1);
    big.replace(big.find("Content-Length: 0"), 17, "Content-Length: 1000000");
    client.send(big);
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return client.eof();
    }));
    EXPECT_TRUE(client.received().starts_with("SIP/2.0 413 Request Entity Too Large\r\n"))
        << client.received();
    EXPECT_EQ(server.layer.counters().message_too_large, 1u);
    ASSERT_TRUE(run_until(loop, [&] { return server.closed.size() == 1; }));
    EXPECT_EQ(server.closed[0].reason, close_reason::framing_error);
    EXPECT_EQ(server.layer.connection_count(), 0u);
}

TEST(TcpTransport, MissingContentLengthGets400AndCloses) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    std::string m = options_request(1);
    m.erase(m.find("Content-Length"), 19);
    client.send(m);
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return client.eof();
    }));
    EXPECT_TRUE(client.received().starts_with("SIP/2.0 400 Bad Request (missing Content-Length)"))
        << client.received();
    EXPECT_EQ(server.layer.counters().bad_content_length, 1u);
}

struct limit_case {
    const char* name;
    std::string payload;
    std::uint64_t transport_counters::*counter;
};

TEST(TcpTransport, HeaderLimitsCloseTheConnectionAndCount) {
    transport_limits limits;
    limits.max_headers = 20;
    limits.max_line_length = 200;
    limits.max_pending_bytes = 4000;
    limits.max_message_size = 3000;
    std::string many = "OPTIONS sip:x SIP/2.0\r\n";
    for (int i = 0; i < 30; ++i) {
        many += "X-H: v\r\n";
    }
    const std::string long_line = "OPTIONS sip:x SIP/2.0\r\nX-Long: " + std::string(300, 'a');
    std::string huge_head = "OPTIONS sip:x SIP/2.0\r\n";
    for (int i = 0; i < 19; ++i) {
        huge_head += "X-Pad: " + std::string(190, 'p') + "\r\n";
    }
    const std::vector<limit_case> cases = {
        {"too_many_headers", many, &transport_counters::too_many_headers},
        {"line_too_long", long_line, &transport_counters::line_too_long},
        {"header_too_large", huge_head, &transport_counters::message_too_large},
    };
    for (const auto& c : cases) {
        io_loop loop;
        recording_server server(loop, limits);
        auto bound = listen_tcp(server.layer);
        tcp_client client(bound);
        client.send(c.payload);
        EXPECT_TRUE(run_until(loop, [&] {
            client.pump();
            return client.eof();
        })) << c.name;
        EXPECT_EQ(server.layer.counters().*c.counter, 1u) << c.name;
        EXPECT_TRUE(client.received().empty()) << c.name;  // nothing complete to answer
        EXPECT_TRUE(server.messages.empty()) << c.name;
    }
}

TEST(TcpTransport, PendingBytesOverflowCloses) {
    io_loop loop;
    transport_limits limits;
    limits.max_pending_bytes = 1000;
    recording_server server(loop, limits);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    // A legal-looking message whose body is still arriving when the pending bound is hit.
    client.send(options_request(1, "TCP", std::string(5000, 'b')).substr(0, 3000));
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return client.eof();
    }));
    EXPECT_EQ(server.layer.counters().pending_overflow, 1u);
}

TEST(TcpTransport, ConnectionFloodFromOneSourceIsBounded) {
    io_loop loop;
    transport_limits limits;
    limits.max_connections_per_source = 5;
    limits.max_refusing_connections = 3;
    limits.retry_after_seconds = 42;
    recording_server server(loop, limits);
    auto bound = listen_tcp(server.layer);
    std::vector<std::unique_ptr<tcp_client>> clients;
    for (int i = 0; i < 20; ++i) {
        clients.push_back(std::make_unique<tcp_client>(bound));
        ASSERT_TRUE(clients.back()->connected());
    }
    ASSERT_TRUE(run_until(loop, [&] {
        const auto& c = server.layer.counters();
        return c.connections_accepted + c.refused_source_limit == 20;
    }));
    for (std::size_t i = 0; i < clients.size(); ++i) {
        clients[i]->send(options_request(static_cast<int>(i) + 1));
    }
    int ok = 0;
    int refused = 0;
    int silent = 0;
    ASSERT_TRUE(run_until(loop, [&] {
        ok = refused = silent = 0;
        for (auto& c : clients) {
            c->pump();
            if (c->received().find("SIP/2.0 200 OK") != std::string::npos) {
                ++ok;
            } else if (c->eof()) {
                c->received().empty() ? ++silent : ++refused;
            }
        }
        return ok + refused + silent == 20;
    }));
    EXPECT_EQ(ok, 5);
    EXPECT_EQ(refused, 3);
    EXPECT_EQ(silent, 12);
    for (auto& c : clients) {
        if (c->eof() && !c->received().empty()) {
            EXPECT_TRUE(c->received().starts_with("SIP/2.0 503 Service Unavailable\r\n"));
            EXPECT_NE(c->received().find("Retry-After: 42\r\n"), std::string::npos);
        }
    }
    EXPECT_EQ(server.layer.connection_count(), 5u);
    EXPECT_EQ(server.layer.counters().connections_accepted, 5u);
    EXPECT_EQ(server.layer.counters().refused_source_limit, 15u);
    EXPECT_EQ(server.layer.counters().refused_dropped, 12u);
    // Refused connections are not the owner's business.
    EXPECT_TRUE(server.closed.empty());
}

TEST(TcpTransport, TotalConnectionLimit) {
    io_loop loop;
    transport_limits limits;
    limits.max_connections = 2;
    limits.max_refusing_connections = 0;
    recording_server server(loop, limits);
    auto bound = listen_tcp(server.layer);
    std::vector<std::unique_ptr<tcp_client>> clients;
    clients.reserve(4);
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<tcp_client>(bound));
    }
    ASSERT_TRUE(run_until(loop, [&] { return server.layer.counters().refused_total_limit == 2; }));
    EXPECT_EQ(server.layer.connection_count(), 2u);
    EXPECT_EQ(server.layer.counters().refused_dropped, 2u);
}

TEST(TcpTransport, IdleConnectionIsClosedAndTheOwnerIsTold) {
    io_loop loop;
    transport_limits limits;
    limits.idle_timeout = 100ms;
    recording_server server(loop, limits);
    auto bound = listen_tcp(server.layer);
    tcp_client client(bound);
    client.send(options_request());
    ASSERT_TRUE(run_until(loop, [&] {
        client.pump();
        return client.eof();
    }));
    ASSERT_EQ(server.closed.size(), 1u);
    EXPECT_EQ(server.closed[0].reason, close_reason::idle_timeout);
    EXPECT_EQ(server.closed[0].id, server.messages.at(0).ctx.connection);
    EXPECT_EQ(server.layer.counters().idle_timeouts, 1u);
    EXPECT_FALSE(server.layer.is_open(server.closed[0].id));
    EXPECT_EQ(server.layer.send(server.closed[0].id, options_request()),
              send_status::no_connection);
}

TEST(TcpTransport, PeerCloseIsReported) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    {
        tcp_client client(bound);
        client.send(options_request());
        ASSERT_TRUE(run_until(loop, [&] { return server.messages.size() == 1; }));
    }
    ASSERT_TRUE(run_until(loop, [&] { return server.closed.size() == 1; }));
    EXPECT_EQ(server.closed[0].reason, close_reason::peer_closed);
}

TEST(TcpTransport, OutboundConnectionIsReusedAndRepliesComeBackOnIt) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    recording_server client(loop);
    client.answer_requests = false;
    listen_tcp(client.layer);  // the realm's signalling address: outbound leaves from it
    const destination to{transport_type::tcp, bound, {}};
    connection_id first = 0;
    connection_id second = 0;
    std::vector<send_status> results;
    ASSERT_EQ(client.layer.send(
                  to, options_request(1), [&](send_status s) { results.push_back(s); }, &first),
              send_status::ok);
    ASSERT_EQ(client.layer.send(
                  to, options_request(2), [&](send_status s) { results.push_back(s); }, &second),
              send_status::ok);
    EXPECT_EQ(first, second);
    ASSERT_TRUE(run_until(loop, [&] { return client.messages.size() == 2; }));
    EXPECT_EQ(results, (std::vector<send_status>{send_status::ok, send_status::ok}));
    EXPECT_EQ(server.messages.size(), 2u);
    EXPECT_EQ(client.messages[0].ctx.connection, first);
    EXPECT_FALSE(client.messages[0].request);
    EXPECT_EQ(client.layer.counters().connections_opened, 1u);
    EXPECT_EQ(server.layer.counters().connections_accepted, 1u);
    // The server sends a request down the connection it came in on (by id).
    const connection_id inbound = server.messages[0].ctx.connection;
    ASSERT_EQ(server.layer.send(inbound, options_request(9)), send_status::ok);
    ASSERT_TRUE(run_until(loop, [&] { return client.messages.size() == 3; }));
    EXPECT_TRUE(client.messages[2].request);
    // Closing one side tells both owners.
    client.layer.close(first);
    ASSERT_TRUE(run_until(loop, [&] { return !server.closed.empty() && !client.closed.empty(); }));
    EXPECT_EQ(client.closed[0].reason, close_reason::local);
    EXPECT_EQ(server.closed[0].reason, close_reason::peer_closed);
    EXPECT_EQ(server.closed[0].id, inbound);
}

TEST(TcpTransport, ConnectFailureFailsTheQueuedSend) {
    io_loop loop;
    recording_server client(loop);
    const auto port = test::free_port(SOCK_STREAM);  // nobody listens there
    const destination to{transport_type::tcp, *socket_address::from_ip("127.0.0.1", port), {}};
    std::optional<send_status> result;
    ASSERT_EQ(client.layer.send(to, options_request(), [&](send_status s) { result = s; }),
              send_status::ok);
    ASSERT_TRUE(run_until(loop, [&] { return result.has_value() && !client.closed.empty(); }));
    EXPECT_EQ(*result, send_status::connect_failed);
    EXPECT_EQ(client.closed[0].reason, close_reason::connect_failed);
    EXPECT_EQ(client.layer.counters().connect_failures, 1u);
    EXPECT_EQ(client.layer.connection_count(), 0u);
}

TEST(TcpTransport, OutboundKeepalivePingsGetPongs) {
    io_loop loop;
    recording_server server(loop);
    auto bound = listen_tcp(server.layer);
    transport_limits limits;
    limits.keepalive_interval = 20ms;
    recording_server client(loop, limits);
    ASSERT_EQ(client.layer.send(destination{transport_type::tcp, bound, {}}, options_request()),
              send_status::ok);
    ASSERT_TRUE(run_until(loop, [&] { return client.layer.counters().keepalive_pongs_rx >= 3; }));
    EXPECT_GE(server.layer.counters().keepalive_pings_rx, 3u);
    EXPECT_GE(client.layer.counters().keepalive_pings_tx, 3u);
}

TEST(TcpTransport, Ipv6Loopback) {
    io_loop loop;
    recording_server server(loop);
    auto r = server.layer.listen_tcp(*socket_address::parse("[::1]:0"));
    if (!r.ok()) {
        GTEST_SKIP() << "no IPv6 loopback here: " << r.error();
    }
    recording_server client(loop);
    client.answer_requests = false;
    ASSERT_EQ(client.layer.send(destination{transport_type::tcp, *r, {}}, options_request()),
              send_status::ok);
    ASSERT_TRUE(run_until(loop, [&] { return client.messages.size() == 1; }));
    EXPECT_EQ(server.messages.at(0).ctx.remote.family(), AF_INET6);
    EXPECT_EQ(server.messages.at(0).ctx.local, *r);
}

TEST(TransportLayer, ListenFailureNamesTheAddress) {
    io_loop loop;
    recording_server a(loop);
    auto bound = listen_tcp(a.layer);
    recording_server b(loop);
    auto again = b.layer.listen_tcp(bound);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().find(bound.to_string()), std::string::npos) << again.error();
}

TEST(TransportLayer, DestroyingTheLayerWithLiveConnectionsIsClean) {
    io_loop loop;
    auto bound = socket_address{};
    std::unique_ptr<tcp_client> client;
    {
        recording_server server(loop);
        bound = listen_tcp(server.layer);
        client = std::make_unique<tcp_client>(bound);
        client->send(options_request());
        ASSERT_TRUE(run_until(loop, [&] { return server.messages.size() == 1; }));
    }
    ASSERT_TRUE(run_until(loop, [&] {
        client->pump();
        return client->eof();
    }));
}

}  // namespace
}  // namespace sbc::sip
