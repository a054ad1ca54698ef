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

const std::vector<std::string> push_services{"apns", "fcm"};

// The result holds views into the message: keep every parsed message for the test's life.
register_check_result check(const std::string& text,
                            const std::vector<std::string>& providers = push_services) {
    static std::deque<sip::message> kept;
    auto m = sip::parse(text);
    EXPECT_TRUE(m) << text;
    kept.push_back(std::move(m.value()));
    return check_register(kept.back(), providers);
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
    EXPECT_EQ(q.push.provider(), "apns");
    EXPECT_EQ(q.push.prid(), "ab");
    EXPECT_EQ(q.push.param(), "x.y");
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
        auto r = check_register(m.value(), push_services);
        EXPECT_FALSE(r.request);
        EXPECT_EQ(refusal_name(r.refusal), refusal_name(c.why));
        EXPECT_GE(refusal_status(r.refusal), 400);
    }
    auto ext = check(reg("<sip:a@192.0.2.1>", "Require: outbound, gruu, foo\r\n"));
    EXPECT_EQ(ext.unsupported, "gruu, foo");
}

// RFC 8599 §4.1.1, §8.7: the pn-* parameters, checked before anything is stored.
TEST(RegisterCheck, PushParametersAreDecodedAndKept) {
    auto r =
        check(reg("<sip:a@192.0.2.1;PN-Provider=FCM;pn-prid=dGVzdA%3A%3Ax_y-z;"
                  "pn-param=ABCDE12345.us.zoom.voip>"));
    ASSERT_TRUE(r.request);
    EXPECT_EQ(r.request->push.provider(), "fcm");
    EXPECT_EQ(r.request->push.prid(), "dGVzdA::x_y-z");
    EXPECT_EQ(r.request->push.param(), "ABCDE12345.us.zoom.voip");
    EXPECT_EQ(r.request->push.summary(), "fcm dGVzdA::…");
    // Header parameters are the fallback some clients use.
    auto h = check(reg("<sip:a@192.0.2.1>;pn-provider=apns;pn-prid=\"0a1b\""));
    ASSERT_TRUE(h.request);
    EXPECT_EQ(h.request->push.prid(), "0a1b");
    EXPECT_EQ(h.request->push.param(), "");
    auto none = check(reg("<sip:a@192.0.2.1;ob>"));
    ASSERT_TRUE(none.request);
    EXPECT_TRUE(none.request->push.empty());
}

TEST(RegisterCheck, MalformedPushParametersAreRefusedWithTheReason) {
    const std::string long_prid(max_pn_prid_bytes + 1, 'a');
    struct row {
        std::string contact;
        std::string why;
    } cases[] = {
        {"<sip:a@h;pn-provider=apns;pn-prid>", "pn-prid without a value"},
        {"<sip:a@h;pn-provider=apns;pn-prid=x;pn-param>", "pn-param without a value"},
        {"<sip:a@h;pn-provider;pn-prid=x>", "pn-prid with an empty pn-provider"},
        {"<sip:a@h;pn-prid=x>;pn-provider", "pn-prid with an empty pn-provider"},
        {"<sip:a@h;pn-provider=apns;pn-prid=a;pn-prid=b>", "pn-prid given twice"},
        {"<sip:a@h;pn-provider=apns;pn-prid=a>;pn-prid=b", "pn-prid given twice"},
        {"<sip:a@h;pn-provider=apns;pn-prid=a%00b>",
         "pn-prid is malformed or longer than 1024 bytes"},
        {"<sip:a@h;pn-provider=apns;pn-prid=a%0d%0ab>",
         "pn-prid is malformed or longer than 1024 bytes"},
        {"<sip:a@h;pn-provider=apns;pn-prid=a%c3%a9>",
         "pn-prid is malformed or longer than 1024 bytes"},
        {"<sip:a@h;pn-provider=apns;pn-prid=" + long_prid + ">",
         "pn-prid is malformed or longer than 1024 bytes"},
        {"<sip:a@h;pn-provider=apns;pn-prid=x;pn-param=" + std::string(300, 'p') + ">",
         "pn-param is malformed or longer than 256 bytes"},
        {"<sip:a@h;pn-provider=" + std::string(64, 'a') + ";pn-prid=x>",
         "pn-provider is not a push service name"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.contact);
        auto r = check(reg(c.contact));
        ASSERT_FALSE(r.request);
        EXPECT_EQ(r.refusal, register_refusal::bad_push);
        EXPECT_EQ(refusal_status(r.refusal), 400);
        EXPECT_EQ(r.push_problem, c.why);
    }
}

// RFC 8599 §4.1.5, §5.6.1.2: pn-provider without pn-prid asks which services the SBC pushes
// through; it is an ordinary REGISTER that stores no device. §5.6.1: pn-prid or pn-param without
// pn-provider leave the push procedures out.
TEST(RegisterCheck, APushQueryOrAStrayPnParameterIsAnOrdinaryRegister) {
    for (const char* contact : {"<sip:a@h;pn-provider=apns>", "<sip:a@h;pn-provider>",
                                "<sip:a@h;pn-provider=FCM;pn-param=proj>", "<sip:a@h;pn-prid=abc>",
                                "<sip:a@h;pn-param=x>", "<sip:a@h>;pn-provider"}) {
        SCOPED_TRACE(contact);
        auto r = check(reg(contact));
        ASSERT_TRUE(r.request);
        EXPECT_TRUE(r.request->push.empty());
    }
    // The 2xx of a query names the services (RFC 8599 §5.6.1.2); none when push is off.
    EXPECT_EQ(check(reg("<sip:a@h;pn-provider>")).request->push_query_caps,
              R"(*;+sip.pns="apns,fcm")");
    EXPECT_EQ(check(reg("<sip:a@h;pn-provider=FCM;pn-param=proj>")).request->push_query_caps,
              R"(*;+sip.pns="fcm")");
    EXPECT_EQ(check(reg("<sip:a@h;pn-provider>"), {}).request->push_query_caps, "");
    EXPECT_EQ(check(reg("<sip:a@h;pn-prid=abc>")).request->push_query_caps, "");
    EXPECT_EQ(check(reg("<sip:a@h>")).request->push_query_caps, "");
    // A query naming a service the SBC does not use hears so (555), as a request would.
    auto q = check(reg("<sip:a@h;pn-provider=webpush>"));
    ASSERT_FALSE(q.request);
    EXPECT_EQ(q.refusal, register_refusal::push_not_supported);
    // Malformed still counts in a query.
    auto bad = check(reg("<sip:a@h;pn-provider=" + std::string(64, 'a') + ">"));
    ASSERT_FALSE(bad.request);
    EXPECT_EQ(bad.refusal, register_refusal::bad_push);
}

TEST(RegisterCheck, BrokenEscapesAndEmptyValuesAreAlreadyAMalformedContact) {
    // The URI parser refuses these before the push check looks: still a precise 400.
    for (const char* contact :
         {"<sip:a@h;pn-provider=;pn-prid=x>", "<sip:a@h;pn-provider=apns;pn-prid=a%4>",
          "<sip:a@h;pn-provider=apns;pn-prid=a%zz>"}) {
        SCOPED_TRACE(contact);
        auto r = check(reg(contact));
        ASSERT_FALSE(r.request);
        EXPECT_EQ(r.refusal, register_refusal::bad_contact);
    }
}

TEST(RegisterCheck, APushServiceThisSbcDoesNotUseGets555) {
    auto r = check(reg("<sip:a@h;pn-provider=webpush;pn-prid=x>"));
    ASSERT_FALSE(r.request);
    EXPECT_EQ(r.refusal, register_refusal::push_not_supported);
    EXPECT_EQ(refusal_status(r.refusal), 555);
    EXPECT_EQ(r.push_problem, "pn-provider 'webpush' is not a push service of this SBC");
    // With push disabled ([push] enable = false: no providers) every push client hears so.
    auto off = check(reg("<sip:a@h;pn-provider=apns;pn-prid=x>"), {});
    ASSERT_FALSE(off.request);
    EXPECT_EQ(off.refusal, register_refusal::push_not_supported);
}

}  // namespace
}  // namespace sbc::cp
