// The DoS guard alone on a fake clock: the token bucket, the three triggers, expiry, the bounded
// tables, known sources and the initial-registration gate.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "controlplane/dos_guard.hpp"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using sip::message_kind;
using sip::source_verdict;
using sip::transport_type;

sip::socket_address ip(const char* text, std::uint16_t port = 5060) {
    return *sip::socket_address::from_ip(text, port);
}

struct fixture {
    explicit fixture(dos_settings s = small()) : guard(s, [this] { return now; }) {
        guard.on_listed([this](const sip::socket_address& a) {
            listed.push_back(a.ip());
            return std::size_t{2};  // as if two connections were closed
        });
    }
    static dos_settings small() {
        dos_settings s;
        s.max_requests_per_source_per_s = 10;
        s.blacklist_duration_s = 60;
        s.max_connections_per_source = 3;
        return s;
    }
    source_verdict request(const sip::socket_address& a, transport_type t = transport_type::udp) {
        return guard.on_message(a, t, message_kind::request);
    }
    // Sends `n` requests, returns how many were accepted.
    int send(const sip::socket_address& a, int n, transport_type t = transport_type::udp) {
        int ok = 0;
        for (int i = 0; i < n; ++i) {
            ok += request(a, t) == source_verdict::accept ? 1 : 0;
        }
        return ok;
    }

    sip::time_point now = sip::time_point{} + 1000h;
    std::vector<std::string> listed;
    dos_guard guard;
};

TEST(DosGuard, BurstOfOneSecondThenBlacklistedAndDropped) {
    fixture f;
    const auto a = ip("192.0.2.1");
    EXPECT_EQ(f.send(a, 10), 10);
    EXPECT_FALSE(f.guard.is_blacklisted(a));
    EXPECT_EQ(f.request(a), source_verdict::drop);
    EXPECT_TRUE(f.guard.is_blacklisted(a));
    EXPECT_EQ(f.listed, std::vector<std::string>{"192.0.2.1"});
    EXPECT_EQ(f.guard.counters().blacklisted_request_rate, 1u);
    EXPECT_EQ(f.guard.counters().closed_connections, 2u);
    // Everything from it now goes, keep-alives and connections included; another port of the
    // same address is the same source.
    EXPECT_EQ(f.send(ip("192.0.2.1", 4000), 5), 0);
    EXPECT_EQ(f.guard.on_message(a, transport_type::udp, message_kind::keepalive),
              source_verdict::drop);
    EXPECT_EQ(f.guard.on_message(a, transport_type::tls, message_kind::response),
              source_verdict::drop);
    EXPECT_EQ(f.guard.on_connection(a, 0), source_verdict::drop);
    EXPECT_EQ(f.guard.counters().dropped_datagrams, 6u);
    EXPECT_EQ(f.guard.counters().dropped_stream_messages, 1u);
    EXPECT_EQ(f.guard.counters().dropped_connections, 1u);
    // Another source is untouched.
    EXPECT_EQ(f.send(ip("192.0.2.2"), 10), 10);
    auto table = f.guard.blacklist_table(nlohmann::json::object());
    ASSERT_EQ(table["rows"].size(), 1u);
    EXPECT_EQ(table["rows"][0][0], "192.0.2.1");
    EXPECT_EQ(table["rows"][0][1], "request_rate");
    EXPECT_EQ(table["rows"][0][2], 60);
    EXPECT_EQ(table["rows"][0][3], 8);  // 5 + keep-alive + response + connection
}

TEST(DosGuard, BucketRefillsAtTheConfiguredRate) {
    fixture f;
    const auto a = ip("192.0.2.1");
    EXPECT_EQ(f.send(a, 10), 10);
    f.now += 500ms;
    EXPECT_EQ(f.send(a, 5), 5);  // half a second: five tokens
    f.now += 10s;                // never more than one second's worth
    EXPECT_EQ(f.send(a, 10), 10);
    EXPECT_FALSE(f.guard.is_blacklisted(a));
    f.now += 100ms;
    EXPECT_EQ(f.send(a, 1), 1);
    EXPECT_EQ(f.request(a), source_verdict::drop);
    EXPECT_TRUE(f.guard.is_blacklisted(a));
}

TEST(DosGuard, SteadyRateAtTheLimitIsNeverBlacklisted) {
    fixture f;
    const auto a = ip("192.0.2.1");
    for (int i = 0; i < 1000; ++i) {
        f.now += 100ms;  // 10 per second, exactly the limit
        ASSERT_EQ(f.request(a), source_verdict::accept) << i;
    }
    EXPECT_EQ(f.guard.counters().blacklisted_request_rate, 0u);
}

TEST(DosGuard, EntriesExpireAndTheSourceStartsAfresh) {
    fixture f;
    const auto a = ip("192.0.2.1");
    f.send(a, 11);
    ASSERT_TRUE(f.guard.is_blacklisted(a));
    f.now += 59s;
    EXPECT_TRUE(f.guard.is_blacklisted(a));
    EXPECT_EQ(f.guard.blacklist_table({})["rows"][0][2], 1);
    f.now += 1s;
    EXPECT_FALSE(f.guard.is_blacklisted(a));
    EXPECT_EQ(f.guard.counters().expired, 1u);
    EXPECT_EQ(f.guard.blacklisted(), 0u);
    EXPECT_EQ(f.send(a, 10), 10);  // a full bucket again
    EXPECT_EQ(f.request(a), source_verdict::drop);
    EXPECT_EQ(f.guard.counters().blacklisted_request_rate, 2u);
}

TEST(DosGuard, WithoutDynamicBlacklistOnlyTheExcessIsRefused) {
    auto s = fixture::small();
    s.dynamic_blacklist = false;
    fixture f(s);
    const auto a = ip("192.0.2.1");
    EXPECT_EQ(f.send(a, 10, transport_type::tls), 10);
    // Stream requests get 503 (refuse); responses and UDP are dropped unanswered.
    EXPECT_EQ(f.request(a, transport_type::tls), source_verdict::refuse);
    EXPECT_EQ(f.guard.on_message(a, transport_type::tls, message_kind::response),
              source_verdict::drop);
    EXPECT_EQ(f.request(a, transport_type::udp), source_verdict::drop);
    EXPECT_EQ(f.guard.retry_after_s(), 1u);
    EXPECT_FALSE(f.guard.is_blacklisted(a));
    EXPECT_TRUE(f.listed.empty());
    EXPECT_EQ(f.guard.counters().rate_refused, 1u);
    EXPECT_EQ(f.guard.counters().rate_dropped, 2u);
    EXPECT_GT(f.guard.under_attack_s(), 0u);
    f.now += 1s;
    EXPECT_EQ(f.send(a, 10, transport_type::tls), 10);
    // A new connection costs a token too: with none left it is closed (dropped).
    EXPECT_EQ(f.guard.on_connection(a, 0), source_verdict::drop);
    EXPECT_EQ(f.guard.counters().rate_dropped, 3u);
    f.now += 1s;
    // Connections over the limit are refused, malformed messages only counted.
    EXPECT_EQ(f.guard.on_connection(a, 3), source_verdict::refuse);
    for (int i = 0; i < 50; ++i) {
        f.guard.on_malformed(a);
    }
    EXPECT_FALSE(f.guard.is_blacklisted(a));
    EXPECT_EQ(f.guard.counters().connections_refused, 1u);
    EXPECT_EQ(f.guard.counters().malformed, 50u);
}

TEST(DosGuard, TooManyConnectionsBlacklists) {
    fixture f;
    const auto a = ip("192.0.2.1");
    EXPECT_EQ(f.guard.on_connection(a, 0), source_verdict::accept);
    EXPECT_EQ(f.guard.on_connection(a, 2), source_verdict::accept);
    EXPECT_EQ(f.guard.on_connection(a, 3), source_verdict::drop);  // the fourth at once
    EXPECT_TRUE(f.guard.is_blacklisted(a));
    EXPECT_EQ(f.listed.size(), 1u);
    EXPECT_EQ(f.guard.counters().blacklisted_connections, 1u);
    EXPECT_EQ(f.guard.blacklist_table({})["rows"][0][1], "connections");
    EXPECT_EQ(f.guard.on_connection(ip("192.0.2.2"), 2), source_verdict::accept);
}

TEST(DosGuard, ConnectionChurnCostsTokens) {
    fixture f;
    const auto a = ip("192.0.2.1");
    // Never more than one open at a time, but ten new ones in a second, then a message.
    for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(f.guard.on_connection(a, 0), source_verdict::accept) << i;
    }
    EXPECT_EQ(f.request(a, transport_type::tls), source_verdict::drop);
    EXPECT_EQ(f.guard.blacklist_table({})["rows"][0][1], "request_rate");
}

TEST(DosGuard, RepeatedMalformedMessagesWithinTheWindowBlacklist) {
    fixture f;
    const auto a = ip("192.0.2.1");
    for (int i = 0; i < 9; ++i) {
        f.guard.on_malformed(a);
    }
    EXPECT_FALSE(f.guard.is_blacklisted(a));
    f.now += 60s;  // a new window: the count starts again
    for (int i = 0; i < 9; ++i) {
        f.guard.on_malformed(a);
    }
    EXPECT_FALSE(f.guard.is_blacklisted(a));
    f.guard.on_malformed(a);
    EXPECT_TRUE(f.guard.is_blacklisted(a));
    EXPECT_EQ(f.guard.counters().blacklisted_malformed, 1u);
    EXPECT_EQ(f.guard.blacklist_table({})["rows"][0][1], "malformed");
}

TEST(DosGuard, BlacklistIsBoundedAndEvictsTheLeastRecentlyHit) {
    auto s = fixture::small();
    s.max_blacklisted = 3;
    fixture f(s);
    for (const char* a : {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) {
        ASSERT_TRUE(f.guard.blacklist(ip(a), dos_reason::request_rate));
        f.now += 1s;
    }
    // .1 keeps flooding: it is hit, so .2 is now the least recently hit.
    EXPECT_EQ(f.request(ip("192.0.2.1")), source_verdict::drop);
    EXPECT_TRUE(f.guard.blacklist(ip("192.0.2.4"), dos_reason::malformed));
    EXPECT_EQ(f.guard.blacklisted(), 3u);
    EXPECT_EQ(f.guard.counters().evicted_blacklisted, 1u);
    EXPECT_TRUE(f.guard.is_blacklisted(ip("192.0.2.1")));
    EXPECT_FALSE(f.guard.is_blacklisted(ip("192.0.2.2")));
    EXPECT_TRUE(f.guard.is_blacklisted(ip("192.0.2.3")));
    EXPECT_TRUE(f.guard.is_blacklisted(ip("192.0.2.4")));
    // Newest first in the listing.
    auto rows = f.guard.blacklist_table({})["rows"];
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0][0], "192.0.2.4");
    EXPECT_EQ(f.guard.blacklist_table({{"limit", 1}})["rows"].size(), 1u);
    EXPECT_EQ(f.guard.blacklist_table({{"limit", 1}})["total"], 3);
}

TEST(DosGuard, SpoofedSourceFloodCannotGrowTheBucketTable) {
    auto s = fixture::small();
    s.max_sources = 100;
    fixture f(s);
    for (std::uint32_t i = 0; i < 5000; ++i) {
        const std::string a = "10." + std::to_string((i >> 16) & 255) + "." +
                              std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
        ASSERT_EQ(f.request(ip(a.c_str())), source_verdict::accept);
    }
    EXPECT_EQ(f.guard.tracked_sources(), 100u);
    EXPECT_EQ(f.guard.counters().evicted_sources, 4900u);
    // A real flooder stays tracked while it keeps sending among the spoofed ones.
    const auto flooder = ip("192.0.2.99");
    int accepted = 0;
    for (std::uint32_t i = 0; i < 200 && !f.guard.is_blacklisted(flooder); ++i) {
        accepted += f.request(flooder) == source_verdict::accept ? 1 : 0;
        const std::string a = "172.16." + std::to_string(i & 255) + ".1";
        f.request(ip(a.c_str()));
    }
    EXPECT_EQ(accepted, 10);
    EXPECT_TRUE(f.guard.is_blacklisted(flooder));
}

TEST(DosGuard, KnownSourcesGetAFactorMoreButNotUnlimited) {
    fixture f;
    std::set<std::string> known = {"192.0.2.1"};
    int asked = 0;
    f.guard.set_known_source([&](const sip::socket_address& a) {
        ++asked;
        return known.count(a.ip()) != 0;
    });
    const auto a = ip("192.0.2.1");
    EXPECT_EQ(f.send(a, 40), 40);  // 4 x 10
    EXPECT_LE(asked, 2);           // the registrar is asked at most once a second per source
    EXPECT_EQ(f.request(a), source_verdict::drop);
    EXPECT_TRUE(f.guard.is_blacklisted(a));
    // Connections: 4 x 3 for a known source.
    const auto b = ip("192.0.2.5");
    known.insert("192.0.2.5");
    EXPECT_EQ(f.guard.on_connection(b, 11), source_verdict::accept);
    EXPECT_EQ(f.guard.on_connection(b, 12), source_verdict::drop);
    EXPECT_EQ(f.guard.on_connection(ip("192.0.2.6"), 3), source_verdict::drop);
}

TEST(DosGuard, InitialRegistrationsAreRefusedOnlyUnderAttackAndOnlyForUnknownSources) {
    auto s = fixture::small();
    s.process_initial_registration = false;
    fixture f(s);
    f.guard.set_known_source([](const sip::socket_address& a) { return a.ip() == "198.51.100.1"; });
    const auto stranger = ip("203.0.113.5");
    EXPECT_EQ(f.guard.refuse_initial_register(stranger), std::nullopt);
    f.send(ip("192.0.2.1"), 11);  // an attack
    f.now += 10s;
    EXPECT_EQ(f.guard.refuse_initial_register(stranger), std::optional<std::uint32_t>(50));
    EXPECT_EQ(f.guard.refuse_initial_register(ip("198.51.100.1")), std::nullopt);
    EXPECT_EQ(f.guard.counters().initial_registers_refused, 1u);
    EXPECT_EQ(f.guard.status()["under_attack"], true);
    f.now += 50s;
    EXPECT_EQ(f.guard.under_attack_s(), 0u);
    EXPECT_EQ(f.guard.refuse_initial_register(stranger), std::nullopt);

    fixture g;  // process_initial_registration = true: never refused
    g.send(ip("192.0.2.1"), 11);
    EXPECT_GT(g.guard.under_attack_s(), 0u);
    EXPECT_EQ(g.guard.refuse_initial_register(stranger), std::nullopt);
}

TEST(DosGuard, AddressFamiliesAndForgiveness) {
    fixture f;
    const auto v6 = ip("2001:db8::1");
    const auto v6b = ip("2001:db8::2");
    ASSERT_TRUE(f.guard.blacklist(v6, dos_reason::connections));
    EXPECT_FALSE(f.guard.blacklist(v6, dos_reason::connections));
    EXPECT_TRUE(f.guard.is_blacklisted(ip("2001:db8::1", 1)));
    EXPECT_FALSE(f.guard.is_blacklisted(v6b));
    EXPECT_FALSE(f.guard.is_blacklisted(ip("0.0.0.1")));
    EXPECT_EQ(f.guard.blacklist_table({})["rows"][0][0], "2001:db8::1");
    EXPECT_TRUE(f.guard.forgive(v6));
    EXPECT_FALSE(f.guard.forgive(v6));
    EXPECT_FALSE(f.guard.is_blacklisted(v6));
}

TEST(DosGuard, StatusNamesSettingsAndCounters) {
    fixture f;
    f.send(ip("192.0.2.1"), 11);
    auto st = f.guard.status();
    EXPECT_EQ(st["settings"]["max_requests_per_source_per_s"], 10);
    EXPECT_EQ(st["settings"]["malformed_limit"], 10);
    EXPECT_EQ(st["blacklisted"], 1);
    EXPECT_EQ(st["under_attack_remaining_s"], 60);
    EXPECT_EQ(st["counters"]["blacklisted_request_rate"], 1);
    EXPECT_TRUE(st["counters"].contains("initial_registers_refused"));
}

TEST(DosGuard, SettingsFromTheConfig) {
    config::dos_section d;
    d.dynamic_blacklist = false;
    d.process_initial_registration = false;
    d.max_requests_per_source_per_s = 7;
    d.blacklist_duration_s = 9;
    d.max_connections_per_source = 3;
    const auto s = dos_settings::from(d);
    EXPECT_FALSE(s.dynamic_blacklist);
    EXPECT_FALSE(s.process_initial_registration);
    EXPECT_EQ(s.max_requests_per_source_per_s, 7u);
    EXPECT_EQ(s.blacklist_duration_s, 9u);
    EXPECT_EQ(s.max_connections_per_source, 3u);
}

}  // namespace
}  // namespace sbc::cp
