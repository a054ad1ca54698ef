#include <gtest/gtest.h>

#include "tests/config/support.hpp"

// Rules on single values: regexes, addresses, enums, ranges, counts.

namespace sbc::config::test {
namespace {

std::string with_dataplane(std::string_view body) {
    return minimal_toml + "[dataplane]\n" + std::string(body);
}

TEST(Values, UserAgentRegexMustCompile) {
    std::string text = minimal_toml +
                       "[[user_agent]]\nname = \"zoom\"\nmatch = \"regex\"\npattern = "
                       "\"ZoomPbxPhone_(Android\"\nmedia_profile = \"SRTP\"\n";
    expect_one_error(load(text), "user_agent[0].pattern", locate(text, "\"ZoomPbxPhone_("),
                     "does not compile as an ECMAScript regex");
    // The same text is a fine prefix.
    EXPECT_TRUE(load(replace(text, "\"regex\"", "\"prefix\"")).config);
}

TEST(Values, ThrottlingBypassRegexMustCompile) {
    std::string text =
        minimal_toml + "[remote_subscribers]\nthrottling_bypass_ua_regex = \"Zoom[\"\n";
    expect_one_error(load(text), "remote_subscribers.throttling_bypass_ua_regex",
                     locate(text, "\"Zoom[\""), "does not compile as an ECMAScript regex");
}

TEST(Values, EmergencyNumbersArePatternsThatCompile) {
    std::string text =
        replace(minimal_toml, "media_profile = \"RTP\"\n",
                "media_profile = \"RTP\"\nemergency_numbers = [\"911\", \"93(3\"]\n");
    expect_one_error(load(text), "realm.core.emergency_numbers[1]", locate(text, "\"93(3\""),
                     "must be a number or an ECMAScript regex of 1-256 characters matched "
                     "against the whole dialled user part");
    text = replace(text, "\"93(3\"", "\"\"");
    expect_one_error(load(text), "realm.core.emergency_numbers[1]", locate(text, "\"\"]"),
                     "must be a number");
    load_result ok = load(replace(text, ", \"\"]", ", \"933\\\\d{0,3}\"]"));
    ASSERT_TRUE(ok.config) << describe(ok);
    EXPECT_EQ(ok.config->realm.core.emergency_numbers[1], "933\\d{0,3}");
}

TEST(Values, CidrMustBeANetworkWithZeroHostBits) {
    for (std::string_view bad : {"198.51.100.1/24", "198.51.100.0", "198.51.100.0/33",
                                 "2001:db8::1/64", "10.0.0.0/-1", "bogus/8"}) {
        std::string text = minimal_toml + "[remote_subscribers]\n[[remote_subscribers.subnet]]\n" +
                           "cidr = \"" + std::string(bad) + "\"\n";
        expect_one_error(load(text), "remote_subscribers.subnet[0].cidr",
                         locate(text, "cidr = ", 7), "host bits zero");
    }
    std::string good = minimal_toml +
                       "[remote_subscribers]\nenable = true\n[[remote_subscribers.subnet]]\n"
                       "cidr = \"2001:db8::/32\"\n";
    EXPECT_TRUE(load(good).config) << describe(load(good));
}

TEST(Values, EnabledSubscribersNeedASubnet) {
    std::string text = minimal_toml + "[remote_subscribers]\nenable = true\n";
    expect_one_error(load(text), "remote_subscribers.subnet", locate(text, "[remote_subscribers]"),
                     "at least one [[remote_subscribers.subnet]]");
}

TEST(Values, NeighbourMacMustBeUnicast) {
    for (std::string_view bad : {"02:00:5e:10:00", "02-00-5e-10-00-01", "01:00:5e:00:00:01",
                                 "00:00:00:00:00:00", "02:00:5e:10:00:0g"}) {
        std::string text = with_dataplane("[[dataplane.neighbour]]\ndpdk_port = 1\n") +
                           "address = \"198.51.100.254\"\nmac = \"" + std::string(bad) + "\"\n";
        expect_one_error(load(text), "dataplane.neighbour[0].mac", locate(text, "mac = ", 6),
                         "unicast MAC");
    }
}

TEST(Values, NeighbourPortMustBeARealmPort) {
    std::string text = with_dataplane("[[dataplane.neighbour]]\ndpdk_port = 5\n") +
                       "address = \"198.51.100.254\"\nmac = \"02:00:5e:10:00:01\"\n";
    expect_one_error(load(text), "dataplane.neighbour[0].dpdk_port",
                     locate(text, "dpdk_port = 5", 12), "is not the dpdk_port of any realm");
}

TEST(Values, BadAddressLiterals) {
    std::string text = replace(minimal_toml, "\"198.51.100.10\"", "\"osv1.example\"");
    expect_one_error(load(text), "sip_server.node[0].address", locate(text, "\"osv1.example\""),
                     "must be an IPv4 or IPv6 address literal");
    text = replace(minimal_toml, "\"192.0.2.2\"", "\"192.0.2.02\"");
    expect_one_error(load(text), "realm.access.media_address", locate(text, "\"192.0.2.02\""),
                     "must be an IPv4 or IPv6 address literal");
}

TEST(Values, EnumValuesAreClosed) {
    std::string text = replace(minimal_toml, "protocol = \"srtp\"", "protocol = \"zrtp\"");
    expect_one_error(load(text), "media_profile[0].protocol", locate(text, "\"zrtp\""),
                     "must be one of: rtp, srtp, best-effort");
    text = replace(minimal_toml, "sdes_suites = [\"AES_CM_128_HMAC_SHA1_80\"]",
                   "sdes_suites = [\"AES_CM_128_HMAC_SHA1_80\", \"F8_128_HMAC_SHA1_80\"]");
    expect_one_error(load(text), "media_profile[0].sdes_suites[1]", locate(text, "\"F8_"),
                     "must be one of: AES_CM_128_HMAC_SHA1_80");
    text = replace(minimal_toml, "transport = \"tcp\"", "transport = \"sctp\"");
    expect_one_error(load(text), "sip_server.node[0].transport", locate(text, "\"sctp\""),
                     "must be one of: udp, tcp, tls");
}

struct node_count_case {
    const char* type;
    int nodes;
    const char* rule;
};

class NodeCount : public ::testing::TestWithParam<node_count_case> {};

TEST_P(NodeCount, MustMatchTheCommSystemType) {
    const node_count_case& c = GetParam();
    std::string type = std::string("\"").append(c.type).append("\"");
    std::string text = replace(minimal_toml, "\"simplex\"", type);
    std::string node = "[[sip_server.node]]\nname = \"osv1\"\naddress = \"198.51.100.10\"\n";
    std::string nodes;
    for (int i = 0; i < c.nodes; ++i) {
        nodes += replace(node, "osv1", "osv" + std::to_string(i + 1)) + "transport = \"tcp\"\n";
    }
    text = replace(text, node + "transport = \"tcp\"\n", nodes);
    expect_one_error(load(text), "sip_server.node", locate(text, "[[sip_server.node]]"), c.rule);
}

INSTANTIATE_TEST_SUITE_P(
    Values, NodeCount,
    ::testing::Values(
        node_count_case{"simplex", 2, "comm_system_type simplex needs 1 node(s), found 2"},
        node_count_case{"active-standby", 1, "active-standby needs 2 node(s), found 1"},
        node_count_case{"collocated", 1, "collocated needs 2 node(s), found 1"},
        node_count_case{"clustered", 3, "clustered needs 2 node(s), found 3"}));

TEST(Values, TwoNodesLoadForActiveStandby) {
    std::string text = replace(minimal_toml, "\"simplex\"", "\"active-standby\"");
    text +=
        "[[sip_server.node]]\nname = \"osv2\"\naddress = \"198.51.100.11\"\ntransport = "
        "\"tls\"\n";
    text = replace(text, "dpdk_port = 1\n", "dpdk_port = 1\ncertificate_profile = \"tls\"\n");
    load_result r = load(text);
    ASSERT_TRUE(r.config) << describe(r);
    EXPECT_EQ(r.config->sip_server.nodes[1].port, 5061);  // the TLS default
}

TEST(Values, RingSizesArePowersOfTwo) {
    std::string text = with_dataplane("cmd_ring_size = 4096\nevt_ring_size = 3000\n");
    expect_one_error(load(text), "dataplane.evt_ring_size", locate(text, "3000"),
                     "must be a power of two");
    text = with_dataplane("cmd_ring_size = 32\n");
    expect_one_error(load(text), "dataplane.cmd_ring_size", locate(text, "32\n"),
                     "must be between 64 and 1048576");
}

TEST(Values, OutOfRangeValues) {
    std::string text = with_dataplane("burst = 65\n");
    expect_one_error(load(text), "dataplane.burst", locate(text, "65\n"),
                     "must be between 1 and 64");
    text = replace(minimal_toml, "dpdk_port = 0", "dpdk_port = 8");
    expect_one_error(load(text), "realm.access.dpdk_port", locate(text, "dpdk_port = 8", 12),
                     "must be between 0 and 7");
    text = minimal_toml + "[remote_subscribers]\nmax_registration_expiry_s = 2678401\n";
    expect_one_error(load(text), "remote_subscribers.max_registration_expiry_s",
                     locate(text, "2678401"), "must be between 60 and 2678400");
    text = minimal_toml + "[sip]\nmax_connections = 8\n";
    expect_one_error(load(text), "sip.max_connections", locate(text, "8\n"),
                     "must be between 16 and 1048576");
    text = minimal_toml + "[sip]\nt1_ms = 500\nt2_ms = 400\n";
    expect_one_error(load(text), "sip.t2_ms", locate(text, "400\n"), "must be at least t1_ms");
    text = minimal_toml + "[sip]\nmessage_read_timeout_ms = 0\n";
    expect_one_error(load(text), "sip.message_read_timeout_ms",
                     locate(text, "message_read_timeout_ms = 0", 26),
                     "must be between 100 and 600000");
    text = minimal_toml + "[sip]\nfirst_message_timeout_ms = 99\n";
    expect_one_error(load(text), "sip.first_message_timeout_ms",
                     locate(text, "first_message_timeout_ms = 99", 27),
                     "must be between 100 and 600000");
    text =
        minimal_toml + "[sip]\nconnection_idle_timeout_s = 10\nfirst_message_timeout_ms = 10001\n";
    expect_one_error(load(text), "sip.first_message_timeout_ms", locate(text, "10001"),
                     "must not exceed connection_idle_timeout_s (in milliseconds)");
    text = minimal_toml + "[calls]\norphan_flow_grace_s = 3601\n";
    expect_one_error(load(text), "calls.orphan_flow_grace_s", locate(text, "3601"),
                     "must be between 0 and 3600");
    // At the bound: accepted.
    text =
        minimal_toml + "[sip]\nconnection_idle_timeout_s = 10\nfirst_message_timeout_ms = 10000\n";
    auto ok = load(text);
    ASSERT_TRUE(ok.config) << describe(ok);
    EXPECT_EQ(ok.config->sip.first_message_timeout_ms, 10000u);
}

TEST(Values, LimitsTowardThePbxAreBoundedAndConsistent) {
    const std::string head = "comm_system_type = \"simplex\"\n";
    std::string text =
        replace(minimal_toml, head, head + "max_message_bytes = 8000\nmax_header_bytes = 9000\n");
    expect_one_error(load(text), "sip_server.max_header_bytes", locate(text, "9000"),
                     "must not exceed max_message_bytes");
    text = replace(minimal_toml, head, head + "max_sdp_line_bytes = 70000\n");
    expect_one_error(load(text), "sip_server.max_sdp_line_bytes", locate(text, "70000"),
                     "must be between 64 and 65535");
    text = replace(minimal_toml, head, head + "max_message_bytes = 100\n");
    expect_one_error(load(text), "sip_server.max_message_bytes", locate(text, "100\n"),
                     "must be between 1024 and 65535");
    auto ok = load(minimal_toml);
    ASSERT_TRUE(ok.config);
    EXPECT_EQ(ok.config->sip_server.max_message_bytes, 12288u);  // fits Kamailio's 16 KiB buffer
    EXPECT_EQ(ok.config->sip_server.max_header_bytes, 2048u);
    EXPECT_EQ(ok.config->sip_server.max_sdp_line_bytes, 1024u);
    EXPECT_EQ(ok.config->sip_server.max_headers, 64u);
}

TEST(Values, MediaPortRangeRules) {
    std::string text = replace(minimal_toml, "media_port_min = 40000", "media_port_min = 40001");
    expect_one_error(load(text), "realm.access.media_port_min", locate(text, "40001"),
                     "must be even");
    text = replace(minimal_toml, "media_port_max = 40999", "media_port_max = 40000");
    expect_one_error(load(text), "realm.access.media_port_max", locate(text, "40000\ndpdk"),
                     "must be at least media_port_min + 1");
}

TEST(Values, MediaSubnetAndGateway) {
    const std::string base = replace(minimal_toml, "media_address = \"192.0.2.2\"\n",
                                     "media_address = \"192.0.2.2\"\nmedia_prefix_length = 24\n");
    auto ok =
        load(replace(base, "dpdk_port = 0", "media_gateway = \"192.0.2.254\"\ndpdk_port = 0"));
    ASSERT_TRUE(ok.config);
    EXPECT_EQ(ok.config->realm.access.media_prefix_length, 24);
    EXPECT_EQ(ok.config->realm.access.media_gateway, "192.0.2.254");
    EXPECT_EQ(ok.config->realm.core.media_prefix_length, 32);  // the default
    EXPECT_TRUE(ok.config->realm.core.media_gateway.empty());

    std::string text =
        replace(base, "dpdk_port = 0", "media_gateway = \"192.0.3.1\"\ndpdk_port = 0");
    expect_one_error(load(text), "realm.access.media_gateway", locate(text, "\"192.0.3.1\""),
                     "must be on the media subnet 192.0.2.2/24");
    text = replace(base, "dpdk_port = 0", "media_gateway = \"192.0.2.2\"\ndpdk_port = 0");
    expect_one_error(load(text), "realm.access.media_gateway", locate(text, "\"192.0.2.2\"\nd"),
                     "is the media address itself");
    text = replace(base, "dpdk_port = 0", "media_gateway = \"2001:db8::1\"\ndpdk_port = 0");
    expect_one_error(load(text), "realm.access.media_gateway", locate(text, "\"2001:db8::1\""),
                     "must be on the media subnet 192.0.2.2/24");
    text = replace(base, "media_prefix_length = 24", "media_prefix_length = 33");
    expect_one_error(load(text), "realm.access.media_prefix_length", locate(text, "33"),
                     "must be at most 32 for 192.0.2.2");
    text = replace(base, "media_prefix_length = 24", "media_prefix_length = 129");
    expect_one_error(load(text), "realm.access.media_prefix_length", locate(text, "129"),
                     "must be between 0 and 128");
}

TEST(Values, SrtpNeedsSuitesAndRtpTakesNone) {
    std::string text = replace(minimal_toml, "sdes_suites = [\"AES_CM_128_HMAC_SHA1_80\"]\n", "");
    expect_one_error(load(text), "media_profile[0].sdes_suites",
                     locate(text, "[[media_profile]]\nname = \"SRTP\""),
                     "must list at least one suite when protocol is srtp");
    text = replace(minimal_toml, "sdes_suites = [\"AES_CM_128_HMAC_SHA1_80\"]", "sdes_suites = []");
    expect_one_error(load(text), "media_profile[0].sdes_suites", locate(text, "[]"),
                     "must list at least one suite");
    text = replace(minimal_toml, "protocol = \"rtp\"",
                   "protocol = \"rtp\"\nsdes_suites = [\"AEAD_AES_128_GCM\"]");
    expect_one_error(load(text), "media_profile[1].sdes_suites", locate(text, "[\"AEAD"),
                     "must be empty when protocol is rtp");
}

TEST(Values, CodecListRules) {
    std::string text = replace(minimal_toml, "protocol = \"rtp\"",
                               "protocol = \"rtp\"\nallow_unconfigured_codecs = false");
    expect_one_error(load(text), "media_profile[1].codecs",
                     locate(text, "[[media_profile]]\nname = \"RTP\""),
                     "must list at least one codec");
    text = replace(minimal_toml, "protocol = \"rtp\"",
                   "protocol = \"rtp\"\ncodecs = [\"PCMU\", \"pcmu\"]");
    expect_one_error(load(text), "media_profile[1].codecs[1]", locate(text, "\"pcmu\""),
                     "listed twice");
}

TEST(Values, AtLeastOneSipPort) {
    std::string text = replace(minimal_toml, "sip_tcp_port = 5060", "sip_tcp_port = 0");
    expect_one_error(load(text), "realm.core", locate(text, "[realm.core]"),
                     "at least one of sip_udp_port, sip_tcp_port, sip_tls_port must be non-zero");
}

TEST(Values, Lcores) {
    load_result r = load(with_dataplane("lcores = [3, 1]\nworkers = 2\n"));
    ASSERT_TRUE(r.config) << describe(r);
    EXPECT_EQ(r.config->dataplane.lcores, (std::vector<uint32_t>{3, 1}));

    std::string text = with_dataplane("lcores = \"0-1\"\nworkers = 3\n");
    expect_one_error(load(text), "dataplane.workers", locate(text, "workers = 3", 10),
                     "must not exceed the number of lcores");
    text = with_dataplane("lcores = \"1-0\"\n");
    expect_one_error(load(text), "dataplane.lcores", locate(text, "\"1-0\""), "lcore");
    text = with_dataplane("lcores = [0, 0]\n");
    expect_one_error(load(text), "dataplane.lcores[1]", locate(text, "0]"), "distinct");
    text = with_dataplane("lcores = \"0-1\"\neal_args = [\"-l\", \"0-3\"]\n");
    expect_one_error(load(text), "dataplane.eal_args[0]", locate(text, "\"-l\""),
                     "must not set lcores");
}

TEST(Values, DataplanePorts) {
    load_result r = load(with_dataplane("ports = [\"af_xdp:s-amed\", \"memif:/run/m.sock\"]\n"));
    ASSERT_TRUE(r.config) << describe(r);
    EXPECT_EQ(r.config->dataplane.ports.at(1), "memif:/run/m.sock");
    const char* bad[] = {"\"eth0\"",
                         "\"af_xdp:\"",
                         "\"af_xdp:a,b\"",
                         "\"af_packet:sixteen-chars-16\"",
                         "\"memif:relative.sock\"",
                         "\"pcap:x\"",
                         "\"af_xdp:bad name\""};
    for (const char* value : bad) {
        std::string text = with_dataplane("ports = [" + std::string(value) + "]\n");
        expect_one_error(load(text), "dataplane.ports[0]", locate(text, value),
                         "must be af_xdp:IFACE");
    }
    std::string text = with_dataplane("rx_stall_ms = 0\n");
    expect_one_error(load(text), "dataplane.rx_stall_ms", locate(text, "rx_stall_ms = 0", 14),
                     "between 1 and 10000");
}

TEST(Values, InstanceName) {
    EXPECT_TRUE(load("instance = \"sbc-2\"\n" + minimal_toml).config);
    std::string text = "instance = \"" + std::string(32, 'a') + "\"\n" + minimal_toml;
    expect_one_error(load(text), "instance", {1, 12}, "must be 1-31 characters of [a-z0-9-]");
    load_result r = load("instance = \"lab\"\n" + minimal_toml);
    ASSERT_TRUE(r.config);
    EXPECT_EQ(r.config->mgmt.socket, "/run/sbc/lab.sock");
}

TEST(Values, CloudlinkNeedsHttpsUrlWhenEnabled) {
    std::string text = minimal_toml + "[cloudlink]\nenable = true\n";
    expect_one_error(load(text), "cloudlink.base_url", locate(text, "[cloudlink]"),
                     "required key is missing");
    text = minimal_toml + "[cloudlink]\nbase_url = \"http://cloudlink.example\"\n";
    expect_one_error(load(text), "cloudlink.base_url", locate(text, "\"http:"), "https://");
    text = minimal_toml + "[cloudlink.proxy]\nenable = true\naddress = \"proxy..example\"\n";
    load_result r = load(text);
    ASSERT_EQ(r.errors.size(), 2u) << describe(r);
    EXPECT_EQ(r.errors[0].key, "cloudlink.proxy.port");
    EXPECT_EQ(r.errors[1].key, "cloudlink.proxy.address");
}

TEST(Values, CloudlinkProxyAndPushSettings) {
    std::string text = minimal_toml +
                       "[cloudlink]\nstate_dir = \"/var/lib/x\"\ninventory_interval_s = 5\n"
                       "[cloudlink.proxy]\nfrom_environment = true\nusername = \"sbc\"\n"
                       "no_proxy = [\"localhost\", \"11.12.13.14:8289\", \".corp.example\", "
                       "\"10.0.0.0/8\", \"[2001:db8::1]:443\"]\n"
                       "[push]\nmax_per_device_per_minute = 2\nrequest_timeout_ms = 500\n";
    load_result r = load(text);
    ASSERT_TRUE(r.config) << describe(r);
    EXPECT_EQ(r.config->cloudlink.inventory_interval_s, 5u);
    EXPECT_EQ(r.config->cloudlink.proxy.no_proxy.size(), 5u);
    EXPECT_EQ(r.config->push.max_per_device_per_minute, 2u);

    // Each bad entry is named with its position in the list.
    text = minimal_toml + "[cloudlink.proxy]\nno_proxy = [\"ok.example\", \"10.0.0.0/40\"]\n";
    expect_one_error(load(text), "cloudlink.proxy.no_proxy[1]", locate(text, "\"10.0.0.0/40"),
                     "optionally with :port");
    text = minimal_toml +
           "[cloudlink.proxy]\nenable = true\naddress = \"10.1.0.2\"\nport = 3128\n"
           "from_environment = true\n";
    expect_one_error(load(text), "cloudlink.proxy.from_environment",
                     locate(text, "from_environment = true", 19), "not both");
    text = minimal_toml + "[cloudlink.proxy]\npassword_file = \"/etc/sbc/proxy.pass\"\n";
    expect_one_error(load(text), "cloudlink.proxy.password_file", locate(text, "\"/etc/sbc"),
                     "needs username");
    text = minimal_toml + "[cloudlink.proxy]\nusername = \"a:b\"\n";
    expect_one_error(load(text), "cloudlink.proxy.username", locate(text, "\"a:b"), "without ':'");
    text = minimal_toml + "[cloudlink]\nstate_dir = \"relative\"\n";
    expect_one_error(load(text), "cloudlink.state_dir", locate(text, "\"relative"),
                     "must be an absolute path");
    text = minimal_toml + "[cloudlink]\ninventory_interval_s = 0\n";
    expect_one_error(load(text), "cloudlink.inventory_interval_s",
                     locate(text, "inventory_interval_s = 0", 23), "1");
    text = minimal_toml + "[push]\nmax_per_device_per_minute = 0\n";
    expect_one_error(load(text), "push.max_per_device_per_minute",
                     locate(text, "max_per_device_per_minute = 0", 28), "1");
}

TEST(Values, PathsMustBeAbsolute) {
    std::string text = replace(minimal_toml, "\"/sbc-test-pki/sbc.crt\"", "\"pki/sbc.crt\"");
    expect_one_error(load(text), "certificate_profile[0].certificate", locate(text, "\"pki/"),
                     "must be an absolute path");
    text = minimal_toml + "[mgmt]\nsocket = \"/" + std::string(107, 's') + "\"\n";
    expect_one_error(load(text), "mgmt.socket", locate(text, "\"/sss"), "at most 107 bytes");
}

TEST(Values, MetricsEndpointNeedsAnIpAndAPort) {
    std::string text = minimal_toml + "[mgmt]\nmetrics_address = \"localhost\"\n";
    expect_one_error(load(text), "mgmt.metrics_address", locate(text, "\"localhost\""),
                     "IPv4 or IPv6 address literal");
    text = minimal_toml + "[mgmt]\nmetrics_port = 70000\n";
    expect_one_error(load(text), "mgmt.metrics_port", locate(text, "70000"), "65535");
    text = minimal_toml + "[mgmt]\nmetrics_port = 0\n";
    ASSERT_TRUE(load(text).config) << "0 turns the endpoint off";
}

}  // namespace
}  // namespace sbc::config::test
