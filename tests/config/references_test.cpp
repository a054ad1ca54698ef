#include <gtest/gtest.h>

#include "tests/config/support.hpp"

// Rules across sections: names that must resolve, names that must be unique, ports that must
// not collide.

namespace sbc::config::test {
namespace {

const std::string e911 = R"(
[[ssp_profile]]
name = "RedSky"

[[remote_endpoint]]
name = "e911"
type = "ssp"
ssp_profile = "RedSky"
access_realm = "access"
core_realm = "core"
core_realm_port = 5070
media_profile = "RTP"

[[remote_endpoint.location_domain]]
url = "203.0.113.3"
)";

TEST(References, MinimalWithRemoteEndpointIsValid) {
    load_result r = load(minimal_toml + e911);
    ASSERT_TRUE(r.config) << describe(r);
    EXPECT_EQ(r.config->remote_endpoints[0].location_domains[0].port, 5060);
}

TEST(References, RealmMediaProfileMustExist) {
    std::string text = replace(minimal_toml, "media_profile = \"RTP\"", "media_profile = \"PCM\"");
    expect_one_error(load(text), "realm.core.media_profile", locate(text, "\"PCM\""),
                     "media_profile 'PCM' is not defined");
}

TEST(References, RealmCertificateProfileMustExist) {
    std::string text =
        replace(minimal_toml, "certificate_profile = \"tls\"", "certificate_profile = \"tls2\"");
    expect_one_error(load(text), "realm.access.certificate_profile", locate(text, "\"tls2\""),
                     "certificate_profile 'tls2' is not defined");
}

TEST(References, UserAgentMediaProfileMustExist) {
    std::string text = minimal_toml +
                       "[[user_agent]]\nname = \"zoom\"\nmatch = \"prefix\"\npattern = "
                       "\"ZoomPbxPhone\"\nmedia_profile = \"SRTP_SDES\"\n";
    expect_one_error(load(text), "user_agent[0].media_profile", locate(text, "\"SRTP_SDES\""),
                     "media_profile 'SRTP_SDES' is not defined");
}

TEST(References, SubnetProfilesMustExist) {
    std::string text = minimal_toml +
                       "[remote_subscribers]\nenable = true\n[[remote_subscribers.subnet]]\n"
                       "cidr = \"0.0.0.0/0\"\ncertificate_profile = \"nocert\"\n"
                       "media_profile = \"nomedia\"\n";
    load_result r = load(text);
    ASSERT_EQ(r.errors.size(), 2u) << describe(r);
    EXPECT_EQ(r.errors[0].key, "remote_subscribers.subnet[0].certificate_profile");
    EXPECT_EQ(r.errors[0].line, locate(text, "\"nocert\"").line);
    EXPECT_EQ(r.errors[0].column, locate(text, "\"nocert\"").column);
    EXPECT_EQ(r.errors[1].key, "remote_subscribers.subnet[0].media_profile");
    EXPECT_EQ(r.errors[1].line, locate(text, "\"nomedia\"").line);
}

TEST(References, RemoteEndpointReferencesMustExist) {
    std::string text =
        replace(minimal_toml + e911, "ssp_profile = \"RedSky\"", "ssp_profile = \"Intrado\"");
    text = replace(text, "media_profile = \"RTP\"\n\n[[remote",
                   "media_profile = \"G711\"\n\n[[remote");
    text = replace(text, "core_realm = \"core\"", "core_realm = \"pbx\"");
    load_result r = load(text);
    ASSERT_EQ(r.errors.size(), 3u) << describe(r);
    EXPECT_EQ(r.errors[0].key, "remote_endpoint[0].ssp_profile");
    EXPECT_EQ(r.errors[0].rule, "ssp_profile 'Intrado' is not defined");
    EXPECT_EQ(r.errors[1].key, "remote_endpoint[0].core_realm");
    EXPECT_EQ(r.errors[1].rule, "realm 'pbx' is not defined");
    EXPECT_EQ(r.errors[1].line, locate(text, "\"pbx\"").line);
    EXPECT_EQ(r.errors[2].key, "remote_endpoint[0].media_profile");
    EXPECT_EQ(r.errors[2].line, locate(text, "\"G711\"").line);
}

// Guide 12.1.2.2: a remote endpoint has two realms. The one-realm key of the old schema is
// refused with what to write instead; the two realms must differ.
TEST(References, RemoteEndpointHasTwoDistinctRealms) {
    std::string text =
        replace(minimal_toml + e911, "access_realm = \"access\"\ncore_realm = \"core\"",
                "realm = \"core\"");
    load_result r = load(text);
    ASSERT_EQ(r.errors.size(), 3u) << describe(r);
    // Missing keys are reported at the table's header, before the old key.
    EXPECT_EQ(r.errors[0].key, "remote_endpoint[0].access_realm");
    EXPECT_EQ(r.errors[1].key, "remote_endpoint[0].core_realm");
    EXPECT_EQ(r.errors[2].key, "remote_endpoint[0].realm");
    EXPECT_EQ(r.errors[2].line, locate(text, "realm = \"core\"").line);
    EXPECT_NE(r.errors[2].rule.find("set access_realm"), std::string::npos) << r.errors[2].rule;

    text = replace(minimal_toml + e911, "core_realm = \"core\"", "core_realm = \"access\"");
    expect_one_error(load(text), "remote_endpoint[0].core_realm",
                     locate(text, "\"access\"\ncore_realm_port"),
                     "must differ from access_realm (the provider is reached from one realm, OSV "
                     "sends the calls on the other)");
}

TEST(References, RemoteEndpointNeedsALocationDomain) {
    std::string text =
        replace(minimal_toml + e911, "[[remote_endpoint.location_domain]]\nurl = \"203.0.113.3\"\n",
                "location_domain = []\n");
    expect_one_error(load(text), "remote_endpoint[0].location_domain", locate(text, "[]"),
                     "at least one [[remote_endpoint.location_domain]]");
    text = replace(minimal_toml + e911,
                   "[[remote_endpoint.location_domain]]\nurl = \"203.0.113.3\"\n", "");
    expect_one_error(load(text), "remote_endpoint[0].location_domain",
                     locate(text, "[[remote_endpoint]]"), "required key is missing");
}

TEST(References, TlsLocationDomainNeedsTheAccessRealmsCertificate) {
    std::string text = replace(minimal_toml + e911, "url = \"203.0.113.3\"",
                               "url = \"203.0.113.3\"\ntransport = \"tls\"");
    ASSERT_TRUE(load(text).config) << describe(load(text));
    EXPECT_EQ(load(text).config->remote_endpoints[0].location_domains[0].port, 5061);
    text = replace(text, "access_realm = \"access\"\ncore_realm = \"core\"",
                   "access_realm = \"core\"\ncore_realm = \"access\"");
    expect_one_error(load(text), "remote_endpoint[0].location_domain[0].transport",
                     locate(text, "transport = \"tls\"", 12),
                     "tls needs a certificate_profile on realm.core");
}

TEST(References, SipServerRealmMustExist) {
    std::string text = replace(minimal_toml, "comm_system_type = \"simplex\"",
                               "comm_system_type = \"simplex\"\nrealm = \"pbx\"");
    expect_one_error(load(text), "sip_server.realm", locate(text, "\"pbx\""),
                     "realm 'pbx' is not defined");
}

TEST(References, DuplicateNamesPointAtTheSecond) {
    std::string text = minimal_toml + "[[media_profile]]\nname = \"SRTP\"\nprotocol = \"rtp\"\n";
    place second = locate(text, "name = \"SRTP\"\nprotocol = \"rtp\"", 7);
    expect_one_error(load(text), "media_profile[2].name", second,
                     "duplicate media_profile name 'SRTP' (first defined at line 29)");

    text = minimal_toml + e911 + e911;
    load_result r = load(text);
    ASSERT_EQ(r.errors.size(), 3u) << describe(r);
    EXPECT_EQ(r.errors[0].key, "ssp_profile[1].name");
    EXPECT_EQ(r.errors[1].key, "remote_endpoint[1].name");
    // Two endpoints on one port collide as well (once, though both realms' ports collide).
    EXPECT_EQ(r.errors[2].key, "remote_endpoint[1].core_realm_port");
}

TEST(References, TlsRealmNeedsCertificateProfile) {
    std::string text = replace(minimal_toml, "certificate_profile = \"tls\"\n", "");
    expect_one_error(load(text), "realm.access.certificate_profile", locate(text, "[realm.access]"),
                     "required when sip_tls_port is not 0");
}

TEST(References, TlsNodeNeedsCertificateOnItsRealm) {
    std::string text = replace(minimal_toml, "transport = \"tcp\"", "transport = \"tls\"");
    load_result r = load(text);
    expect_one_error(r, "sip_server.node[0].transport", locate(text, "\"tls\"\n\n[[media"),
                     "tls needs a certificate_profile on realm.core");
    ASSERT_TRUE(
        load(replace(text, "dpdk_port = 1\n", "dpdk_port = 1\ncertificate_profile = \"tls\"\n"))
            .config);
}

TEST(Ports, SameSipPortOnTheSameAddressCollides) {
    // Both realms on one signalling address, both with TCP 5060.
    std::string text = replace(minimal_toml, "signalling_address = \"198.51.100.1\"",
                               "signalling_address = \"192.0.2.1\"");
    text = replace(text, "sip_tls_port = 5061", "sip_tls_port = 5061\nsip_tcp_port = 5060");
    expect_one_error(load(text), "realm.core.sip_tcp_port",
                     locate(text, "5060\nmedia_address = \"198"),
                     "collides on 192.0.2.1 with realm.access.sip_tcp_port (port 5060)");
}

TEST(Ports, TlsAndTcpShareTheTcpPortSpaceButUdpDoesNot) {
    std::string text = replace(minimal_toml, "sip_tcp_port = 5060",
                               "sip_tcp_port = 5060\nsip_tls_port = 5060\nsip_udp_port = 5060");
    text = replace(text, "dpdk_port = 1\n", "dpdk_port = 1\ncertificate_profile = \"tls\"\n");
    expect_one_error(load(text), "realm.core.sip_tls_port", locate(text, "sip_tls_port = 5060", 15),
                     "with realm.core.sip_tcp_port (port 5060)");
}

TEST(Ports, WildcardAddressCollidesWithEveryAddressOfItsFamily) {
    std::string text = replace(minimal_toml, "signalling_address = \"198.51.100.1\"",
                               "signalling_address = \"0.0.0.0\"");
    text = replace(text, "sip_tcp_port = 5060", "sip_tcp_port = 5061");
    expect_one_error(load(text), "realm.core.sip_tcp_port", locate(text, "sip_tcp_port = 5061", 15),
                     "collides on 0.0.0.0 with realm.access.sip_tls_port (port 5061)");
}

TEST(Ports, RemoteEndpointPortMustNotBeACoreSipPort) {
    std::string text =
        replace(minimal_toml + e911, "core_realm_port = 5070", "core_realm_port = 5060");
    expect_one_error(load(text), "remote_endpoint[0].core_realm_port",
                     locate(text, "core_realm_port = 5060", 18),
                     "collides on 198.51.100.1 with realm.core.sip_tcp_port (port 5060)");
}

// The access-side port defaults to core_realm_port's number; a collision of the default is
// reported at the key that set it, an explicit access_realm_port at its own key.
TEST(Ports, RemoteEndpointAccessPortMustNotBeAnAccessSipPort) {
    std::string text =
        replace(minimal_toml + e911, "core_realm_port = 5070", "core_realm_port = 5061");
    expect_one_error(load(text), "remote_endpoint[0].core_realm_port",
                     locate(text, "core_realm_port = 5061", 18),
                     "collides on 192.0.2.1 with realm.access.sip_tls_port (port 5061)");
    text = replace(minimal_toml + e911, "core_realm_port = 5070",
                   "core_realm_port = 5070\naccess_realm_port = 5061");
    expect_one_error(load(text), "remote_endpoint[0].access_realm_port",
                     locate(text, "access_realm_port = 5061", 20),
                     "collides on 192.0.2.1 with realm.access.sip_tls_port (port 5061)");
    text = replace(minimal_toml + e911, "core_realm_port = 5070",
                   "core_realm_port = 5070\naccess_realm_port = 5080");
    ASSERT_TRUE(load(text).config) << describe(load(text));
    EXPECT_EQ(load(text).config->remote_endpoints[0].access_realm_port, 5080);
    EXPECT_EQ(load(minimal_toml + e911).config->remote_endpoints[0].access_realm_port, 5070);
}

TEST(Ports, EmergencyReserveMustLeaveOrdinaryCallsPorts) {
    std::string text = minimal_toml + "[calls]\nemergency_port_reserve = 500\n";
    expect_one_error(load(text), "calls.emergency_port_reserve", locate(text, "reserve = 500", 10),
                     "must be below the 500 media ports of realm.access");
    ASSERT_TRUE(load(replace(text, "reserve = 500", "reserve = 499")).config);
}

TEST(Ports, MediaRangesOverlappingOnOneAddressCollide) {
    std::string text =
        replace(minimal_toml, "media_address = \"198.51.100.2\"", "media_address = \"192.0.2.2\"");
    text = replace(text, "media_port_min = 50000", "media_port_min = 40998");
    expect_one_error(load(text), "realm.core.media_port_min", locate(text, "40998"),
                     "with realm.access.media_port_min (media ports 40000-40999)");
    // Distinct addresses may reuse a range.
    text = replace(minimal_toml, "media_port_min = 50000", "media_port_min = 40000");
    text = replace(text, "media_port_max = 50999", "media_port_max = 40999");
    EXPECT_TRUE(load(text).config) << describe(load(text));
}

TEST(Ports, SignallingPortInsideAMediaRangeCollides) {
    std::string text = replace(minimal_toml, "media_address = \"198.51.100.2\"",
                               "media_address = \"198.51.100.1\"");
    text = replace(text, "media_port_min = 50000", "media_port_min = 5000");
    expect_one_error(load(text), "realm.core.media_port_min", locate(text, "5000\n"),
                     "with realm.core.sip_tcp_port (port 5060)");
}

TEST(Ports, RemoteEndpointPortInsideAMediaRangeCollides) {
    std::string text = replace(minimal_toml + e911, "media_address = \"198.51.100.2\"",
                               "media_address = \"198.51.100.1\"");
    text = replace(text, "core_realm_port = 5070", "core_realm_port = 50002");
    expect_one_error(load(text), "remote_endpoint[0].core_realm_port", locate(text, "50002"),
                     "with realm.core.media_port_min (media ports 50000-50999)");
}

}  // namespace
}  // namespace sbc::config::test
