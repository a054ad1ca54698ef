#include <gtest/gtest.h>

#include <deque>

#include "controlplane/register_check.hpp"

namespace sbc::cp {
namespace {

std::string reg(std::string_view contact_line, std::string_view extra = {},
                std::string_view ruri = "sip:pbx.local",
                std::string_view to = "sip:alice@pbx.local") {
    std::string m = "REGISTER " + std::string(ruri) + " SIP/2.0\r\n";
    m += "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK1\r\n";
    m += "From: <sip:alice@pbx.local>;tag=1\r\nTo: <" + std::string(to) + ">\r\n";
    m += "Call-ID: c@x\r\nCSeq: 1 REGISTER\r\n";
    if (!contact_line.empty()) {
        m += "Contact: " + std::string(contact_line) + "\r\n";
    }
    m += extra;
    m += "Content-Length: 0\r\n\r\n";
    return m;
}

// The result holds views into the message: keep every parsed message for the test's life.
register_check_result check(const std::string& text) {
    static std::deque<sip::message> kept;
    auto m = sip::parse(text);
    EXPECT_TRUE(m) << text;
    kept.push_back(std::move(m.value()));
    return check_register(kept.back());
}

TEST(RegisterCheck, ABindingWithEverythingAClientSends) {
    auto r =
        check(reg("<sip:alice@192.0.2.1:5061;transport=tls;pn-provider=apns;pn-prid=ab;"
                  "pn-param=x.y>;+sip.instance=\"<urn:uuid:1>\";reg-id=2;expires=600",
                  "Expires: 300\r\nSupported: outbound, path\r\nUser-Agent: Z/1\r\n",
                  "sip:pbx.local", "sip:alice@PBX.Local;user=phone"));
    ASSERT_TRUE(r.request);
    const register_request& q = *r.request;
    EXPECT_EQ(q.intent, register_intent::bind);
    EXPECT_EQ(q.aor, "sip:alice@pbx.local");
    EXPECT_EQ(q.expires, 600u);  // the Contact parameter wins (RFC 3261 §10.2.1.1)
    EXPECT_EQ(q.instance, "<urn:uuid:1>");
    EXPECT_EQ(q.reg_id, 2u);
    EXPECT_TRUE(q.outbound);
    EXPECT_EQ(q.user_agent, "Z/1");
    EXPECT_EQ(q.push, "pn-provider=apns;pn-prid=ab;pn-param=x.y");
}

TEST(RegisterCheck, IntentsAndDefaults) {
    auto plain = check(reg("<sip:alice@192.0.2.1>"));
    ASSERT_TRUE(plain.request);
    EXPECT_EQ(plain.request->expires, default_register_expiry_s);
    EXPECT_FALSE(plain.request->outbound);
    auto unbind = check(reg("<sip:alice@192.0.2.1>", "Expires: 0\r\n"));
    EXPECT_EQ(unbind.request->intent, register_intent::unbind);
    auto star = check(reg("*", "Expires: 0\r\n"));
    EXPECT_EQ(star.request->intent, register_intent::unbind_all);
    auto query = check(reg(""));
    EXPECT_EQ(query.request->intent, register_intent::query);
    // Big but sane: passed on (capping is the throttle's business).
    auto big = check(reg("<sip:alice@192.0.2.1>", "Expires: 2147483647\r\n"));
    EXPECT_EQ(big.request->expires, 2147483647u);
}

TEST(RegisterCheck, EveryRefusal) {
    struct k {
        std::string text;
        register_refusal why;
    };
    const std::vector<k> cases = {
        {reg("<sip:a@192.0.2.1>", {}, "tel:+15551234"), register_refusal::unsupported_uri_scheme},
        {reg("<sip:a@192.0.2.1>", "Max-Forwards: 0\r\n"), register_refusal::too_many_hops},
        {reg("<sip:a@192.0.2.1>", "Require: gruu\r\n"), register_refusal::bad_extension},
        {reg("<sip:a@192.0.2.1>", {}, "sip:pbx.local", "sip:pbx.local"), register_refusal::bad_to},
        {reg("<sip:a@192.0.2.1>", {}, "sip:pbx.local", "tel:+1555"), register_refusal::bad_to},
        {reg("<sip:a@192.0.2.1>;expires=x"), register_refusal::bad_contact},
        {reg("<sip:a@192.0.2.1>;reg-id=0"), register_refusal::bad_contact},
        {reg("<mailto:a@example.com>"), register_refusal::contact_not_sip},
        {reg("<sip:a@192.0.2.1>, <sip:b@192.0.2.1>"), register_refusal::too_many_contacts},
        {reg("*"), register_refusal::bad_star},
        {reg("*", "Expires: 30\r\n"), register_refusal::bad_star},
        // The parser already finds `*` among other Contacts malformed.
        {reg("*, <sip:a@192.0.2.1>", "Expires: 0\r\n"), register_refusal::bad_contact},
        {reg("<sip:a@192.0.2.1>", "Expires: soon\r\n"), register_refusal::bad_expires},
        {reg("<sip:a@192.0.2.1>", "Expires: 99999999999\r\n"), register_refusal::absurd_expires},
        {reg("<sip:a@192.0.2.1>;expires=4294967295"), register_refusal::absurd_expires},
        {reg("<sip:a@192.0.2.1>", "Authorization: Digest username=\r\n"),
         register_refusal::bad_authorization},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto m = sip::parse(c.text);
        if (!m) {
            // Some refusals are the parser's own (then the transport answers them).
            continue;
        }
        auto r = check_register(m.value());
        EXPECT_FALSE(r.request);
        EXPECT_EQ(refusal_name(r.refusal), refusal_name(c.why));
        EXPECT_GE(refusal_status(r.refusal), 400);
    }
    auto ext = check(reg("<sip:a@192.0.2.1>", "Require: outbound, gruu, foo\r\n"));
    EXPECT_EQ(ext.unsupported, "gruu, foo");
}

}  // namespace
}  // namespace sbc::cp
