#include <gtest/gtest.h>

#include "controlplane/binding_table.hpp"

namespace sbc::cp {
namespace {

TEST(BindingTable, TokensAreUniqueAndRecognisable) {
    binding_table t;
    auto& a = t.create("sip:a@x", "", "sip:a@192.0.2.1");
    auto& b = t.create("sip:a@x", "<urn:uuid:1>", "sip:a@192.0.2.2");
    EXPECT_NE(a.token, b.token);
    EXPECT_TRUE(binding_table::looks_like_token(a.token));
    EXPECT_FALSE(binding_table::looks_like_token("alice"));
    EXPECT_FALSE(binding_table::looks_like_token("sbcfshort"));
    EXPECT_EQ(t.by_token(a.token), &a);
    EXPECT_EQ(t.by_token("sbcfAAAAAAAAAAAAAAAAAAAA"), nullptr);
}

TEST(BindingTable, KeysByInstanceElseContactAndIndices) {
    binding_table t;
    auto& plain = t.create("sip:a@x", "", "sip:a@192.0.2.1");
    auto& inst = t.create("sip:a@x", "<urn:uuid:1>", "sip:a@192.0.2.2");
    t.create("sip:b@x", "", "sip:b@192.0.2.3");
    EXPECT_EQ(t.find("sip:a@x", "", "sip:a@192.0.2.1"), &plain);
    // With an instance the Contact may change: still the same binding.
    EXPECT_EQ(t.find("sip:a@x", "<urn:uuid:1>", "sip:a@198.51.100.9"), &inst);
    EXPECT_EQ(t.find("sip:a@x", "", "sip:a@192.0.2.9"), nullptr);
    EXPECT_EQ(t.by_aor("sip:a@x").size(), 2u);

    t.set_connection(plain, 7);
    t.set_connection(inst, 7);
    EXPECT_EQ(t.on_connection(7).size(), 2u);
    t.set_connection(inst, 8);
    EXPECT_EQ(t.on_connection(7).size(), 1u);
    t.mark_active(plain);
    t.mark_active(plain);
    EXPECT_EQ(t.active(), 1u);

    const std::string token = plain.token;
    t.erase(plain);
    EXPECT_EQ(t.by_token(token), nullptr);
    EXPECT_TRUE(t.on_connection(7).empty());
    EXPECT_EQ(t.by_aor("sip:a@x").size(), 1u);
    EXPECT_EQ(t.active(), 0u);
    EXPECT_EQ(t.size(), 2u);
}

TEST(BindingTable, KnownSourcesAreThoseOfActiveBindings) {
    binding_table t;
    const auto nat = *sip::socket_address::from_ip("198.51.100.7", 40000);
    const auto moved = *sip::socket_address::from_ip("203.0.113.9", 40000);
    auto& a = t.create("sip:a@x", "", "sip:a@10.0.0.1");
    auto& b = t.create("sip:b@x", "", "sip:b@10.0.0.2");
    t.set_remote(a, nat);
    EXPECT_FALSE(t.has_source(nat));  // pending: not yet known
    t.mark_active(a);
    EXPECT_TRUE(t.has_source(*sip::socket_address::from_ip("198.51.100.7", 1)));  // any port
    t.set_remote(b, nat);
    t.mark_active(b);
    t.set_remote(a, moved);  // a's client moved: nat still has b
    EXPECT_TRUE(t.has_source(nat));
    EXPECT_TRUE(t.has_source(moved));
    t.erase(b);
    EXPECT_FALSE(t.has_source(nat));
    t.erase(a);
    EXPECT_FALSE(t.has_source(moved));
}

}  // namespace
}  // namespace sbc::cp
