#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "config/address.hpp"
#include "config/enums.hpp"

namespace sbc::config {
namespace {

TEST(Address, IpLiterals) {
    auto v4 = parse_ip("192.0.2.1");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->family, AF_INET);
    EXPECT_EQ(v4->bytes[3], 1);
    auto v6 = parse_ip("2001:db8::1");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->family, AF_INET6);
    EXPECT_EQ(*parse_ip("2001:db8:0::1"), *v6);
    EXPECT_TRUE(parse_ip("0.0.0.0")->is_unspecified());
    EXPECT_TRUE(parse_ip("::")->is_unspecified());
    for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.01", "[2001:db8::1]",
                            "fe80::1%eth0", "host.example", " 192.0.2.1"}) {
        EXPECT_FALSE(parse_ip(bad)) << bad;
    }
}

TEST(Address, CidrContains) {
    auto net = parse_cidr("198.51.100.0/24");
    ASSERT_TRUE(net);
    EXPECT_TRUE(net->contains(*parse_ip("198.51.100.77")));
    EXPECT_FALSE(net->contains(*parse_ip("198.51.101.1")));
    EXPECT_FALSE(net->contains(*parse_ip("2001:db8::1")));
    auto any = parse_cidr("0.0.0.0/0");
    ASSERT_TRUE(any);
    EXPECT_TRUE(any->contains(*parse_ip("203.0.113.9")));
    auto odd = parse_cidr("2001:db8:8000::/33");
    ASSERT_TRUE(odd);
    EXPECT_TRUE(odd->contains(*parse_ip("2001:db8:ffff::1")));
    EXPECT_FALSE(odd->contains(*parse_ip("2001:db8:7fff::1")));
    EXPECT_FALSE(parse_cidr("2001:db8:4000::/33"));  // host bit set
    EXPECT_TRUE(parse_cidr("2001:db8:4000::/33", true));
    EXPECT_FALSE(parse_cidr("10.0.0.0/8/8"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/0008"));
    EXPECT_TRUE(parse_cidr("::/0"));
}

TEST(Address, Mac) {
    auto mac = parse_mac("02:00:5E:10:0a:ff");
    ASSERT_TRUE(mac);
    EXPECT_EQ((*mac)[2], 0x5e);
    EXPECT_EQ((*mac)[5], 0xff);
    EXPECT_FALSE(parse_mac("02:00:5e:10:0a:f"));
    EXPECT_FALSE(parse_mac("02:00:5e:10:0a:fff"));
    EXPECT_FALSE(parse_mac("02.00.5e.10.0a.ff"));
}

TEST(Address, HostsAndUrls) {
    EXPECT_TRUE(is_host("e911.redsky.example"));
    EXPECT_TRUE(is_host("localhost"));
    EXPECT_TRUE(is_host("2001:db8::7"));
    EXPECT_FALSE(is_host("-bad.example"));
    EXPECT_FALSE(is_host("a..example"));
    EXPECT_FALSE(is_host("10.1.2"));
    EXPECT_FALSE(is_host("under_score.example"));
    EXPECT_TRUE(is_https_url("https://cloudlink.invalid"));
    EXPECT_TRUE(is_https_url("https://cloud.example:8443/api/v1"));
    EXPECT_TRUE(is_https_url("https://[2001:db8::1]:443/"));
    EXPECT_FALSE(is_https_url("http://cloud.example"));
    EXPECT_FALSE(is_https_url("https://"));
    EXPECT_FALSE(is_https_url("https://cloud.example:0"));
    EXPECT_FALSE(is_https_url("https://cloud.example:99999"));
    EXPECT_FALSE(is_https_url("https://cloud.example/a b"));
}

TEST(Address, LcoreLists) {
    EXPECT_EQ(parse_lcore_list("0-1", 128), (std::vector<uint32_t>{0, 1}));
    EXPECT_EQ(parse_lcore_list("4,0-2", 128), (std::vector<uint32_t>{4, 0, 1, 2}));
    EXPECT_FALSE(parse_lcore_list("", 128));
    EXPECT_FALSE(parse_lcore_list("0,", 128));
    EXPECT_FALSE(parse_lcore_list("2-1", 128));
    EXPECT_FALSE(parse_lcore_list("0-128", 128));
    EXPECT_FALSE(parse_lcore_list("0,0", 128));
    EXPECT_FALSE(parse_lcore_list("a", 128));
}

TEST(Enums, NamesRoundTrip) {
    EXPECT_EQ(to_string(comm_system::active_standby), "active-standby");
    EXPECT_EQ(enum_from_string<srtp_suite>("AEAD_AES_256_GCM"), srtp_suite::aead_aes_256_gcm);
    EXPECT_EQ(enum_from_string<srtp_engine_kind>("ipsec-mb"), srtp_engine_kind::ipsec_mb);
    EXPECT_FALSE(enum_from_string<sip_transport>("UDP"));
    for (auto p : {media_protocol::rtp, media_protocol::srtp, media_protocol::best_effort}) {
        EXPECT_EQ(enum_from_string<media_protocol>(to_string(p)), p);
    }
}

}  // namespace
}  // namespace sbc::config
