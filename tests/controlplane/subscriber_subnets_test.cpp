#include <gtest/gtest.h>

#include "controlplane/subscriber_subnets.hpp"

namespace sbc::cp {
namespace {

sip::socket_address at(const char* ip) {
    return *sip::socket_address::from_ip(ip, 5061);
}

TEST(IpPrefix, ParsesAndRejects) {
    EXPECT_TRUE(ip_prefix::parse("0.0.0.0/0"));
    EXPECT_TRUE(ip_prefix::parse("2001:db8::/32"));
    for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "x/8",
                            "2001:db8::/129", "10.0.0.0/8x"}) {
        EXPECT_FALSE(ip_prefix::parse(bad)) << bad;
    }
}

TEST(IpPrefix, ContainsByBitsAndFamily) {
    const auto p = *ip_prefix::parse("198.51.100.0/23");
    EXPECT_TRUE(p.contains(at("198.51.100.7")));
    EXPECT_TRUE(p.contains(at("198.51.101.255")));
    EXPECT_FALSE(p.contains(at("198.51.102.0")));
    EXPECT_FALSE(p.contains(at("2001:db8::1")));
    EXPECT_TRUE(ip_prefix::parse("0.0.0.0/0")->contains(at("203.0.113.9")));
    const auto v6 = *ip_prefix::parse("2001:db8:ab::/48");
    EXPECT_TRUE(v6.contains(at("2001:db8:ab:ffff::1")));
    EXPECT_FALSE(v6.contains(at("2001:db8:ac::1")));
}

TEST(SubscriberSubnets, MostSpecificWinsAndOutsidersGetNothing) {
    subscriber_subnets s;
    s.add({*ip_prefix::parse("10.0.0.0/8"), "10.0.0.0/8", "wide", "SRTP_SDES"});
    s.add({*ip_prefix::parse("10.1.0.0/16"), "10.1.0.0/16", "narrow", "OTHER"});
    EXPECT_EQ(s.match(at("10.1.2.3"))->certificate_profile, "narrow");
    EXPECT_EQ(s.match(at("10.2.2.3"))->certificate_profile, "wide");
    EXPECT_EQ(s.match(at("192.0.2.1")), nullptr);
}

TEST(SubscriberSubnets, DisabledRemoteSubscribersMeansNoSubnets) {
    config::appliance cfg;
    cfg.remote_subscribers.enable = false;
    cfg.remote_subscribers.subnets.push_back({"0.0.0.0/0", "p", "m"});
    EXPECT_TRUE(subscriber_subnets::from_config(cfg).all().empty());
    cfg.remote_subscribers.enable = true;
    EXPECT_EQ(subscriber_subnets::from_config(cfg).all().size(), 1u);
}

}  // namespace
}  // namespace sbc::cp
