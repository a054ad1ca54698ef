#include <gtest/gtest.h>

#include <fstream>

#include "config/config.hpp"
#include "tests/config/pki.hpp"
#include "tests/config/support.hpp"

namespace sbc::config::test {
namespace {

std::string maximal_toml(const test_pki& pki) {
    std::string text = read_text_file(source_dir() + "/tests/config/data/maximal.toml");
    for (auto at = text.find("@PKI@"); at != std::string::npos; at = text.find("@PKI@")) {
        text.replace(at, 5, pki.dir());
    }
    return text;
}

TEST(Loader, EmbeddedDefaultIsTheZoomPsiAppliance) {
    appliance c = embedded_default();
    EXPECT_EQ(c.instance, "default");
    EXPECT_EQ(c.realm.access.signalling_address, "10.1.0.1");
    EXPECT_EQ(c.realm.access.sip_udp_port, 0);
    EXPECT_EQ(c.realm.access.sip_tcp_port, 0);
    EXPECT_EQ(c.realm.access.sip_tls_port, 65061);
    EXPECT_EQ(c.realm.access.media_address, "10.1.1.1");
    EXPECT_EQ(c.realm.access.media_port_min, 40000);
    EXPECT_EQ(c.realm.access.media_port_max, 40999);
    EXPECT_EQ(c.realm.access.certificate_profile, "sbc-tls");
    EXPECT_EQ(c.realm.access.media_profile, "SRTP_SDES");
    EXPECT_EQ(c.realm.core.sip_udp_port, 5060);
    EXPECT_EQ(c.realm.core.sip_tcp_port, 5060);
    EXPECT_EQ(c.realm.core.dpdk_port, 1);
    EXPECT_EQ(c.realm.core.media_profile, "OSV_RTP");
    ASSERT_EQ(c.sip_server.nodes.size(), 1u);
    EXPECT_EQ(c.sip_server.comm_system_type, comm_system::simplex);
    EXPECT_EQ(c.sip_server.nodes[0].address, "10.2.0.2");
    EXPECT_EQ(c.sip_server.nodes[0].transport, sip_transport::tcp);

    const media_profile* srtp = c.find_media_profile("SRTP_SDES");
    ASSERT_NE(srtp, nullptr);
    EXPECT_EQ(srtp->protocol, media_protocol::srtp);
    EXPECT_EQ(srtp->sdes_suites, std::vector{srtp_suite::aes_cm_128_hmac_sha1_80});
    EXPECT_TRUE(srtp->keep_sendonly_on_nat);
    EXPECT_EQ(srtp->rtcp_generation_timeout_s, 4u);
    EXPECT_EQ(srtp->codecs,
              (std::vector<std::string>{"PCMU", "PCMA", "G722", "opus", "telephone-event"}));
    const media_profile* e911 = c.find_media_profile("E911_RTP");
    ASSERT_NE(e911, nullptr);
    EXPECT_FALSE(e911->allow_unconfigured_codecs);
    EXPECT_EQ(e911->codecs, std::vector<std::string>{"PCMU"});

    ASSERT_EQ(c.user_agents.size(), 1u);
    EXPECT_EQ(c.user_agents[0].match, ua_match::prefix);
    EXPECT_EQ(c.remote_subscribers.throttling_bypass_ua_regex,
              "ZoomPbxPhone_Android_Phone|ZoomPbxPhone_IOS_Phone");
    EXPECT_EQ(c.remote_subscribers.max_registration_expiry_s, 2678400u);
    ASSERT_EQ(c.remote_subscribers.subnets.size(), 1u);
    EXPECT_EQ(c.remote_subscribers.subnets[0].cidr, "0.0.0.0/0");
    const remote_endpoint* e = c.find_remote_endpoint("e911");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->core_realm_port, 5070);
    EXPECT_EQ(e->access_realm_port, 5070);
    // Guide 12.1.2.2: OSV's emergency calls arrive on the core realm and leave for the provider,
    // on the internet, out of the access realm.
    EXPECT_EQ(e->core_realm, "core");
    EXPECT_EQ(e->access_realm, "access");
    ASSERT_EQ(e->location_domains.size(), 1u);
    EXPECT_EQ(e->location_domains[0].url, "10.1.0.10");
    EXPECT_EQ(e->location_domains[0].transport, sip_transport::udp);
    EXPECT_EQ(c.realm.access.emergency_numbers, (std::vector<std::string>{"911", "933"}));
    EXPECT_EQ(c.calls.emergency_port_reserve, 20u);
    EXPECT_FALSE(c.cloudlink.enable);
    EXPECT_TRUE(c.push.enable);
    EXPECT_EQ(c.dataplane.eal_args.size(), 4u);
    EXPECT_EQ(c.dataplane.ports, (std::vector<std::string>{"af_xdp:s-amed", "af_xdp:s-cmed"}));
    EXPECT_EQ(c.dataplane.port_pps, 0u);
    EXPECT_EQ(c.dataplane.rx_stall_ms, 100u);
    EXPECT_EQ(c.dataplane.srtp_engine, srtp_engine_kind::ipsec_mb);
    EXPECT_EQ(c.mgmt.socket, "/run/sbc/default.sock");
}

TEST(Loader, EmbeddedTextIsDefaultToml) {
    EXPECT_EQ(embedded_default_toml(), read_text_file(source_dir() + "/config/default.toml"));
}

TEST(Loader, MinimalConfigGetsDocumentedDefaults) {
    load_result r = load(minimal_toml);
    ASSERT_TRUE(r.config) << describe(r);
    const appliance& c = *r.config;
    EXPECT_EQ(c.instance, "default");
    EXPECT_EQ(c.mgmt.socket, "/run/sbc/default.sock");
    EXPECT_EQ(c.mgmt.group, "root");
    // Metrics on loopback, on Prometheus's registered exporter port range (config/README.md).
    EXPECT_EQ(c.mgmt.metrics_address, "127.0.0.1");
    EXPECT_EQ(c.mgmt.metrics_port, 9464);
    EXPECT_EQ(c.sip_server.realm, "core");
    EXPECT_EQ(c.sip_server.nodes[0].port, 5060);
    EXPECT_EQ(c.sip.t1_ms, 500u);
    EXPECT_EQ(c.sip.t2_ms, 4000u);
    EXPECT_EQ(c.sip.t4_ms, 5000u);
    EXPECT_EQ(c.sip.max_connections, 16384u);
    EXPECT_EQ(c.sip.message_read_timeout_ms, 10000u);
    EXPECT_EQ(c.sip.first_message_timeout_ms, 5000u);
    EXPECT_EQ(c.realm.access.sip_udp_port, 0);
    EXPECT_EQ(c.remote_subscribers.max_registration_expiry_s, 2678400u);
    EXPECT_FALSE(c.remote_subscribers.enable);
    EXPECT_EQ(c.dataplane.burst, 32u);
    EXPECT_TRUE(c.dataplane.lcores.empty());
    EXPECT_EQ(c.log.level, log_level::info);
    EXPECT_FALSE(c.certificate_profiles[0].verify_client);
}

TEST(Loader, MaximalConfigUsingEveryKeyLoadsWithFileChecks) {
    test_pki pki;
    load_result r = load(maximal_toml(pki), true);
    ASSERT_TRUE(r.config) << describe(r);
    const appliance& c = *r.config;
    EXPECT_EQ(c.instance, "lab-2");
    EXPECT_EQ(c.mgmt.metrics_address, "::1");
    EXPECT_EQ(c.mgmt.metrics_port, 19464);
    EXPECT_EQ(c.sip_server.comm_system_type, comm_system::active_standby);
    EXPECT_EQ(c.sip_server.nodes[1].transport, sip_transport::udp);
    EXPECT_EQ(c.sip_server.max_message_bytes, 16000u);
    EXPECT_EQ(c.sip_server.max_headers, 40u);
    EXPECT_EQ(c.sip_server.max_header_bytes, 1500u);
    EXPECT_EQ(c.sip_server.max_sdp_line_bytes, 512u);
    EXPECT_EQ(c.realm.access.media_prefix_length, 64);
    EXPECT_EQ(c.realm.core.media_gateway, "10.20.1.254");
    EXPECT_EQ(c.media_profiles[0].protocol, media_protocol::best_effort);
    EXPECT_EQ(c.media_profiles[0].sdes_suites.front(), srtp_suite::aead_aes_256_gcm);
    EXPECT_EQ(c.media_profiles[0].rtcp_mode, rtcp_mode_kind::generate);
    EXPECT_EQ(c.user_agents[0].match, ua_match::regex);
    EXPECT_EQ(c.user_agents[0].pattern, R"(^ZoomPbxPhone_(Android|IOS)_Phone/\d+)");
    // The subnet without profiles takes the access realm's.
    EXPECT_EQ(c.remote_subscribers.subnets[1].certificate_profile, "access-tls");
    EXPECT_EQ(c.remote_subscribers.subnets[1].media_profile, "ZOOM");
    EXPECT_EQ(c.ssp_profiles[0].privacy, privacy_mode::header);
    EXPECT_EQ(c.remote_endpoints[0].location_domains[0].url, "e911.redsky.example");
    // A location domain without a port gets the transport's default (udp: 5060).
    EXPECT_EQ(c.remote_endpoints[1].location_domains[0].port, 5060);
    EXPECT_EQ(c.cloudlink.proxy.port, 3128);
    ASSERT_TRUE(c.cloudlink.ca);
    EXPECT_EQ(c.dataplane.lcores, (std::vector<uint32_t>{0, 1, 2, 5}));
    EXPECT_EQ(c.dataplane.srtp_engine, srtp_engine_kind::libsrtp);
    EXPECT_EQ(c.dataplane.neighbours[1].mac, "02:00:5E:10:00:02");
    EXPECT_EQ(c.dataplane.ports.at(2), "memif:/run/sbc/memif-2.sock");
    EXPECT_EQ(c.dataplane.port_pps, 150000u);
    EXPECT_EQ(c.dataplane.rx_stall_ms, 250u);
    EXPECT_EQ(c.log.level, log_level::debug);
    EXPECT_EQ(c.calls.cdr_path, "/var/lib/sbc/cdr.log");
    EXPECT_EQ(c.calls.retry_after_s, 30u);
    EXPECT_EQ(c.calls.no_answer_timeout_s, 90u);
    EXPECT_EQ(c.calls.orphan_flow_grace_s, 5u);
    EXPECT_EQ(c.calls.emergency_port_reserve, 0u);
    EXPECT_EQ(c.realm.access.emergency_numbers.back(), "^9?11[02]$");
    EXPECT_TRUE(c.realm.core.emergency_numbers.empty());
    EXPECT_EQ(c.remote_endpoints[0].access_realm_port, 5072);
    EXPECT_EQ(c.remote_endpoints[0].failover_timeout_ms, 1500u);
    EXPECT_EQ(c.remote_endpoints[1].access_realm_port, 5090);
    EXPECT_EQ(c.sip.max_connections, 2048u);
    EXPECT_EQ(c.sip.message_read_timeout_ms, 8000u);
    EXPECT_EQ(c.sip.first_message_timeout_ms, 3000u);
}

TEST(Loader, MaximalConfigRoundTripsThroughToToml) {
    test_pki pki;
    load_result first = load(maximal_toml(pki), true);
    ASSERT_TRUE(first.config) << describe(first);
    std::string text = to_toml(*first.config);
    load_result second = load(text, true);
    ASSERT_TRUE(second.config) << describe(second) << text;
    EXPECT_EQ(*first.config, *second.config);
    EXPECT_EQ(to_toml(*second.config), text);
}

TEST(Loader, EmbeddedDefaultRoundTripsThroughToToml) {
    appliance c = embedded_default();
    load_result again = load(to_toml(c));
    ASSERT_TRUE(again.config) << describe(again);
    EXPECT_EQ(*again.config, c);
}

TEST(Loader, RoundTripKeepsStringsThatNeedEscaping) {
    load_result first = load(minimal_toml + R"(
[[user_agent]]
name = "odd"
match = "regex"
pattern = "^\"quoted\\\\\" \\d+ \u00e9"
media_profile = "SRTP"
)");
    ASSERT_TRUE(first.config) << describe(first);
    EXPECT_EQ(first.config->user_agents[0].pattern, "^\"quoted\\\\\" \\d+ \xc3\xa9");
    load_result second = load(to_toml(*first.config));
    ASSERT_TRUE(second.config) << describe(second);
    EXPECT_EQ(*second.config, *first.config);
}

TEST(Loader, SyntaxErrorIsOneErrorWithItsPosition) {
    load_result r = load("instance = \"a\"\n[realm.access]\nsip_udp_port = = 5\n");
    ASSERT_EQ(r.errors.size(), 1u) << describe(r);
    EXPECT_FALSE(r.config);
    EXPECT_EQ(r.errors[0].line, 3u);
    EXPECT_EQ(r.errors[0].column, 16u);
    EXPECT_EQ(r.errors[0].key, "");
    EXPECT_EQ(r.errors[0].to_string().rfind("test.toml:3:16: ", 0), 0u) << r.errors[0].to_string();
}

TEST(Loader, DuplicateKeyIsASyntaxError) {
    std::string text = replace(minimal_toml, "dpdk_port = 1\n", "dpdk_port = 1\ndpdk_port = 2\n");
    load_result r = load(text);
    ASSERT_EQ(r.errors.size(), 1u) << describe(r);
    EXPECT_EQ(r.errors[0].line, locate(text, "dpdk_port = 2").line);
}

TEST(Loader, UnknownKeysAnywhereNameTheKeyAndItsPosition) {
    std::string text = replace(minimal_toml, "dpdk_port = 1\n", "dpdk_port = 1\nmtu = 1500\n");
    expect_one_error(load(text), "realm.core.mtu", locate(text, "mtu = 1500"), "unknown key");

    text = "colour = \"blue\"\n" + minimal_toml;
    expect_one_error(load(text), "colour", {1, 1}, "unknown key");

    text = minimal_toml + "[realm.dmz]\nsignalling_address = \"192.0.2.9\"\n";
    expect_one_error(load(text), "realm.dmz", locate(text, "dmz"), "unknown key");

    text = replace(minimal_toml, "protocol = \"rtp\"\n", "protocol = \"rtp\"\nvad = true\n");
    expect_one_error(load(text), "media_profile[1].vad", locate(text, "vad"), "unknown key");
}

TEST(Loader, WrongTypePointsAtTheValue) {
    std::string text = replace(minimal_toml, "sip_tls_port = 5061", "sip_tls_port = \"5061\"");
    expect_one_error(load(text), "realm.access.sip_tls_port", locate(text, "\"5061\""),
                     "expected an integer, got a string");

    text =
        replace(minimal_toml, "[[media_profile]]\nname = \"RTP\"", "[[media_profile]]\nname = 7");
    // A profile name that could not be read does not also make every reference to it dangle.
    expect_one_error(load(text), "media_profile[1].name", locate(text, "name = 7", 7),
                     "expected a string, got an integer");

    text = "sip = 5\n" + minimal_toml;
    expect_one_error(load(text), "sip", {1, 7}, "expected a table, got an integer");
}

TEST(Loader, ElementsOfAnArrayOfTablesKeepTheirIndex) {
    std::string text =
        "user_agent = [7, {name = \"ua\", match = \"prefix\", pattern = \"x\", "
        "media_profile = \"NONE\"}]\n" +
        minimal_toml;
    load_result r = load(text);
    ASSERT_EQ(r.errors.size(), 2u) << describe(r);
    EXPECT_EQ(r.errors[0].to_string(),
              "test.toml:1:15: user_agent[0]: expected a table, got an integer");
    EXPECT_EQ(r.errors[1].to_string(),
              "test.toml:1:81: user_agent[1].media_profile: media_profile 'NONE' is not defined");
}

TEST(Loader, MissingRequiredKeyPointsAtItsTable) {
    std::string text = replace(minimal_toml, "media_address = \"198.51.100.2\"\n", "");
    expect_one_error(load(text), "realm.core.media_address", locate(text, "[realm.core]"),
                     "required key is missing");

    text = replace(minimal_toml, "transport = \"tcp\"\n", "");
    expect_one_error(load(text), "sip_server.node[0].transport",
                     locate(text, "[[sip_server.node]]"), "required key is missing");
}

TEST(Loader, MissingRequiredTable) {
    std::string text = minimal_toml.substr(0, minimal_toml.find("[sip_server]"));
    text += minimal_toml.substr(minimal_toml.find("[[media_profile]]"));
    expect_one_error(load(text), "sip_server", {1, 1}, "required key is missing");
}

TEST(Loader, ManyErrorsAreReportedAtOnceInFileOrder) {
    const std::string text = R"(instance = "Bad_Name"

[realm.access]
signalling_address = "192.0.2.300"
sip_tls_port = 70000
media_address = "192.0.2.2"
media_port_min = 40001
media_port_max = 40999
dpdk_port = 0
media_profile = "NOPE"

[realm.core]
signalling_address = "198.51.100.1"
sip_tcp_port = 5060
media_address = "198.51.100.2"
media_port_min = 50000
media_port_max = 50999
dpdk_port = 9
media_profile = "RTP"
colour = "red"

[sip_server]
comm_system_type = "duplex"

[[sip_server.node]]
name = "osv1"
address = "198.51.100.10"
transport = "tcp"

[[media_profile]]
name = "RTP"
protocol = "rtp"
codecs = ["PCMU", 0]
)";
    load_result r = load(text);
    EXPECT_FALSE(r.config);
    std::string got;
    for (const error& e : r.errors) {
        got += e.to_string() + "\n";
    }
    const std::string want =
        R"(test.toml:1:12: instance: must be 1-31 characters of [a-z0-9-]
test.toml:4:22: realm.access.signalling_address: must be an IPv4 or IPv6 address literal
test.toml:5:16: realm.access.sip_tls_port: must be between 0 and 65535
test.toml:7:18: realm.access.media_port_min: must be even
test.toml:10:17: realm.access.media_profile: media_profile 'NOPE' is not defined
test.toml:18:13: realm.core.dpdk_port: must be between 0 and 7
test.toml:20:1: realm.core.colour: unknown key
test.toml:23:20: sip_server.comm_system_type: must be one of: simplex, active-standby, collocated, clustered
test.toml:33:19: media_profile[0].codecs[1]: expected a string, got an integer
)";
    EXPECT_EQ(got, want);
}

TEST(Loader, ErrorToStringFormat) {
    error e{"/etc/sbc/sbc.toml", 12, 5, "realm.access.sip_tls_port", "must be between 0 and 65535"};
    EXPECT_EQ(e.to_string(),
              "/etc/sbc/sbc.toml:12:5: realm.access.sip_tls_port: must be between 0 and 65535");
    error syntax{"a.toml", 1, 2, "", "expected value"};
    EXPECT_EQ(syntax.to_string(), "a.toml:1:2: expected value");
}

TEST(Loader, LoadFileReportsUnreadableFile) {
    load_result r = load_file("/nonexistent/sbc.toml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_FALSE(r.config);
    EXPECT_EQ(r.errors[0].file, "/nonexistent/sbc.toml");
    EXPECT_NE(r.errors[0].rule.find("No such file"), std::string::npos) << r.errors[0].rule;
}

TEST(Loader, LoadFileNamesTheFileInErrors) {
    test_pki pki;
    std::string path = pki.path("sbc.toml");
    {
        std::ofstream out(path);
        out << replace(minimal_toml, "dpdk_port = 1", "dpdk_port = -1");
    }
    load_result r = load_file(path, {.check_files = false});
    ASSERT_EQ(r.errors.size(), 1u) << describe(r);
    EXPECT_EQ(r.errors[0].to_string(),
              path + ":17:13: realm.core.dpdk_port: must be between 0 and 7");
}

}  // namespace
}  // namespace sbc::config::test
