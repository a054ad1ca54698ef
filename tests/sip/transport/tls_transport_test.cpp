// TLS transport with a test PKI made at test time: our server against `openssl s_client`, our
// client against `openssl s_server`, and both of ours together. Valid, expired, wrong CA, wrong
// name, wrong key, client certificates, SNI, resumption, old protocol versions, slow handshakes.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>

#include "sip_samples.hpp"
#include "test_peers.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;
using test::child_process;
using test::options_request;
using test::recording_server;
using test::run_until;

const socket_address loopback = *socket_address::parse("127.0.0.1:0");

class TlsTransport : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!test::have_program("openssl")) {
            GTEST_SKIP() << "openssl CLI not installed";
        }
        pki.add_ca("ca");
        pki.add_ca("rogue-ca");
        server = pki.add_leaf("sbc", "ca", {"sbc.test"}, {"127.0.0.1"});
        server_b = pki.add_leaf("b", "ca", {"b.test"});
        expired = pki.add_leaf("expired", "ca", {"sbc.test"}, {"127.0.0.1"}, -30, -1);
        rogue = pki.add_leaf("rogue", "rogue-ca", {"sbc.test"}, {"127.0.0.1"});
        other_name = pki.add_leaf("other", "ca", {"other.test"});
        alice = pki.add_leaf("alice", "ca", {"alice.test"});
        mallory = pki.add_leaf("mallory", "rogue-ca", {"mallory.test"});
    }

    tls_profile server_profile(const test::cert_files& c,
                               client_cert_mode mode = client_cert_mode::none) {
        tls_profile p;
        p.cert_file = c.cert;
        p.key_file = c.key;
        p.ca_file = pki.ca("ca").cert;
        p.client_certs = mode;
        return p;
    }

    std::shared_ptr<tls_server_context> server_ctx(const std::vector<tls_profile>& profiles) {
        auto r = tls_server_context::create(profiles);
        EXPECT_TRUE(r.ok()) << r.error();
        return r.ok() ? *r : nullptr;
    }

    std::shared_ptr<tls_client_context> client_ctx(const test::cert_files* cert = nullptr) {
        tls_profile p;
        p.ca_file = pki.ca("ca").cert;
        if (cert != nullptr) {
            p.cert_file = cert->cert;
            p.key_file = cert->key;
        }
        auto r = tls_client_context::create(p);
        EXPECT_TRUE(r.ok()) << r.error();
        return r.ok() ? *r : nullptr;
    }

    // openssl s_client to our server; `extra` adds options. Writes `send` once connected and
    // waits for `expect` in its output (or its exit).
    std::string run_s_client(io_loop& loop, const socket_address& to,
                             std::vector<std::string> extra, const std::string& send,
                             const std::string& expect) {
        std::vector<std::string> argv = {"openssl",      "s_client", "-connect",
                                         to.to_string(), "-CAfile",  pki.ca("ca").cert};
        argv.insert(argv.end(), extra.begin(), extra.end());
        child_process p(argv, dir.file("s_client.out"));
        p.write_stdin(send);
        run_until(loop, [&] { return p.exited() || p.output().find(expect) != std::string::npos; });
        test::run_for(loop, 20ms);
        p.close_stdin();
        run_until(
            loop, [&] { return p.exited(); }, 5s);
        return p.output();
    }

    test::temp_dir dir;
    test::test_pki pki{dir.path()};
    test::cert_files server, server_b, expired, rogue, other_name, alice, mallory;
};

TEST_F(TlsTransport, OurClientAndServerExchangeMessages) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    ASSERT_TRUE(bound.ok()) << bound.error();
    recording_server cli(loop);
    cli.answer_requests = false;
    cli.layer.set_tls_client(client_ctx());
    std::optional<send_status> sent;
    ASSERT_EQ(cli.layer.send(destination{transport_type::tls, *bound, "sbc.test"},
                             options_request(), [&](send_status s) { sent = s; }),
              send_status::ok);
    ASSERT_TRUE(run_until(loop, [&] { return cli.messages.size() == 1; }));
    EXPECT_EQ(sent, send_status::ok);
    ASSERT_EQ(srv.messages.size(), 1u);
    const auto& in = srv.messages[0];
    EXPECT_EQ(in.ctx.type, transport_type::tls);
    ASSERT_TRUE(in.tls.has_value());
    EXPECT_EQ(in.tls->server_name, "sbc.test");
    EXPECT_EQ(in.tls->version, "TLSv1.3");
    EXPECT_FALSE(in.tls->peer_verified);  // no client certificate asked for
    const auto& back = cli.messages[0];
    ASSERT_TRUE(back.tls.has_value());
    EXPECT_TRUE(back.tls->peer_verified);
    EXPECT_NE(back.tls->subject.find("CN=sbc"), std::string::npos) << back.tls->subject;
    EXPECT_EQ(back.tls->dns_names, (std::vector<std::string>{"sbc.test"}));
    EXPECT_EQ(srv.layer.counters().tls_handshakes, 1u);
}

TEST_F(TlsTransport, BurstOfMessagesIsFramedInOrder) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    recording_server cli(loop);
    cli.answer_requests = false;
    cli.layer.set_tls_client(client_ctx());
    const destination to{transport_type::tls, bound, "sbc.test"};
    for (int i = 1; i <= 40; ++i) {
        ASSERT_EQ(
            cli.layer.send(
                to, options_request(i, "TLS", std::string(static_cast<std::size_t>(i) * 50, 'b'))),
            send_status::ok);
    }
    ASSERT_TRUE(run_until(loop, [&] { return cli.messages.size() == 40; }));
    ASSERT_EQ(srv.messages.size(), 40u);
    for (int i = 1; i <= 40; ++i) {
        EXPECT_EQ(srv.messages[static_cast<std::size_t>(i - 1)].bytes,
                  options_request(i, "TLS", std::string(static_cast<std::size_t>(i) * 50, 'b')));
    }
    EXPECT_EQ(cli.layer.counters().connections_opened, 1u);
}

TEST_F(TlsTransport, OversizedMessageOverTlsGets413) {
    io_loop loop;
    transport_limits limits;
    limits.max_message_size = 1500;
    recording_server srv(loop, limits);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    recording_server cli(loop);
    cli.answer_requests = false;
    cli.layer.set_tls_client(client_ctx());
    cli.layer.send(destination{transport_type::tls, bound, "sbc.test"},
                   options_request(1, "TLS", std::string(4000, 'x')));
    ASSERT_TRUE(run_until(loop, [&] { return !cli.closed.empty(); }));
    ASSERT_EQ(cli.messages.size(), 1u);
    EXPECT_TRUE(cli.messages[0].bytes.starts_with("SIP/2.0 413 "));
    EXPECT_EQ(srv.layer.counters().message_too_large, 1u);
    EXPECT_TRUE(srv.messages.empty());
}

TEST_F(TlsTransport, SecondConnectionResumesTheSession) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    recording_server cli(loop);
    cli.answer_requests = false;
    cli.layer.set_tls_client(client_ctx());
    const destination to{transport_type::tls, bound, "sbc.test"};
    connection_id first = 0;
    ASSERT_EQ(cli.layer.send(to, options_request(1), {}, &first), send_status::ok);
    ASSERT_TRUE(run_until(loop, [&] { return cli.messages.size() == 1; }));
    cli.layer.close(first);
    ASSERT_TRUE(run_until(loop, [&] { return srv.closed.size() == 1; }));
    connection_id second = 0;
    ASSERT_EQ(cli.layer.send(to, options_request(2), {}, &second), send_status::ok);
    EXPECT_NE(first, second);
    ASSERT_TRUE(run_until(loop, [&] { return cli.messages.size() == 2; }));
    EXPECT_FALSE(cli.messages[0].tls->resumed);
    EXPECT_TRUE(cli.messages[1].tls->resumed);
    EXPECT_TRUE(srv.messages[1].tls->resumed);
    EXPECT_EQ(srv.layer.counters().tls_resumed, 1u);
    EXPECT_EQ(cli.layer.counters().tls_resumed, 1u);
}

TEST_F(TlsTransport, RequiredClientCertificate) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(
        loopback, server_ctx({server_profile(server, client_cert_mode::required)}));
    const destination to{transport_type::tls, bound, "sbc.test"};
    {
        recording_server cli(loop);
        cli.layer.set_tls_client(client_ctx(&alice));
        ASSERT_EQ(cli.layer.send(to, options_request()), send_status::ok);
        ASSERT_TRUE(run_until(loop, [&] { return cli.messages.size() == 1; }));
        ASSERT_TRUE(srv.messages.at(0).tls.has_value());
        EXPECT_TRUE(srv.messages[0].tls->peer_verified);
        EXPECT_NE(srv.messages[0].tls->subject.find("CN=alice"), std::string::npos);
    }
    for (const test::cert_files* cert : {static_cast<const test::cert_files*>(nullptr),
                                         static_cast<const test::cert_files*>(&mallory)}) {
        recording_server cli(loop);
        cli.layer.set_tls_client(client_ctx(cert));
        const auto failures = srv.layer.counters().tls_handshake_failures;
        ASSERT_EQ(cli.layer.send(to, options_request()), send_status::ok);
        // TLS 1.3: the client thinks it is done before the server rejects its certificate.
        ASSERT_TRUE(run_until(loop, [&] {
            return srv.layer.counters().tls_handshake_failures == failures + 1 &&
                   !cli.closed.empty();
        }));
        EXPECT_TRUE(cli.messages.empty());
    }
    EXPECT_EQ(srv.messages.size(), 1u);
}

TEST_F(TlsTransport, SClientWithValidChainAndName) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    const auto out = run_s_client(
        loop, bound,
        {"-servername", "sbc.test", "-verify_return_error", "-verify_hostname", "sbc.test"},
        options_request(), "SIP/2.0 200 OK");
    EXPECT_NE(out.find("SIP/2.0 200 OK"), std::string::npos) << out;
    EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << out;
    ASSERT_EQ(srv.messages.size(), 1u);
    EXPECT_EQ(srv.messages[0].tls->server_name, "sbc.test");
}

TEST_F(TlsTransport, SClientSniPicksTheCertificate) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(
        loopback, server_ctx({server_profile(server), server_profile(server_b)}));
    auto b = run_s_client(loop, bound, {"-servername", "b.test", "-verify_return_error"}, "",
                          "Verify return code");
    EXPECT_NE(b.find("subject=CN = b\n"), std::string::npos) << b;
    auto a = run_s_client(loop, bound, {"-servername", "sbc.test", "-verify_return_error"}, "",
                          "Verify return code");
    EXPECT_NE(a.find("subject=CN = sbc\n"), std::string::npos) << a;
    auto unknown =
        run_s_client(loop, bound, {"-servername", "nobody.test"}, "", "Verify return code");
    EXPECT_NE(unknown.find("subject=CN = sbc\n"), std::string::npos) << unknown;
}

TEST_F(TlsTransport, SClientResumesWithATicket) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    const std::string sess = dir.file("session.pem");
    auto first = run_s_client(loop, bound, {"-servername", "sbc.test", "-sess_out", sess},
                              options_request(1), "SIP/2.0 200 OK");
    ASSERT_NE(first.find("SIP/2.0 200 OK"), std::string::npos) << first;
    auto second = run_s_client(loop, bound, {"-servername", "sbc.test", "-sess_in", sess},
                               options_request(2), "SIP/2.0 200 OK");
    EXPECT_NE(second.find("Reused, TLSv1.3"), std::string::npos) << second;
    EXPECT_EQ(srv.layer.counters().tls_resumed, 1u);
}

TEST_F(TlsTransport, SClientCertificateRequiredMissingAndWrong) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(
        loopback, server_ctx({server_profile(server, client_cert_mode::required)}));
    auto ok = run_s_client(loop, bound, {"-cert", alice.cert, "-key", alice.key},
                           options_request(1), "SIP/2.0 200 OK");
    EXPECT_NE(ok.find("SIP/2.0 200 OK"), std::string::npos) << ok;
    ASSERT_EQ(srv.messages.size(), 1u);
    EXPECT_TRUE(srv.messages[0].tls->peer_verified);
    auto missing = run_s_client(loop, bound, {}, options_request(2), "SIP/2.0 200 OK");
    EXPECT_EQ(missing.find("SIP/2.0 200 OK"), std::string::npos);
    auto wrong = run_s_client(loop, bound, {"-cert", mallory.cert, "-key", mallory.key},
                              options_request(3), "SIP/2.0 200 OK");
    EXPECT_EQ(wrong.find("SIP/2.0 200 OK"), std::string::npos);
    EXPECT_EQ(srv.messages.size(), 1u);
    EXPECT_EQ(srv.layer.counters().tls_handshake_failures, 2u);
}

TEST_F(TlsTransport, OldProtocolVersionsAreRefused) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    for (const char* version : {"-tls1", "-tls1_1"}) {
        // SECLEVEL=0 so the client itself is willing to offer the old version.
        auto out = run_s_client(loop, bound, {version, "-cipher", "DEFAULT:@SECLEVEL=0"},
                                options_request(), "SIP/2.0 200 OK");
        EXPECT_EQ(out.find("SIP/2.0 200 OK"), std::string::npos) << version << out;
        EXPECT_NE(out.find("alert protocol version"), std::string::npos) << version << out;
    }
    EXPECT_EQ(srv.layer.counters().tls_handshakes, 0u);
    EXPECT_EQ(srv.layer.counters().tls_handshake_failures, 2u);
    EXPECT_TRUE(srv.messages.empty());
}

// Our client against openssl s_server presenting `cert`; returns what the send reported and the
// close detail.
struct client_result {
    std::optional<send_status> sent;
    std::vector<connection_closed> closed;
    std::string server_output;
};

class TlsClientAgainstSServer : public TlsTransport {
  protected:
    client_result connect_to(const test::cert_files& cert, const std::string& name) {
        io_loop loop;
        const auto port = test::free_port(SOCK_STREAM);
        child_process s_server(
            {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
             cert.cert, "-key", cert.key, "-naccept", "1"},
            dir.file("s_server.out"));
        EXPECT_TRUE(run_until(loop, [&] {
            return s_server.output().find("ACCEPT") != std::string::npos || s_server.exited();
        }));
        recording_server cli(loop);
        cli.layer.set_tls_client(client_ctx());
        client_result r;
        const destination to{transport_type::tls, *socket_address::from_ip("127.0.0.1", port),
                             name};
        EXPECT_EQ(cli.layer.send(to, options_request(), [&](send_status s) { r.sent = s; }),
                  send_status::ok);
        run_until(loop, [&] {
            return r.sent.has_value() &&
                   (!cli.closed.empty() ||
                    s_server.output().find("OPTIONS sip:sbc.test") != std::string::npos);
        });
        r.closed = cli.closed;
        r.server_output = s_server.output();
        return r;
    }
};

TEST_F(TlsClientAgainstSServer, ValidCertificate) {
    auto r = connect_to(server, "sbc.test");
    EXPECT_EQ(r.sent, send_status::ok);
    EXPECT_NE(r.server_output.find("OPTIONS sip:sbc.test SIP/2.0"), std::string::npos)
        << r.server_output;
    EXPECT_TRUE(r.closed.empty());
}

TEST_F(TlsClientAgainstSServer, ValidCertificateByIpAddress) {
    auto r = connect_to(server, "");
    EXPECT_EQ(r.sent, send_status::ok);
}

TEST_F(TlsClientAgainstSServer, ExpiredCertificate) {
    auto r = connect_to(expired, "sbc.test");
    EXPECT_EQ(r.sent, send_status::tls_failed);
    ASSERT_EQ(r.closed.size(), 1u);
    EXPECT_EQ(r.closed[0].reason, close_reason::tls_handshake_failed);
    EXPECT_NE(r.closed[0].detail.find("expired"), std::string::npos) << r.closed[0].detail;
}

TEST_F(TlsClientAgainstSServer, WrongCa) {
    auto r = connect_to(rogue, "sbc.test");
    EXPECT_EQ(r.sent, send_status::tls_failed);
    ASSERT_EQ(r.closed.size(), 1u);
    EXPECT_NE(r.closed[0].detail.find("local issuer"), std::string::npos) << r.closed[0].detail;
}

TEST_F(TlsClientAgainstSServer, WrongName) {
    auto r = connect_to(other_name, "sbc.test");
    EXPECT_EQ(r.sent, send_status::tls_failed);
    ASSERT_EQ(r.closed.size(), 1u);
    EXPECT_NE(r.closed[0].detail.find("hostname mismatch"), std::string::npos)
        << r.closed[0].detail;
}

TEST_F(TlsTransport, MismatchedKeyIsAStartupErrorNamingTheFiles) {
    tls_profile mismatched = server_profile(server);
    mismatched.key_file = alice.key;
    auto r = tls_server_context::create({mismatched});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("mismatch"), std::string::npos) << r.error();
    EXPECT_NE(r.error().find(alice.key), std::string::npos) << r.error();
    tls_profile absent = server_profile(server);
    absent.cert_file = dir.file("nope.crt");
    auto missing = tls_server_context::create({absent});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().find("nope.crt"), std::string::npos) << missing.error();
}

TEST_F(TlsTransport, SlowHandshakeIsCutOff) {
    io_loop loop;
    transport_limits limits;
    limits.tls_handshake_timeout = 150ms;
    recording_server srv(loop, limits);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    test::tcp_client silent(bound);
    test::tcp_client dribble(bound);
    dribble.send(std::string("\x16\x03\x01\x02\x00\x01", 6));  // a ClientHello that never ends
    ASSERT_TRUE(run_until(loop, [&] {
        silent.pump();
        dribble.pump();
        return silent.eof() && dribble.eof();
    }));
    EXPECT_EQ(srv.layer.counters().tls_handshake_timeouts, 2u);
    ASSERT_EQ(srv.closed.size(), 2u);
    EXPECT_EQ(srv.closed[0].reason, close_reason::tls_handshake_timeout);
}

TEST_F(TlsTransport, PlainTextOnTheTlsPortFailsTheHandshake) {
    io_loop loop;
    recording_server srv(loop);
    auto bound = *srv.layer.listen_tls(loopback, server_ctx({server_profile(server)}));
    test::tcp_client plain(bound);
    plain.send(options_request());
    ASSERT_TRUE(run_until(loop, [&] {
        plain.pump();
        return plain.eof();
    }));
    EXPECT_EQ(srv.layer.counters().tls_handshake_failures, 1u);
    EXPECT_TRUE(srv.messages.empty());
}

}  // namespace
}  // namespace sbc::sip
