// E911 in sbcd against fake providers on loopback: the remote endpoint's own ports on both
// realms, location-domain health by OPTIONS (guide 12.1.2.2), the order a call tries them in and
// the failover decisions (timeout, 503, connection failure), provider sources, and start-up
// errors that name the setting. The providers are fake_osv peers (tests/controlplane/
// sip_harness.hpp): a provider that answers 503 or never answers on demand is what SIPp cannot
// be told mid-test; the real SIPp provider is in tests/system.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

using e911::domain_health;
using e911::domain_outcome;

// An endpoint whose location domains are `domains`, on fresh loopback ports.
config::remote_endpoint endpoint_to(std::vector<config::location_domain> domains) {
    config::remote_endpoint e;
    e.name = "e911";
    e.ssp_profile = "RedSky";
    e.access_realm = "access";
    e.core_realm = "core";
    e.core_realm_port = sip::test::free_port_tcp_and_udp();
    e.access_realm_port = sip::test::free_port_tcp_and_udp();
    e.media_profile = "E911_RTP";
    e.location_domains = std::move(domains);
    e.options_interval_s = 1;
    e.failure_threshold = 2;
    e.recovery_threshold = 1;
    return e;
}

config::location_domain domain_at(const sip::socket_address& a, config::sip_transport t) {
    return {a.ip(), a.port(), t};
}

struct e911_fixture : sbc_fixture {
    // Providers on 127.0.0.20, .21 (fake_osv answers OPTIONS as told).
    std::vector<std::unique_ptr<fake_osv>> providers;

    fake_osv& provider(const std::string& ip) {
        providers.push_back(std::make_unique<fake_osv>(loop, ip));
        return *providers.back();
    }
    e911::location_domains& domains() { return *sbc->e911().at(0).domains; }
    domain_health health(std::size_t i) { return domains().domain(i).health; }
};

TEST(E911Service, TheEndpointsPortsOpenAndAnsweringDomainsComeUp) {
    e911_fixture f;
    auto& p = f.provider("127.0.0.20");
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(p.address, config::sip_transport::udp)}));
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_EQ(f.sbc->e911().size(), 1u);
    ASSERT_TRUE(f.run_until([&] { return f.health(0) == domain_health::up; }, 3s));
    EXPECT_GE(p.count("OPTIONS"), 1u);
    // The keep-alive leaves from the endpoint's access-side port (what the provider whitelists).
    EXPECT_EQ(p.of("OPTIONS")[0].ctx.remote.port(), f.cfg.remote_endpoints[0].access_realm_port);

    const auto st = f.sbc->status();
    const std::string core_port = ":" + std::to_string(f.cfg.remote_endpoints[0].core_realm_port);
    int core_listeners = 0;
    for (const auto& l : st["realms"][1]["listeners"]) {
        core_listeners += l["address"].get<std::string>().ends_with(core_port) ? 1 : 0;
    }
    EXPECT_EQ(core_listeners, 2) << st.dump();  // UDP and TCP

    const auto e = f.sbc->e911().status();
    EXPECT_EQ(e["remote_endpoints"][0]["name"], "e911");
    EXPECT_EQ(e["remote_endpoints"][0]["location_domains"][0]["state"], "up");
    EXPECT_EQ(e["emergency_numbers"]["core"], nlohmann::json({"911", "933"}));
}

TEST(E911Service, ADomainAnswering503GoesDownAndTheNextIsTriedFirst) {
    e911_fixture f;
    auto& first = f.provider("127.0.0.20");
    auto& second = f.provider("127.0.0.21");
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(first.address, config::sip_transport::udp),
                     domain_at(second.address, config::sip_transport::tcp)}));
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_TRUE(f.run_until(
        [&] { return f.health(0) == domain_health::up && f.health(1) == domain_health::up; }, 3s));
    EXPECT_EQ(f.domains().order(), (std::vector<std::size_t>{0, 1}));

    first.options = fake_osv::mode::unavailable;
    ASSERT_TRUE(f.run_until([&] { return f.health(0) == domain_health::down; }, 4s));
    EXPECT_EQ(f.domains().domain(0).reason, "OPTIONS answered 503");
    // A dead domain is tried last, never left out: all may be down and the call still goes out.
    EXPECT_EQ(f.domains().order(), (std::vector<std::size_t>{1, 0}));

    first.options = fake_osv::mode::answer;
    ASSERT_TRUE(f.run_until([&] { return f.health(0) == domain_health::up; }, 3s));
    EXPECT_EQ(f.domains().order(), (std::vector<std::size_t>{0, 1}));
}

TEST(E911Service, AnUnansweredDomainTimesOutAfter8T1) {
    e911_fixture f;
    f.cfg.sip.t1_ms = 50;
    auto& p = f.provider("127.0.0.20");
    p.options = fake_osv::mode::silent;
    // TCP: fake_osv's port is only known free for TCP; a UDP port it failed to bind would
    // answer ICMP (a transport failure), not silence.
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(p.address, config::sip_transport::tcp)}));
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_TRUE(f.run_until([&] { return f.health(0) == domain_health::down; }, 4s));
    EXPECT_EQ(f.domains().domain(0).reason, "OPTIONS unanswered for 8 x T1");
    EXPECT_GE(f.domains().domain(0).options_failed, 2u);
}

TEST(E911Service, ARefusedConnectionTakesADomainDownAtOnce) {
    e911_fixture f;
    auto& live = f.provider("127.0.0.21");
    // Nothing listens here: the TCP connect is refused.
    const auto dead =
        *sip::socket_address::from_ip("127.0.0.22", sip::test::free_port(SOCK_STREAM));
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(dead, config::sip_transport::tcp),
                     domain_at(live.address, config::sip_transport::udp)}));
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_TRUE(f.run_until(
        [&] { return f.health(0) == domain_health::down && f.health(1) == domain_health::up; },
        3s));
    EXPECT_EQ(f.domains().domain(0).reason, "OPTIONS transport failure");
    EXPECT_EQ(f.domains().domain(0).options_sent, 1u);  // one failure is enough
    EXPECT_EQ(f.domains().order(), (std::vector<std::size_t>{1, 0}));
}

TEST(E911Service, ACallAttemptsFailureTakesADomainDownAtOnceAndIsKept) {
    e911_fixture f;
    auto& a = f.provider("127.0.0.20");
    auto& b = f.provider("127.0.0.21");
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(a.address, config::sip_transport::udp),
                     domain_at(b.address, config::sip_transport::udp)}));
    ASSERT_TRUE(f.start()) << f.start_error;
    ASSERT_TRUE(f.run_until([&] { return f.health(1) == domain_health::up; }, 3s));
    auto& d = f.domains();
    // An answered attempt changes nothing; a 503, a timeout or a transport failure of a call
    // moves the next call elsewhere without waiting for the keep-alive's threshold.
    d.tried(0);
    d.report(0, domain_outcome::answered, "200 OK");
    EXPECT_NE(f.health(0), domain_health::down);
    d.report(0, domain_outcome::unavailable, "503 Service Unavailable");
    EXPECT_EQ(f.health(0), domain_health::down);
    EXPECT_EQ(d.domain(0).reason, "503 Service Unavailable");
    d.report(1, domain_outcome::timeout, "no answer in failover_timeout_ms");
    EXPECT_EQ(f.health(1), domain_health::down);
    EXPECT_EQ(d.domain(0).calls_tried, 1u);
    EXPECT_EQ(d.domain(0).calls_failed, 1u);
    EXPECT_EQ(d.order(), (std::vector<std::size_t>{0, 1}));  // all down: configured order
    d.report(7, domain_outcome::timeout, "out of range");    // ignored, no crash

    for (std::uint64_t call = 1; call <= 40; ++call) {
        d.record_failure({std::chrono::system_clock::now(), call, "udp:a 503; udp:b timeout", 503});
    }
    ASSERT_EQ(d.failures().size(), 32u);
    EXPECT_EQ(d.failures().front().call, 40u);  // newest first
    const auto st = f.sbc->e911().status();
    EXPECT_EQ(st["remote_endpoints"][0]["failures"].size(), 32u);
    EXPECT_EQ(st["remote_endpoints"][0]["location_domains"][0]["state"], "down");
}

TEST(E911Service, ProvidersAreKnownByAddressAndTheCorePortByItsPort) {
    e911_fixture f;
    auto& p = f.provider("127.0.0.20");
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(p.address, config::sip_transport::udp)}));
    ASSERT_TRUE(f.start()) << f.start_error;
    auto& e = f.sbc->e911();
    // By IP: a provider may send from any port.
    const auto other_port = *sip::socket_address::from_ip("127.0.0.20", 40000);
    EXPECT_EQ(e.provider_at(realm_id::access, other_port), 0u);
    EXPECT_EQ(e.provider_at(realm_id::core, other_port), std::nullopt);
    EXPECT_EQ(e.provider_at(realm_id::access, *sip::socket_address::from_ip("127.0.0.5", 5060)),
              std::nullopt);
    const auto port = f.cfg.remote_endpoints[0].core_realm_port;
    EXPECT_EQ(e.endpoint_on_port(realm_id::core, *sip::socket_address::from_ip("127.0.0.1", port)),
              0u);
    EXPECT_EQ(
        e.endpoint_on_port(realm_id::access, *sip::socket_address::from_ip("127.0.0.1", port)),
        std::nullopt);
    EXPECT_EQ(e.endpoint_on_port(realm_id::core, f.core), std::nullopt);
    auto ruri = sip::parse_uri("sip:933@127.0.0.1");
    EXPECT_EQ(e.emergency_number(realm_id::core, ruri.value()), "933");
}

TEST(E911Service, AProviderIsAnsweredOptionsAndRefusedOutOfDialogRequests) {
    e911_fixture f;
    auto& p = f.provider("127.0.0.20");
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(p.address, config::sip_transport::tcp)}));
    ASSERT_TRUE(f.start()) << f.start_error;
    const auto sbc_access =
        *sip::socket_address::from_ip("127.0.0.1", f.cfg.remote_endpoints[0].access_realm_port);
    auto request = [&](std::string_view method, std::string_view branch) {
        std::string m(method);
        m.append(" sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP ")
            .append(p.address.to_string())
            .append(";branch=z9hG4bK")
            .append(branch)
            .append(
                "\r\nMax-Forwards: 70\r\nFrom: <sip:provider@127.0.0.20>;tag=p\r\n"
                "To: <sip:sbc@127.0.0.1>\r\nCall-ID: ")
            .append(branch)
            .append("@provider\r\nCSeq: 1 ")
            .append(method)
            .append(
                "\r\nContact: <sip:provider@127.0.0.20;transport=tcp>\r\n"
                "Content-Length: 0\r\n\r\n");
        return m;
    };
    p.send(request("OPTIONS", "o1"), sbc_access);
    ASSERT_TRUE(f.run_until([&] { return !p.responses.empty(); }));
    EXPECT_EQ(p.responses.back().msg().status_code(), 200);
    // The provider never starts calls: the SBC is its UAC (guide 12.1.2).
    const std::size_t before = p.responses.size();
    p.send(request("INVITE", "i1"), sbc_access);
    ASSERT_TRUE(f.run_until([&] {
        return p.responses.size() > before && p.responses.back().msg().status_code() >= 200;
    }));
    EXPECT_EQ(p.responses.back().msg().status_code(), 403);
}

TEST(E911Service, ACoreRealmPortInUseNamesTheSetting) {
    e911_fixture f;
    auto& p = f.provider("127.0.0.20");
    f.cfg.remote_endpoints.push_back(
        endpoint_to({domain_at(p.address, config::sip_transport::udp)}));
    sip::io_loop other;
    sip::transport_layer squatter(other, {}, {});
    const auto taken = squatter.listen_tcp(*sip::socket_address::parse("127.0.0.1:0"));
    ASSERT_TRUE(taken);
    f.cfg.remote_endpoints[0].core_realm_port = taken.value().port();
    EXPECT_FALSE(f.start());
    EXPECT_NE(f.start_error.find("remote_endpoint[0] (e911).core_realm_port"), std::string::npos)
        << f.start_error;
}

}  // namespace
}  // namespace sbc::cp::test
