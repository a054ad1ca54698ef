// Emergency calls through the B2BUA (issue 13, guide 12.2): OSV sends the INVITE to a remote
// endpoint's core_realm_port; it leaves out of the access realm to the endpoint's location
// domains in order, with the endpoint's media profile (RTP, PCMU) and SSP profile, and fails
// over to the next domain on 503, a connection failure or silence. The providers are scripted
// sip_peers (call_harness.hpp) because the test must make them answer 503 or stay silent; the
// real SIPp provider belongs in tests/system.

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include "controlplane/metrics/sip_metrics.hpp"
#include "mgmt/json_text.hpp"
#include "sip/ids.hpp"
#include "tests/controlplane/b2bua/call_harness.hpp"
#include "tests/controlplane/media/media_support.hpp"
#include "tests/sip/transport/test_support.hpp"

namespace sbc::cp::test {
namespace {

using sbc::test::client_offer;
using sbc::test::crypto80;
using sbc::test::osv_sdp;

class emergency : public ::testing::Test {
  protected:
    // Providers on 127.0.0.20.. (TCP: the harness's access realm has no UDP listener).
    sip_peer& provider(const std::string& ip) {
        providers.push_back(std::make_unique<sip_peer>(f.loop, ip, false));
        return *providers.back();
    }
    void endpoint(const std::vector<sip::socket_address>& domains) {
        config::remote_endpoint e;
        e.name = "e911";
        e.ssp_profile = "RedSky";
        e.access_realm = "access";
        e.core_realm = "core";
        e.core_realm_port = sip::test::free_port_tcp_and_udp();
        e.access_realm_port = sip::test::free_port_tcp_and_udp();
        e.media_profile = "E911_RTP";
        for (const auto& d : domains) {
            e.location_domains.push_back({d.ip(), d.port(), config::sip_transport::tcp});
        }
        e.failover_timeout_ms = 400;
        f.cfg.remote_endpoints.push_back(e);
        core_port = *sip::socket_address::from_ip("127.0.0.1", e.core_realm_port);
    }
    void start() { ASSERT_TRUE(f.start()) << f.error; }

    // OSV sends 933 to the endpoint's core_realm_port over TCP (guide 12.2.1).
    void osv_dials_933(const std::string& extra = {}) {
        od.call_id = sip::make_call_id("osv");
        od.local_tag = sip::make_tag();
        od.local_uri = "\"Alice\" <sip:+15551230001@pbx.local>";
        od.remote_uri = "<sip:933@pbx.local>";
        od.remote_target = "sip:933@" + core_port.to_string() + ";transport=tcp";
        od.contact = "<sip:+15551230001@" + f.osv->address.to_string() + ";transport=tcp>";
        od.via_host = f.osv->address.to_string();
        std::string m = "INVITE " + od.remote_target + " SIP/2.0\r\n";
        m += "Via: SIP/2.0/TCP " + od.via_host + ";branch=" + sip::make_branch() + "\r\n";
        m += "Max-Forwards: 70\r\n";
        m += "From: " + od.local_uri + ";tag=" + od.local_tag + "\r\n";
        m += "To: " + od.remote_uri + "\r\n";
        m += "Call-ID: " + od.call_id + "\r\n";
        m += "CSeq: 1 INVITE\r\n";
        m += "Contact: " + od.contact + "\r\n";
        m += extra;
        const std::string sdp = osv_sdp("sendrecv", "127.0.0.2", 30000, "0 8 101");
        m += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) +
             "\r\n\r\n" + sdp;
        f.osv->send(m, core_port);
    }
    std::optional<sip::message> osv_final() {
        auto r = f.osv->final_response("INVITE");
        if (!r) {
            return std::nullopt;
        }
        return r->msg();
    }
    // The provider answers its last INVITE with `code` (200 with PCMU SDP).
    void answers(sip_peer& p, uint16_t code) {
        auto inv = p.last("INVITE");
        ASSERT_TRUE(inv.has_value());
        auto d =
            peer_dialog::uas(inv->msg(), "<sip:psap@" + p.address.to_string() + ";transport=tcp>");
        const std::string sdp = code == 200 ? osv_sdp("sendrecv", p.ip, 32000, "0") : "";
        p.respond(inv->txn, d.response(inv->msg(), code, sdp));
    }
    nlohmann::json e911_counters() { return f.sip->e911().status()["counters"]; }

    call_fixture f;
    std::vector<std::unique_ptr<sip_peer>> providers;
    sip::socket_address core_port;
    peer_dialog od;
};

TEST_F(emergency, osv_933_on_the_core_realm_port_reaches_the_provider_with_rtp_pcmu_and_ssp) {
    auto& p = provider("127.0.0.20");
    endpoint({p.address});
    start();
    osv_dials_933(
        "P-Asserted-Identity: <sip:+15551230001@pbx.local>\r\n"
        "Geolocation: <cid:loc1@pbx.local>\r\n");
    ASSERT_TRUE(f.run_until([&] { return p.last("INVITE").has_value(); }));
    const auto inv = p.last("INVITE")->msg();
    // To the domain, the dialled number kept; from the access realm's address.
    EXPECT_EQ(inv.request_uri_text(), "sip:933@" + p.address.to_string() + ";transport=tcp");
    EXPECT_TRUE(contains(std::string(inv.top_via().sent_by.host), "127.0.0.1"));
    EXPECT_EQ(header(inv, "P-Asserted-Identity"), "<sip:+15551230001@pbx.local>");
    EXPECT_EQ(header(inv, "Geolocation"), "<cid:loc1@pbx.local>");
    // The endpoint's media profile: RTP/AVP, PCMU only, the access realm's media address.
    const std::string body(inv.body());
    EXPECT_TRUE(contains(body, "m=audio")) << body;
    EXPECT_TRUE(contains(body, "RTP/AVP 0")) << body;
    EXPECT_FALSE(contains(body, " 8 ")) << body;
    EXPECT_FALSE(contains(body, "crypto")) << body;
    EXPECT_TRUE(contains(body, "c=IN IP4 10.1.1.1")) << body;
    EXPECT_FALSE(contains(p.everything(), od.call_id)) << "topology hidden";

    auto detail = [&] { return f.b2bua->calls_json()["calls"][0]; };
    EXPECT_EQ(detail()["kind"], "emergency");
    EXPECT_EQ(detail()["direction"], "core->provider");
    EXPECT_TRUE(contains(detail()["route"].get<std::string>(), "location domain tcp:"));

    answers(p, 200);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->status_code(), 200);
    EXPECT_EQ(e911_counters()["calls_to_provider"], 1);
    EXPECT_EQ(e911_counters()["answered"], 1);
    EXPECT_EQ(e911_counters()["active"], 1);
    EXPECT_EQ(f.flows(), 2u);
    // The same family on the metrics page (issue 16): one definition feeds both.
    metrics::exposition page;
    sip_metrics(page, *f.sip);
    EXPECT_TRUE(contains(page.text(), "\nsbc_e911_answered_total 1\n")) << page.text();
    EXPECT_TRUE(contains(page.text(), "\nsbc_e911_active 1\n"));

    // ACK and BYE from OSV end both legs.
    od.learn(*osv_final());
    f.osv->send_raw(od.request("ACK"), core_port);
    ASSERT_TRUE(f.run_until([&] { return !p.acks.empty(); }));
    f.osv->send(od.request("BYE"), core_port);
    ASSERT_TRUE(f.run_until([&] { return p.last("BYE").has_value() && f.b2bua->active() == 0; }));
    EXPECT_EQ(e911_counters()["active"], 0);
    ASSERT_TRUE(f.run_until([&] { return !f.records().empty(); }));
    EXPECT_EQ(f.records().back()["emergency"], true);
}

TEST_F(emergency, a_503_from_the_first_domain_sends_the_call_to_the_second) {
    auto& first = provider("127.0.0.20");
    auto& second = provider("127.0.0.21");
    endpoint({first.address, second.address});
    start();
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return first.last("INVITE").has_value(); }));
    answers(first, 503);
    ASSERT_TRUE(f.run_until([&] { return second.last("INVITE").has_value(); }));
    EXPECT_FALSE(osv_final().has_value()) << "OSV sees nothing of the failed domain";
    EXPECT_EQ(second.last("INVITE")->msg().request_uri_text(),
              "sip:933@" + second.address.to_string() + ";transport=tcp");
    EXPECT_TRUE(contains(f.b2bua->calls_json()["calls"][0]["route"].get<std::string>(), "2 of 2"));
    answers(second, 200);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->status_code(), 200);
    EXPECT_EQ(e911_counters()["failovers"], 1);
    const auto& domains = *f.sip->e911().at(0).domains;
    EXPECT_EQ(domains.domain(0).health, e911::domain_health::down);
    EXPECT_EQ(domains.domain(0).calls_failed, 1u);
}

// A TCP listener that accepts connections (the kernel's backlog does) and never answers: a
// provider that is up as far as TCP goes and says nothing, not even 100 Trying.
struct silent_listener {
    explicit silent_listener(const std::string& ip) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const auto a = *sip::socket_address::from_ip(ip, sip::test::free_port(SOCK_STREAM));
        address = a;
        if (fd < 0 || ::bind(fd, a.sa(), a.size()) != 0 || ::listen(fd, 16) != 0) {
            ADD_FAILURE() << "cannot listen on " << a.to_string();
        }
    }
    ~silent_listener() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    int fd = -1;
    sip::socket_address address;
};

TEST_F(emergency, a_silent_domain_is_left_after_the_failover_timeout) {
    silent_listener silent("127.0.0.20");
    auto& second = provider("127.0.0.21");
    endpoint({silent.address, second.address});
    start();
    const auto sent = std::chrono::steady_clock::now();
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return second.last("INVITE").has_value(); }));
    // failover_timeout_ms is 400, far below Timer B's 32 s.
    EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(3));
    EXPECT_EQ(f.sip->e911().at(0).domains->domain(0).reason,
              "no answer within failover_timeout_ms 400");
    EXPECT_EQ(e911_counters()["failovers"], 1);
    EXPECT_FALSE(osv_final().has_value());
}

TEST_F(emergency, a_domain_gone_since_its_last_options_fails_over_at_once) {
    auto& first = provider("127.0.0.20");
    auto& second = provider("127.0.0.21");
    endpoint({first.address, second.address});
    start();
    auto& domains = *f.sip->e911().at(0).domains;
    ASSERT_TRUE(f.run_until([&] { return domains.domain(0).health == e911::domain_health::up; }));
    providers.front().reset();  // its listener and connections close: connecting is refused
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return second.last("INVITE").has_value(); }));
    EXPECT_EQ(e911_counters()["failovers"], 1);
    EXPECT_EQ(domains.domain(0).health, e911::domain_health::down);
}

TEST_F(emergency, a_domain_known_dead_is_tried_last) {
    auto& second = provider("127.0.0.21");
    const auto dead = *sip::socket_address::from_ip(
        "127.0.0.22", sip::test::free_port(SOCK_STREAM));  // nobody listens there
    endpoint({dead, second.address});
    start();
    auto& domains = *f.sip->e911().at(0).domains;
    ASSERT_TRUE(f.run_until([&] { return domains.domain(0).health == e911::domain_health::down; }));
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return second.last("INVITE").has_value(); }));
    EXPECT_EQ(e911_counters()["failovers"], 0) << "the live domain first, no failover needed";
    EXPECT_TRUE(contains(f.b2bua->calls_json()["calls"][0]["route"].get<std::string>(), "1 of 2"));
}

TEST_F(emergency, every_domain_failing_gives_osv_the_last_error_and_is_kept_for_the_status) {
    auto& first = provider("127.0.0.20");
    auto& second = provider("127.0.0.21");
    endpoint({first.address, second.address});
    start();
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return first.last("INVITE").has_value(); }));
    answers(first, 503);
    ASSERT_TRUE(f.run_until([&] { return second.last("INVITE").has_value(); }));
    answers(second, 503);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->status_code(), 503);
    EXPECT_EQ(e911_counters()["failed"], 1);
    ASSERT_TRUE(f.run_until([&] { return f.b2bua->active() == 0; }));
    const auto& failures = f.sip->e911().at(0).domains->failures();
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_EQ(failures.front().status, 503);
    EXPECT_TRUE(contains(failures.front().summary, first.address.to_string() + ": 503"))
        << failures.front().summary;
    EXPECT_TRUE(contains(failures.front().summary, second.address.to_string() + ": 503"))
        << failures.front().summary;
}

// The provider is on the internet: its reason phrase is peer bytes. Invalid UTF-8 in it reaches
// the failure summary that the e911 status and the log lines carry; the status must still be
// written (json_text replaces the bytes), and nothing may throw out of the loop.
TEST_F(emergency, a_provider_reason_phrase_of_invalid_utf8_is_kept_safely_for_the_status) {
    auto& p = provider("127.0.0.20");
    endpoint({p.address});
    start();
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return p.last("INVITE").has_value(); }));
    auto inv = p.last("INVITE");
    auto d = peer_dialog::uas(inv->msg(), "<sip:psap@" + p.address.to_string() + ";transport=tcp>");
    std::string answer = d.response(inv->msg(), 503);
    const std::string phrase = "Service Unavailable";
    ASSERT_NE(answer.find(phrase), std::string::npos);
    answer.replace(answer.find(phrase), phrase.size(), "Service \xff\xfe Unavailable");
    p.respond(inv->txn, answer);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->status_code(), 503);
    const auto& failures = f.sip->e911().at(0).domains->failures();
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_TRUE(contains(failures.front().summary, "\xff\xfe")) << "kept as received";
    std::string text;
    ASSERT_NO_THROW(text = mgmt::json_text(f.sip->e911().status()));
    EXPECT_TRUE(contains(text, "Service \xef\xbf\xbd")) << text;  // U+FFFD
    EXPECT_EQ(f.sip->guard().caught(), 0u) << "no exception caught at any entry point";
}

TEST_F(emergency, is_admitted_over_the_session_limit) {
    auto& p = provider("127.0.0.20");
    endpoint({p.address});
    f.cfg.calls.max_sessions = 0;  // every ordinary call is refused 503
    start();
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return p.last("INVITE").has_value(); }));
    EXPECT_EQ(e911_counters()["over_session_limit"], 1);
}

TEST_F(emergency, an_invite_to_the_main_core_port_is_not_an_emergency_call) {
    auto& p = provider("127.0.0.20");
    endpoint({p.address});
    start();
    core_port = f.core_addr;
    osv_dials_933();
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->status_code(), 404);
    EXPECT_FALSE(p.last("INVITE").has_value());
}

// The access leg (guide 12.1.2): a softphone dialling an emergency number of its realm
// ([realm.access] emergency_numbers, 911 and 933 by default) goes to OSV like any call and is
// marked and admitted first (call_routing.hpp).
class emergency_from_access : public ::testing::Test {
  protected:
    void start() { ASSERT_TRUE(f.start()) << f.error; }
    // The phone dials `request_uri`; returns the phone's dialog.
    peer_dialog dials(const std::string& request_uri) {
        peer_dialog pd;
        f.phone->send(f.phone_invite(pd, client_offer(crypto80(1, 0x11)), {}, request_uri),
                      f.access_addr);
        return pd;
    }
    std::optional<sip::message> phone_final(const peer_dialog& pd) {
        for (const auto& r : f.phone->responses) {
            auto m = r.msg();
            if (m.call_id() == pd.call_id && m.status_code() >= 200) {
                return m;
            }
        }
        return std::nullopt;
    }
    nlohmann::json counters() { return f.sip->e911().status()["counters"]; }

    call_fixture f;
};

TEST_F(emergency_from_access, a_softphone_dialling_933_goes_to_osv_marked_emergency) {
    start();
    const auto pd = dials("sip:933@pbx.local");
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
    EXPECT_EQ(f.osv->last("INVITE")->msg().request_uri_text(), "sip:933@pbx.local");
    const auto call = f.b2bua->calls_json()["calls"][0];
    EXPECT_EQ(call["kind"], "emergency_from_access");
    EXPECT_EQ(call["direction"], "access->core");
    EXPECT_TRUE(contains(call["route"].get<std::string>(),
                         "emergency number 933 ([realm.access] emergency_numbers); OSV node osv1"))
        << call["route"];
    EXPECT_EQ(counters()["calls_from_access"], 1);
    EXPECT_EQ(counters()["active"], 1);
    EXPECT_EQ(f.sip->e911().calls_from(realm_id::access, f.phone->address), 1u);

    // OSV refuses it: the call ends, the record says emergency, the gauge and the source drop.
    auto inv = f.osv->last("INVITE");
    auto od = peer_dialog::uas(inv->msg(), "<sip:osv@" + f.osv->address.to_string() + ">");
    f.osv->respond(inv->txn, od.response(inv->msg(), 486));
    ASSERT_TRUE(f.run_until([&] { return phone_final(pd).has_value(); }));
    EXPECT_EQ(phone_final(pd)->status_code(), 486);
    ASSERT_TRUE(f.run_until([&] { return f.records().size() == 1; }));
    EXPECT_EQ(f.records()[0]["emergency"], true);
    EXPECT_EQ(f.records()[0]["direction"], "access->core");
    EXPECT_EQ(counters()["active"], 0);
    EXPECT_EQ(f.sip->e911().calls_from(realm_id::access, f.phone->address), 0u);
}

TEST_F(emergency_from_access, is_admitted_over_the_session_limit_an_ordinary_call_is_not) {
    f.cfg.calls.max_sessions = 0;
    start();
    const auto ordinary = dials("sip:bob@pbx.local");
    ASSERT_TRUE(f.run_until([&] { return phone_final(ordinary).has_value(); }));
    EXPECT_EQ(phone_final(ordinary)->status_code(), 503);
    EXPECT_FALSE(f.osv->last("INVITE").has_value());
    // 911 with a user parameter (RFC 3966 phone-context) is still 911.
    dials("sip:911;phone-context=+1@pbx.local");
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
    EXPECT_EQ(counters()["over_session_limit"], 1);
    EXPECT_EQ(f.b2bua->calls_json()["calls"][0]["kind"], "emergency_from_access");
}

// Hostile input: an emergency number inside other digits or garbage is no emergency call, so it
// gets the session limit's 503 like any call.
TEST_F(emergency_from_access, an_emergency_number_inside_garbage_is_an_ordinary_call) {
    f.cfg.calls.max_sessions = 0;
    start();
    for (const char* uri : {"sip:x933x@pbx.local", "sip:9330@pbx.local", "sip:1933@pbx.local",
                            "sip:933%00@pbx.local", "sip:933933@pbx.local"}) {
        const auto pd = dials(uri);
        ASSERT_TRUE(f.run_until([&] { return phone_final(pd).has_value(); })) << uri;
        EXPECT_EQ(phone_final(pd)->status_code(), 503) << uri;
    }
    EXPECT_FALSE(f.osv->last("INVITE").has_value());
    EXPECT_EQ(counters()["calls_from_access"], 0);
    EXPECT_EQ(f.sip->guard().caught(), 0u);
}

// One internet host dialling 933 in a loop at the session limit: admitted up to
// emergency_calls_per_source_over_limit calls in progress, then 503.
TEST_F(emergency_from_access, one_source_dialling_933_in_a_loop_is_bounded_at_the_limit) {
    f.cfg.calls.max_sessions = 0;
    start();
    const std::size_t bound = b2bua::emergency_calls_per_source_over_limit;
    const std::size_t sent = bound + 4;
    std::vector<peer_dialog> calls;
    for (std::size_t i = 0; i < sent; ++i) {
        calls.push_back(dials("sip:933@pbx.local"));
        // One at a time, so the count the next one sees is settled.
        ASSERT_TRUE(f.run_until([&] {
            return f.osv->of("INVITE").size() == std::min(i + 1, bound) &&
                   (i < bound || phone_final(calls.back()).has_value());
        })) << i;
    }
    EXPECT_EQ(f.osv->of("INVITE").size(), bound);
    for (std::size_t i = bound; i < sent; ++i) {
        EXPECT_EQ(phone_final(calls[i])->status_code(), 503);
    }
    EXPECT_EQ(counters()["over_session_limit"], bound);
    EXPECT_EQ(counters()["active"], bound);
    EXPECT_EQ(f.b2bua->active(), bound);
}

}  // namespace
}  // namespace sbc::cp::test
