// Typed header values, one family per test.
#include <gtest/gtest.h>

#include "sip/headers.hpp"
#include "sip/message.hpp"
#include "sip/text.hpp"

namespace sbc::sip {
namespace {

TEST(Uri, SipUriParts) {
    auto u = parse_uri(
        "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr;maddr=239.255.255.1;ob;user="
        "phone?subject=project%20x&priority=urgent");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->scheme, uri_scheme::sips);
    EXPECT_EQ(u->user, "alice");
    EXPECT_EQ(u->password, "secret");
    EXPECT_EQ(u->host(), "atlanta.example.com");
    EXPECT_EQ(u->hp.kind, host_kind::name);
    EXPECT_EQ(u->port(), 5061);
    EXPECT_EQ(u->transport(), "tcp");
    EXPECT_TRUE(u->lr());
    EXPECT_EQ(u->maddr(), "239.255.255.1");
    EXPECT_TRUE(u->ob());
    EXPECT_TRUE(u->user_is_phone());
    EXPECT_EQ(u->headers, "subject=project%20x&priority=urgent");
}

TEST(Uri, EscapesUserParamsAndTel) {
    auto u = parse_uri("sip:%61lice;day=tuesday@EXAMPLE.com");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->user, "%61lice;day=tuesday");
    EXPECT_EQ(unescape(u->user), "alice;day=tuesday");
    auto v = parse_uri("sip:alice;day=tuesday@example.com");
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(uri_equal(*u, *v));
    auto t = parse_uri("tel:+1-201-555-0123;phone-context=example.com");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->scheme, uri_scheme::tel);
    EXPECT_EQ(t->user, "+1-201-555-0123");
    EXPECT_EQ(t->params.value("phone-context"), "example.com");
    auto urn = parse_uri("urn:service:sos");
    ASSERT_TRUE(urn.ok());
    EXPECT_EQ(urn->scheme, uri_scheme::other);
    EXPECT_EQ(urn->opaque, "service:sos");
}

TEST(Uri, Ipv4AndIpv6Hosts) {
    auto a = parse_uri("sip:10.1.2.3:5060");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->hp.kind, host_kind::ipv4);
    EXPECT_FALSE(a->has_user);
    auto b = parse_uri("sip:bob@[::ffff:192.0.2.1]");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->hp.kind, host_kind::ipv6);
    EXPECT_FALSE(b->hp.has_port);
    EXPECT_EQ(b->hp.address(), "::ffff:192.0.2.1");
}

TEST(Uri, RejectsMalformed) {
    for (const char* bad :
         {"sip:", "sip:@example.com", "sip:a@", "sip:a@exa mple.com", "sip:a@example.com:99999",
          "sip:a@[::1", "sip:a@[zz::1]", "sip:a@example.com;", "sip:a@example.com?",
          "sip:a%4@x.com", "sip:a@b@c.com", ":x", "1sip:a@b", "tel:", "sip:a@-x.com"}) {
        EXPECT_FALSE(parse_uri(bad).ok()) << bad;
    }
}

TEST(Uri, ComparisonRules) {
    auto eq = [](std::string_view a, std::string_view b) {
        return uri_equal(*parse_uri(a), *parse_uri(b));
    };
    // RFC 3261 §19.1.4 examples.
    EXPECT_TRUE(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
    EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
    EXPECT_FALSE(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
    EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
    EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
    EXPECT_FALSE(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
}

TEST(Via, MultipleValuesAndParams) {
    std::string msg =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=198.51.100.7;rport=40000,"
        " SIP/2.0/TCP proxy.example.com;branch=z9hG4bKb;maddr=224.2.0.1;ttl=16\r\n"
        "v: SIP / 2.0 / TLS [2001:db8::1]:5061 ;branch=z9hG4bKc\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\nCall-ID: c\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    auto m = parse(msg);
    ASSERT_TRUE(m.ok()) << error_name(m.error().code);
    EXPECT_EQ(m->top_via().received(), "198.51.100.7");
    EXPECT_EQ(m->top_via().rport(), 40000);
    const auto& vias = m->vias();
    ASSERT_TRUE(vias.ok());
    ASSERT_EQ(vias->size(), 3u);
    EXPECT_EQ(vias->at(1).transport, "TCP");
    EXPECT_EQ(vias->at(1).maddr(), "224.2.0.1");
    EXPECT_EQ(vias->at(1).ttl(), 16);
    EXPECT_EQ(vias->at(2).sent_by.kind, host_kind::ipv6);
    EXPECT_EQ(vias->at(2).sent_by.port, 5061);
    EXPECT_EQ(vias->at(2).branch(), "z9hG4bKc");
    EXPECT_TRUE(vias->at(2).rfc3261_branch());
}

TEST(Via, RejectsMalformed) {
    for (const char* bad :
         {"SIP/2.0/UDP", "SIP/2.0 host", "SIP/2.0/UDP host:port", "SIP/2.0/UDP host;branch",
          "SIP/2.0/UDP host;ttl=300", "SIP/2.0/UDP host;rport=x", "SIP/2.0/UDP host;received=x.y",
          "SIP/2.0/UDPhost", "SIP/2.0/UDP [::1;branch=x", "SIP/2.0/UDP host junk"}) {
        EXPECT_FALSE(parse_via(bad).ok()) << bad;
    }
}

TEST(NameAddr, DisplayNamesAndTags) {
    auto a =
        parse_name_addr("\"Alice \\\"the\\\" Admin\" <sip:alice@example.com;lr>;tag=abc;x=\"y;z\"");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->display_name_text(), "Alice \"the\" Admin");
    EXPECT_TRUE(a->uri.lr());
    EXPECT_EQ(a->tag(), "abc");
    EXPECT_EQ(a->params.value("x"), "\"y;z\"");
    auto b = parse_name_addr("sip:bob@example.com;tag=xyz");
    ASSERT_TRUE(b.ok());
    EXPECT_FALSE(b->angle_brackets);
    EXPECT_EQ(b->uri_text, "sip:bob@example.com");
    EXPECT_EQ(b->tag(), "xyz");  // §20.10: addr-spec params belong to the header
    auto c = parse_name_addr("Bob Smith <tel:+15551234>");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->display_name, "Bob Smith");
    EXPECT_FALSE(parse_name_addr("<sip:a@b.com").ok());
    EXPECT_FALSE(parse_name_addr("\"unterminated <sip:a@b.com>").ok());
    EXPECT_FALSE(parse_name_addr("sip:a@b.com?x=y").ok());
    EXPECT_FALSE(parse_name_addr("<sip:a@b.com> junk").ok());
}

TEST(Contact, RegistrationParams) {
    std::string msg =
        "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TLS "
        "10.0.0.2:50123;branch=z9hG4bKr;rport\r\n"
        "From: <sip:alice@example.com>;tag=t\r\nTo: <sip:alice@example.com>\r\nCall-ID: r1\r\n"
        "CSeq: 9 REGISTER\r\n"
        "Contact: <sip:alice@10.0.0.2:50123;transport=tls;ob;pn-provider=apns;"
        "pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip>;expires=3600;q=0.7;"
        "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1,"
        " \"Second\" <sip:alice@192.0.2.4>;expires=0\r\n"
        "Expires: 7200\r\nContent-Length: 0\r\n\r\n";
    auto m = parse(msg);
    ASSERT_TRUE(m.ok());
    const auto& c = m->contacts();
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 2u);
    const contact& first = c->at(0);
    EXPECT_EQ(first.expires(), 3600u);
    EXPECT_FLOAT_EQ(*first.q(), 0.7f);
    EXPECT_EQ(first.instance(), "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>");
    EXPECT_EQ(first.reg_id(), 1u);
    EXPECT_EQ(first.pn_provider(), "apns");
    EXPECT_EQ(first.pn_prid(), "00fc13adff78512");
    EXPECT_EQ(first.pn_param(), "ABCD1234.com.example.voip");
    EXPECT_TRUE(first.addr.uri.ob());
    EXPECT_EQ(c->at(1).addr.display_name_text(), "Second");
    EXPECT_EQ(c->at(1).expires(), 0u);
    EXPECT_EQ(*m->expires(), 7200u);
}

TEST(Contact, StarAndErrors) {
    auto star = parse_contact("*");
    ASSERT_TRUE(star.ok());
    EXPECT_TRUE(star->star);
    EXPECT_FALSE(parse_contact("<sip:a@b.com>;q=1.5").ok());
    EXPECT_FALSE(parse_contact("<sip:a@b.com>;expires=soon").ok());
    std::string msg =
        "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
        "From: <sip:a@example.com>;tag=t\r\nTo: <sip:a@example.com>\r\nCall-ID: r1\r\n"
        "CSeq: 9 REGISTER\r\nContact: *, <sip:a@b.com>\r\nl: 0\r\n\r\n";
    auto m = parse(msg);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(m->contacts().malformed());
    EXPECT_EQ(m->parse_all(), error_code::malformed_contact);
}

TEST(CSeq, NumberAndMethod) {
    auto c = parse_cseq("4711 INVITE");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->number, 4711u);
    EXPECT_EQ(c->kind, sip_method::invite);
    EXPECT_TRUE(parse_cseq("4294967295 ACK").ok());
    for (const char* bad :
         {"", "1", "INVITE", "4294967296 INVITE", "1 INVITE x", "-1 BYE", "1INVITE"}) {
        EXPECT_FALSE(parse_cseq(bad).ok()) << bad;
    }
}

TEST(Auth, DigestParams) {
    auto a = parse_auth(
        "Digest username=\"alice\", realm=\"pbx.local\", nonce=\"abc,def\", "
        "uri=\"sip:pbx.local\", response=\"0123456789abcdef\", algorithm=MD5, qop=auth, "
        "nc=00000001, "
        "cnonce=\"xyz\", opaque=\"o\"");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->scheme, "Digest");
    EXPECT_EQ(a->username(), "alice");
    EXPECT_EQ(a->realm(), "pbx.local");
    EXPECT_EQ(a->nonce(), "abc,def");
    EXPECT_EQ(a->uri(), "sip:pbx.local");
    EXPECT_EQ(a->algorithm(), "MD5");
    EXPECT_EQ(a->qop(), "auth");
    EXPECT_EQ(a->nc(), "00000001");
    EXPECT_EQ(a->cnonce(), "xyz");
    EXPECT_EQ(a->opaque(), "o");
    auto ch = parse_auth("Digest realm=\"x\",\r\n nonce=\"n\", stale=TRUE, qop=\"auth,auth-int\"");
    ASSERT_TRUE(ch.ok());
    EXPECT_TRUE(ch->stale());
    EXPECT_EQ(ch->qop(), "auth,auth-int");
    EXPECT_FALSE(parse_auth("Digest realm=\"x").ok());
    EXPECT_FALSE(parse_auth("Digest realm=\"x\",,").ok());
    EXPECT_FALSE(parse_auth("").ok());
}

TEST(SessionTimers, SessionExpiresAndMinSe) {
    auto se = parse_session_expires("1800;refresher=uac");
    ASSERT_TRUE(se.ok());
    EXPECT_EQ(se->delta, 1800u);
    EXPECT_EQ(se->who, refresher::uac);
    EXPECT_EQ(parse_session_expires("90 ; refresher=UAS")->who, refresher::uas);
    EXPECT_FALSE(parse_session_expires("1800;refresher=proxy").ok());
    EXPECT_FALSE(parse_session_expires("abc").ok());
    auto min = parse_delta_seconds("90");
    ASSERT_TRUE(min.ok());
    EXPECT_EQ(min->value, 90u);
}

TEST(Reliable, RSeqRAck) {
    auto r = parse_rack("776656 1 INVITE");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->rseq, 776656u);
    EXPECT_EQ(r->cseq, 1u);
    EXPECT_EQ(r->method, "INVITE");
    EXPECT_FALSE(parse_rack("776656 INVITE").ok());
    EXPECT_FALSE(parse_rack("1 2 INVITE extra").ok());
}

TEST(Events, EventAndSubscriptionState) {
    auto e = parse_event("dialog;id=1234");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->package, "dialog");
    EXPECT_EQ(e->id(), "1234");
    auto s = parse_subscription_state("terminated;reason=timeout;retry-after=30");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->state, "terminated");
    EXPECT_EQ(s->reason(), "timeout");
    EXPECT_EQ(s->retry_after(), 30u);
    EXPECT_EQ(parse_subscription_state("active;expires=600")->expires(), 600u);
    EXPECT_FALSE(parse_event(";id=1").ok());
}

TEST(Misc, RetryAfterReasonContentTypePrivacy) {
    auto ra = parse_retry_after("18000 (in a (nested) meeting);duration=3600");
    ASSERT_TRUE(ra.ok());
    EXPECT_EQ(ra->delta, 18000u);
    EXPECT_EQ(ra->comment, "(in a (nested) meeting)");
    EXPECT_EQ(ra->duration(), 3600u);
    EXPECT_FALSE(parse_retry_after("10 (unclosed").ok());
    auto rs = parse_reason("Q.850;cause=16;text=\"Terminated\"");
    ASSERT_TRUE(rs.ok());
    EXPECT_EQ(rs->protocol, "Q.850");
    EXPECT_EQ(rs->cause(), 16u);
    EXPECT_EQ(rs->text(), "Terminated");
    auto ct = parse_media_type("multipart/mixed;boundary=\"unique-boundary-1\"");
    ASSERT_TRUE(ct.ok());
    EXPECT_TRUE(ct->is("Multipart", "MIXED"));
    EXPECT_EQ(ct->boundary(), "unique-boundary-1");
    EXPECT_FALSE(parse_media_type("application").ok());
    auto p = parse_privacy("id; header ;user");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[1], "header");
}

TEST(Message, LazyHeadersOfAnEmergencyInvite) {
    std::string msg =
        "INVITE urn:service:sos SIP/2.0\r\nVia: SIP/2.0/TCP 10.1.1.1;branch=z9hG4bKe\r\n"
        "Max-Forwards: 69\r\nFrom: \"Lobby\" <sip:+15551230000@pbx.local>;tag=e1\r\n"
        "To: <urn:service:sos>\r\nCall-ID: e911\r\nCSeq: 1 INVITE\r\n"
        "Route: <sip:sbc.local;lr>, <sip:e911.example.com;lr;transport=tcp>\r\n"
        "Record-Route: <sip:pbx.local;lr>\r\n"
        "P-Asserted-Identity: \"Lobby\" <sip:+15551230000@pbx.local>, <tel:+15551230000>\r\n"
        "P-Preferred-Identity: <sip:lobby@pbx.local>\r\nPrivacy: none\r\n"
        "Geolocation: <cid:target123@pbx.local>;inserted-by=pbx\r\nGeolocation-Routing: yes\r\n"
        "Supported: timer, 100rel\r\nRequire: 100rel\r\nProxy-Require: sec-agree\r\n"
        "Allow: INVITE, ACK, BYE, CANCEL\r\nSession-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\n"
        "Referred-By: <sip:op@pbx.local>\r\nRefer-To: "
        "<sip:x@pbx.local?Replaces=abc%3Bto-tag%3D1>\r\n"
        "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\nRSeq: 5\r\nRAck: 5 1 INVITE\r\n"
        "Event: presence\r\nSubscription-State: active;expires=60\r\nRetry-After: 5\r\n"
        "User-Agent: ZoomPbxPhone 5.1\r\nAuthorization: Digest username=\"u\", realm=\"r\"\r\n"
        "Proxy-Authorization: Digest username=\"p\"\r\nUnsupported: foo\r\n"
        "Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n";
    auto m = parse(msg);
    ASSERT_TRUE(m.ok()) << error_name(m.error().code);
    EXPECT_EQ(m->parse_all(), error_code::none);
    EXPECT_EQ(m->request_uri().opaque, "service:sos");
    ASSERT_EQ(m->routes()->size(), 2u);
    EXPECT_EQ(m->routes()->at(1).uri.transport(), "tcp");
    EXPECT_EQ(m->record_routes()->at(0).uri.host(), "pbx.local");
    ASSERT_EQ(m->p_asserted_identities()->size(), 2u);
    EXPECT_EQ(m->p_asserted_identities()->at(1).uri.scheme, uri_scheme::tel);
    EXPECT_EQ(m->p_preferred_identities()->at(0).uri.user, "lobby");
    EXPECT_EQ(m->privacy()->at(0), "none");
    EXPECT_EQ(m->geolocations()->at(0).uri.scheme_name, "cid");
    EXPECT_EQ(m->require()->at(0), "100rel");
    EXPECT_EQ(m->proxy_require()->at(0), "sec-agree");
    EXPECT_EQ(m->allow()->size(), 4u);
    EXPECT_EQ(m->session_expires()->who, refresher::uac);
    EXPECT_EQ(m->min_se()->value, 90u);
    EXPECT_EQ(m->referred_by()->uri.user, "op");
    EXPECT_EQ(m->refer_to()->uri.headers, "Replaces=abc%3Bto-tag%3D1");
    EXPECT_EQ(m->reasons()->at(0).cause(), 200u);
    EXPECT_EQ(*m->rseq(), 5u);
    EXPECT_EQ(m->rack()->method, "INVITE");
    EXPECT_EQ(m->event()->package, "presence");
    EXPECT_EQ(m->subscription_state()->expires(), 60u);
    EXPECT_EQ(m->retry_after()->delta, 5u);
    EXPECT_EQ(m->user_agent(), "ZoomPbxPhone 5.1");
    EXPECT_EQ(m->authorizations()->at(0).username(), "u");
    EXPECT_EQ(m->proxy_authorizations()->at(0).username(), "p");
    EXPECT_EQ(m->unsupported()->at(0), "foo");
    EXPECT_TRUE(m->www_authenticates().absent());
    EXPECT_TRUE(m->paths().absent());
}

TEST(Message, MalformedLazyHeaderDoesNotFailParse) {
    std::string msg =
        "INVITE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKe\r\n"
        "From: <sip:a@example.com>;tag=e1\r\nTo: <sip:b@example.com>\r\nCall-ID: x\r\n"
        "CSeq: 1 INVITE\r\nMax-Forwards: seventy\r\nRoute: <sip:a@b.com;lr>, garbage<\r\n"
        "Expires: 99999999999999\r\nContent-Length: 0\r\n\r\n";
    auto m = parse(msg);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(m->max_forwards().malformed());
    EXPECT_TRUE(m->routes().malformed());
    // RFC 3261 §20.19: an oversized Expires means the largest value, not an error.
    EXPECT_EQ(*m->expires(), UINT32_MAX);
    EXPECT_EQ(m->parse_all(), error_code::malformed_max_forwards);
}

}  // namespace
}  // namespace sbc::sip
