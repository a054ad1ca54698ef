// The SIP trace ring: bounded in messages and bytes, secrets masked unless asked for, peer bytes
// kept exact (hex), and a real registration through sip_service (TLS client, fake OSV) traced on
// both realms with its addresses, found by AOR and by Call-ID.
#include "controlplane/sip_trace.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mgmt/json_text.hpp"
#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

std::string unhex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

const sip::socket_address here = *sip::socket_address::from_ip("192.0.2.1", 5061);
const sip::socket_address there = *sip::socket_address::from_ip("198.51.100.7", 40000);

void add(sip_trace& t, std::string_view bytes) {
    t.on_message(realm_id::access, sip_direction::in, sip::transport_type::tls, here, there, bytes);
}

TEST(SipTrace, DigestResponsesAndSdesKeysAreMaskedAndNothingElse) {
    const std::string msg =
        "INVITE sip:bob@pbx.local SIP/2.0\r\n"
        "Proxy-Authorization: Digest username=\"alice\", realm=\"pbx.local\", "
        "nonce=\"abc\", uri=\"sip:bob@pbx.local\", response=\"0123456789abcdef\", qop=auth\r\n"
        "authorization: Digest username=\"alice\", response=\"fedcba\"\r\n"
        "Content-Length: 0\r\n\r\n"
        "v=0\r\n"
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
        "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"
        "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"
        "a=rtpmap:0 PCMU/8000\r\n";
    const std::string masked = mask_secrets(msg);
    EXPECT_EQ(masked.find("0123456789abcdef"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("fedcba"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("WVNfX19z"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("NzB4d1BI"), std::string::npos) << masked;
    EXPECT_NE(masked.find("response=\"masked\", qop=auth\r\n"), std::string::npos) << masked;
    EXPECT_NE(masked.find("inline:masked|2^20|1:4\r\n"), std::string::npos) << masked;
    EXPECT_NE(masked.find("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:masked\r\n"),
              std::string::npos)
        << masked;
    EXPECT_NE(masked.find("username=\"alice\""), std::string::npos);
    EXPECT_NE(masked.find("a=rtpmap:0 PCMU/8000\r\n"), std::string::npos);

    sip_trace t;
    add(t, msg);
    const auto hidden = t.query({});
    EXPECT_TRUE(hidden["masked"].get<bool>());
    EXPECT_EQ(unhex(hidden["messages"][0]["bytes_hex"]), masked);
    sip_trace_query keys;
    keys.with_keys = true;
    EXPECT_EQ(unhex(t.query(keys)["messages"][0]["bytes_hex"]), msg);
}

TEST(SipTrace, RingIsBoundedInMessagesAndBytesOldestFirstOut) {
    sip_trace t({3, 1000});
    for (int i = 0; i < 10; ++i) {
        std::string m = "m";  // not "m" + to_string: gcc 12's -Wrestrict false positive
        m += std::to_string(i);
        add(t, m);
    }
    EXPECT_EQ(t.size(), 3U);
    auto j = t.query({});
    EXPECT_EQ(unhex(j["messages"][0]["bytes_hex"]), "m7");
    EXPECT_EQ(unhex(j["messages"][2]["bytes_hex"]), "m9");
    add(t, std::string(900, 'x'));  // the count pushes m7 out
    EXPECT_EQ(t.size(), 3U);
    EXPECT_EQ(t.bytes(), 904U);
    add(t, std::string(500, 'z'));  // the bytes push m8, m9 and the 900 out
    EXPECT_EQ(t.size(), 1U);
    EXPECT_EQ(t.bytes(), 500U);
    add(t, std::string(2000, 'y'));  // larger than the whole ring: not kept
    EXPECT_EQ(t.bytes(), 500U);
    sip_trace off({0, 1000});
    add(off, "m");
    EXPECT_EQ(off.size(), 0U);
}

TEST(SipTrace, HostileBytesStayExactAndTheAnswerIsWritableJson) {
    sip_trace t;
    static constexpr char raw[] = "OPTIONS sip:x SIP/2.0\r\nX: \xff\xfe\0\x1b[2J\rbare\r\n\r\n";
    const std::string hostile(raw, sizeof(raw) - 1);
    add(t, hostile);
    const auto j = t.query({});
    EXPECT_EQ(unhex(j["messages"][0]["bytes_hex"]), hostile);
    EXPECT_FALSE(mgmt::json_text(j).empty());
    // Filters parse the message; one that does not parse matches no AOR and does not throw.
    sip_trace_query q;
    q.aor = "sip:alice@pbx.local";
    EXPECT_EQ(t.query(q)["matched"], 0);
}

TEST(SipTrace, OneAnswerStaysUnderTheMgmtLineLimit) {
    sip_trace t({5000, 64u << 20});
    for (int i = 0; i < 200; ++i) {
        add(t, std::string(8000, 'a'));
    }
    const auto j = t.query({});
    EXPECT_LT(j["shown"].get<std::size_t>(), 200U);
    EXPECT_EQ(j["matched"], 200);
    EXPECT_LT(mgmt::json_text(j).size(), std::size_t{1} << 20);
}

TEST(SipTrace, ARegistrationIsTracedOnBothRealmsWithItsAddresses) {
    sbc_fixture f;
    ASSERT_TRUE(f.start()) << f.start_error;
    auto c = f.client("127.0.0.5");
    register_params p;
    ASSERT_TRUE(f.register_client(*c, p));
    auto other = f.client("127.0.0.6");
    register_params bob;
    bob.user = "bob";
    bob.call_id = "c2@client";
    ASSERT_TRUE(f.register_client(*other, bob));

    sip_trace_query q;
    q.aor = "sip:alice@pbx.local";
    const auto j = f.sbc->trace().query(q);
    // REGISTER, 401, REGISTER (with credentials), 200 on each realm.
    ASSERT_EQ(j["shown"], 8) << mgmt::json_text(j, 2);
    std::size_t access_in = 0, core_out = 0;
    for (const auto& m : j["messages"]) {
        const std::string bytes = unhex(m["bytes_hex"]);
        EXPECT_EQ(bytes.find("bob@"), std::string::npos);
        if (m["realm"] == "access" && m["direction"] == "in") {
            ++access_in;
            EXPECT_EQ(m["transport"], "TLS");
            EXPECT_EQ(m["remote"].get<std::string>().rfind("127.0.0.5:", 0), 0U) << m;
            EXPECT_EQ(m["local"], f.access_tls.to_string());
            EXPECT_EQ(bytes.rfind("REGISTER ", 0), 0U);
        }
        if (m["realm"] == "core" && m["direction"] == "out") {
            ++core_out;
            EXPECT_EQ(m["remote"].get<std::string>().rfind("127.0.0.2:", 0), 0U) << m;
            EXPECT_EQ(bytes.rfind("REGISTER ", 0), 0U);
        }
        EXPECT_EQ(bytes.find(test_credentials), std::string::npos) << "masked: " << bytes;
    }
    EXPECT_EQ(access_in, 2U);
    EXPECT_EQ(core_out, 2U);
    // The client's Call-ID names its access-side messages only (OSV sees sbcd's own).
    sip_trace_query by_call;
    by_call.call_id = "c2@client";
    EXPECT_EQ(f.sbc->trace().query(by_call)["shown"], 4);
}

}  // namespace
}  // namespace sbc::cp::test
