// Limits toward the core and the entry guard (issue 10, findings 2 and 3, "close the class"):
// what a client sends that OSV could not take is answered at the edge and never relayed; what
// sbcd would send toward the core that breaks a limit is not sent; a handler that throws costs
// one message. The rules on plain messages first, then through sbcd's SIP side with real TLS
// clients and a fake OSV node (sip_harness.hpp says why the node is a fake).
#include <gtest/gtest.h>

#include "controlplane/core_limits.hpp"
#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

using namespace std::string_literals;

std::string request(const std::string& extra_headers, const std::string& body = {},
                    const std::string& content_type = "application/sdp") {
    std::string m =
        "INVITE sip:bob@pbx.local SIP/2.0\r\n"
        "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK-1\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:alice@pbx.local>;tag=a\r\n"
        "To: <sip:bob@pbx.local>\r\n"
        "Call-ID: c1@192.0.2.1\r\n"
        "CSeq: 1 INVITE\r\n" +
        extra_headers;
    if (!body.empty()) {
        m += "Content-Type: " + content_type + "\r\n";
    }
    return m + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string sdp_with(const std::string& attribute_line) {
    return "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
           "m=audio 4000 RTP/SAVP 0\r\n" +
           attribute_line + "\r\n";
}

limit_check check(const std::string& bytes, const core_limits& l = {}) {
    return check_wire(bytes, l);
}

TEST(CoreLimits, EachRuleIsNamedWithItsSizesAndStatus) {
    EXPECT_TRUE(check(request("Accept: application/sdp\r\n", sdp_with("a=sendrecv"))));

    auto c = check(request("X-Pad: " + std::string(13000, 'p') + "\r\n"));
    EXPECT_EQ(c.breach, limit_breach::message_size);
    EXPECT_EQ(c.status(), 413);
    EXPECT_NE(c.reason().find("the PBX takes 12288"), std::string::npos) << c.reason();
    EXPECT_EQ(c.reason().find('p'), std::string::npos) << "no peer bytes in a reason phrase";
    // Exactly at the limit passes, one byte more does not.
    std::string body(12000, 'b');
    body.resize(body.size() + 12288 - request("", body, "text/plain").size());
    ASSERT_EQ(request("", body, "text/plain").size(), 12288u);
    EXPECT_TRUE(check(request("", body, "text/plain")));
    body.push_back('b');
    EXPECT_EQ(check(request("", body, "text/plain")).breach, limit_breach::message_size);
}

TEST(CoreLimits, HeaderCountHeaderLineAndSdpLine) {
    core_limits l;
    l.max_header_bytes = 1024;
    std::string many;
    for (int i = 0; i < 70; ++i) {
        many += "X-H" + std::to_string(i) + ": v\r\n";
    }
    auto c = check(request(many), l);
    EXPECT_EQ(c.breach, limit_breach::header_count);
    EXPECT_EQ(c.size, 77u);

    std::string accepts;
    for (int i = 0; i < 8; ++i) {
        accepts += "Accept: " + std::string(1400, 'a') + "\r\n";
    }
    c = check(request(accepts), l);
    EXPECT_EQ(c.breach, limit_breach::header_line);
    EXPECT_EQ(c.where, "Accept");
    EXPECT_EQ(c.size, 1408u);
    EXPECT_EQ(c.reason(),
              "Request Entity Too Large (Accept header line of 1408 bytes, the PBX takes 1024)");

    // A folded header counts with its folds (RFC 3261 §7.3.1).
    c = check(
        request("Subject: " + std::string(600, 's') + "\r\n " + std::string(600, 't') + "\r\n"), l);
    EXPECT_EQ(c.breach, limit_breach::header_line) << c.reason();

    c = check(request("", sdp_with("a=x-pad:" + std::string(1100, 'x'))));
    EXPECT_EQ(c.breach, limit_breach::sdp_line);
    EXPECT_EQ(c.status(), 488);
    EXPECT_EQ(c.where, "SDP line 7");
    // Multipart: the SDP part's lines are what counts (RFC 5621).
    const std::string mp = "--b\r\nContent-Type: application/sdp\r\n\r\n" +
                           sdp_with("a=x-pad:" + std::string(1100, 'x')) + "--b--\r\n";
    c = check(request("", mp, "multipart/mixed;boundary=b"));
    EXPECT_EQ(c.breach, limit_breach::sdp_line) << c.reason();
}

TEST(CoreLimits, ControlCharactersInHeaderValuesAndSdpLinesAreNotSip) {
    const std::vector<std::pair<const char*, std::string>> bad_headers = {
        {"bare CR", "User-Agent: Zoom\rPhone\r\n"s},
        {"NUL", "User-Agent: Zoom\0Phone\r\n"s},
        {"ESC", "Subject: \x1b[2J\r\n"s},
        {"DEL", "Subject: a\x7f\r\n"s},
    };
    for (const auto& [what, header] : bad_headers) {
        const std::string bytes = request(header);
        auto parsed = sip::parse(bytes);
        if (!parsed) {
            continue;  // the parser refuses it already (sip/ answers 400 itself)
        }
        auto c = check_message(parsed.value(), {});
        EXPECT_EQ(c.breach, limit_breach::control_character) << what;
        EXPECT_EQ(c.status(), 400) << what;
        EXPECT_EQ(c.reason().find('\r'), std::string::npos) << what;
    }
    // HTAB and folding are LWS, and bytes >= 0x80 pass (UTF-8 display names).
    EXPECT_TRUE(check(request("Subject: a\tb\r\n  c\r\nFrom-X: \"M\xc3\xbcller\"\r\n")));
    auto c = check(request("", sdp_with("s=a\0b"s)));
    EXPECT_EQ(c.breach, limit_breach::sdp_control_character) << c.reason();
    c = check(request("", sdp_with("s=a\rb")));
    EXPECT_EQ(c.breach, limit_breach::sdp_control_character) << c.reason();
}

TEST(CoreLimits, WhatDoesNotParseAsSipIsNeverSent) {
    auto c = check("INVITE sip:bob@pbx.local SIP/2.0\r\nVia: x\r\n\r\n");
    EXPECT_EQ(c.breach, limit_breach::not_sip);
    EXPECT_EQ(c.status(), 500);
    c = check(request("") + "garbage after the message");
    EXPECT_EQ(c.breach, limit_breach::not_sip) << c.reason();
}

// Through sbcd: a client over TLS, a fake OSV node over TCP.
struct edge_fixture : ::testing::Test {
    void SetUp() override {
        f.cfg.sip_server.max_header_bytes = 1024;
        ASSERT_TRUE(f.start()) << f.start_error;
        c = f.client("127.0.0.5");
    }
    // Sends `bytes` and waits for the client's next response.
    sip::message exchange(const std::string& bytes) {
        const auto before = c->response_count();
        c->send(sip::transport_type::tls, f.access_tls, bytes);
        EXPECT_TRUE(f.run_until([&] { return c->response_count() > before; }));
        return c->last_response()->msg();
    }
    std::uint64_t counter(const std::string& part, const std::string& name) {
        const auto all = f.sbc->counters();
        for (const auto& row : all["rows"]) {
            if (row[0] == part && row[1] == name) {
                return row[2].get<std::uint64_t>();
            }
        }
        ADD_FAILURE() << "no counter " << part << "." << name << " in " << all.dump();
        return 0;
    }

    sbc_fixture f;
    std::unique_ptr<sip_client> c;
};

TEST_F(edge_fixture, OversizedRequestsAreAnsweredAtTheEdgeAndNeverReachOsv) {
    register_params p;
    // The robustness run's 18 kB REGISTER (a body, so that no single line is over a limit).
    std::string big = make_register(*c, p);
    const std::string body(18000, 'b');
    big.replace(big.find("Content-Length: 0"), 17,
                "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()));
    big += body;
    auto r = exchange(big);
    EXPECT_EQ(r.status_code(), 413);
    EXPECT_NE(r.reason_phrase().find("the PBX takes 12288"), std::string::npos)
        << r.reason_phrase();

    // Eight 7 kB Accept headers: too large as a whole; one 1.5 kB one: too long a line.
    p.cseq = 2;
    for (int i = 0; i < 8; ++i) {
        p.extra += "Accept: " + std::string(7000, 'a') + "\r\n";
    }
    r = exchange(make_register(*c, p));
    EXPECT_EQ(r.status_code(), 413);
    EXPECT_NE(r.reason_phrase().find("message of "), std::string::npos) << r.reason_phrase();
    p.extra = "Accept: " + std::string(1500, 'a') + "\r\n";
    r = exchange(make_register(*c, p));
    EXPECT_EQ(r.status_code(), 413);
    EXPECT_NE(r.reason_phrase().find("Accept header line of 1508 bytes, the PBX takes 1024"),
              std::string::npos)
        << r.reason_phrase();

    // An INVITE with a long SDP attribute line: 488 with a Warning.
    r = exchange(request("", sdp_with("a=x-pad:" + std::string(1500, 'x'))));
    EXPECT_EQ(r.status_code(), 488);
    ASSERT_NE(r.find("Warning"), nullptr);
    EXPECT_EQ(r.find("Warning")->value, "399 sbc \"sdp_line\"");

    EXPECT_EQ(f.osv[0]->count("REGISTER"), 0u);
    EXPECT_EQ(f.osv[0]->count("INVITE"), 0u);
    EXPECT_EQ(counter("core_limits", "in_message_size"), 2u);
    EXPECT_EQ(counter("core_limits", "in_header_line"), 1u);
    EXPECT_EQ(counter("core_limits", "in_sdp_line"), 1u);
    EXPECT_EQ(counter("core_limits", "in_total"), 4u);

    // The same client, well-formed, registers: a refusal costs nothing else.
    register_params ok;
    ok.cseq = 3;
    EXPECT_TRUE(f.register_client(*c, ok));
}

TEST_F(edge_fixture, ControlCharactersInAHeaderValueNeverReachOsv) {
    for (const auto& ua : {"Zoom\rPhone"s, "Zoom\0Phone"s}) {
        register_params p;
        p.user_agent = ua;
        p.call_id = "cc" + std::to_string(ua.size()) + std::to_string(ua[4]);
        const auto r = exchange(make_register(*c, p));
        EXPECT_EQ(r.status_code(), 400);
    }
    EXPECT_EQ(f.osv[0]->count("REGISTER"), 0u);
    // Refused here or, once the parser refuses such bytes itself, by the transport.
    EXPECT_EQ(
        counter("core_limits", "in_control_character") + counter("access", "malformed_requests"),
        2u);
}

TEST_F(edge_fixture, WhatWouldBreakALimitTowardTheCoreIsNotSent) {
    const auto& node = f.sbc->trunk().target(0);
    std::string big = request("", std::string(13000, 'b'), "text/plain");
    EXPECT_EQ(f.sbc->core().send_direct(node, big), sip::send_status::refused);
    // Through a transaction: a failed send, reported to the sender as a transport error.
    auto parsed = sip::parse(big);
    ASSERT_TRUE(parsed);
    bool failed = false;
    sip::transaction_layer::client_callbacks cb;
    cb.on_failure = [&](sip::client_failure why) {
        failed = why == sip::client_failure::transport_error;
    };
    f.sbc->core().transactions().start_client(std::move(parsed.value()), node, std::move(cb));
    ASSERT_TRUE(f.run_until([&] { return failed; }));
    f.run_for(100ms);
    EXPECT_EQ(f.osv[0]->count("INVITE"), 0u);
    EXPECT_EQ(counter("core_limits", "out_message_size"), 2u);
}

TEST_F(edge_fixture, AHandlerThatThrowsCostsOneMessageAndIsCounted) {
    f.sbc->dispatcher().route(
        realm_id::access, sip::sip_method::message,
        [](const inbound_request&) -> void { throw std::runtime_error("bug\r\nforged log line"); });
    std::string msg = request("");
    msg.replace(0, 6, "MESSAGE");
    msg.replace(msg.find("CSeq: 1 INVITE"), 14, "CSeq: 1 MESSAGE");
    const auto r = exchange(msg);
    EXPECT_EQ(r.status_code(), 500);
    EXPECT_EQ(f.sbc->guard().caught(guarded_entry::access_message), 1u);
    const auto st = f.sbc->status()["exceptions"];
    EXPECT_EQ(st["total"], 1);
    const std::string last = st["last"];
    EXPECT_NE(last.find("bug\\x0d\\x0aforged log line"), std::string::npos) << last;
    EXPECT_NE(last.find("MESSAGE sip:bob@pbx.local"), std::string::npos) << last;

    // A closed connection's handler that throws: counted, the other handlers are not lost.
    f.sbc->access().on_closed(
        [](const sip::connection_closed&) { throw std::logic_error("closed handler bug"); });
    // sbcd goes on: the client registers.
    register_params p;
    EXPECT_TRUE(f.register_client(*c, p));
    c->close_all();
    ASSERT_TRUE(
        f.run_until([&] { return f.sbc->guard().caught(guarded_entry::connection_closed) == 1u; }));
    EXPECT_EQ(f.sbc->bindings().active(), 0u) << "the registrar heard the close first";
}

}  // namespace
}  // namespace sbc::cp::test
