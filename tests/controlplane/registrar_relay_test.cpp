// The registration relay end to end in one process: a TLS client, sip_service, fake OSV nodes
// (fakes, so a node can challenge, grant short expiries, answer 503 or stay silent on demand).
#include <gtest/gtest.h>

#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

bool contains(const std::string& hay, std::string_view needle) {
    return hay.find(needle) != std::string::npos;
}

std::string header(const sip::message& m, std::string_view name) {
    const auto* h = m.find(name);
    return h == nullptr ? std::string() : std::string(h->value);
}

class Registrar : public ::testing::Test {
  protected:
    sbc_fixture f;
    void start() { ASSERT_TRUE(f.start()) << f.start_error; }
    const binding* only_binding() {
        const binding* found = nullptr;
        std::size_t n = 0;
        f.sbc->bindings().for_each([&](const binding& b) {
            ++n;
            found = &b;
        });
        return n == 1 ? found : nullptr;
    }
};

TEST_F(Registrar, ChallengePassesBackAndCredentialsGoForwardUntouched) {
    start();
    auto c = f.client("127.0.0.5");
    register_params p;
    ASSERT_TRUE(f.register_client(*c, p));
    ASSERT_EQ(f.osv[0]->count("REGISTER"), 2u);

    // The client saw OSV's challenge verbatim, and nothing of OSV's address or Server header.
    auto challenge = c->responses()[0].msg();
    EXPECT_EQ(challenge.status_code(), 401);
    EXPECT_EQ(header(challenge, "WWW-Authenticate"), test_challenge);
    EXPECT_FALSE(contains(c->responses()[0].bytes, "10.9.9.9"));
    EXPECT_FALSE(contains(c->responses()[0].bytes, "127.0.0.2"));

    // OSV got the credentials verbatim and nothing of the client's addresses or Call-ID.
    auto regs = f.osv[0]->of("REGISTER");
    auto second = regs[1].msg();
    EXPECT_EQ(header(second, "Authorization"), test_credentials);
    EXPECT_FALSE(contains(regs[0].bytes, "127.0.0.5"));
    EXPECT_FALSE(contains(regs[1].bytes, "127.0.0.5"));
    EXPECT_FALSE(contains(regs[1].bytes, "c1@client"));
    EXPECT_EQ(second.vias()->size(), 1u);
    ASSERT_TRUE(second.contacts().ok());
    const auto& contact = second.contacts()->front().addr.uri;
    EXPECT_TRUE(binding_table::looks_like_token(contact.user));
    EXPECT_EQ(std::string(contact.host()), "127.0.0.1");
    EXPECT_EQ(contact.port(), f.core.port());
    // Both attempts used one Call-ID and From tag toward OSV, with increasing CSeq.
    auto first = regs[0].msg();
    EXPECT_EQ(first.call_id(), second.call_id());
    EXPECT_EQ(first.from().tag(), second.from().tag());
    EXPECT_LT(first.cseq().number, second.cseq().number);

    // The client's 200 lists its own Contact, not the token.
    auto ok = c->last_response()->msg();
    EXPECT_EQ(ok.status_code(), 200);
    ASSERT_TRUE(ok.contacts().ok());
    EXPECT_EQ(ok.contacts()->front().addr.uri_text, "sip:alice@127.0.0.5:5061;transport=tls");
    EXPECT_FALSE(contains(c->last_response()->bytes, std::string(contact.user)));

    const binding* b = only_binding();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->aor, "sip:alice@pbx.local");
    EXPECT_EQ(b->remote.ip(), "127.0.0.5");
    EXPECT_EQ(b->token, contact.user);
    EXPECT_EQ(f.osv[0]->location.count(std::string(second.contacts()->front().addr.uri_text)), 1u);

    auto table = f.sbc->registrar().registrations_table({});
    ASSERT_EQ(table["rows"].size(), 1u);
    EXPECT_EQ(table["rows"][0][0], "sip:alice@pbx.local");
    EXPECT_TRUE(contains(table["rows"][0][1].get<std::string>(), "127.0.0.5"));
    EXPECT_EQ(table["rows"][0][6], "osv1");
}

TEST_F(Registrar, ThrottledRefreshesAreAnsweredLocallyUntilOsvIsDue) {
    start();
    f.osv[0]->max_expires = 6;  // OSV's pace: a refresh every 3 s (half of 6)
    auto c = f.client("127.0.0.5");
    register_params p;
    p.expires = "30";
    ASSERT_TRUE(f.register_client(*c, p));
    auto regs = f.osv[0]->of("REGISTER");
    // Throttled: OSV is asked for 2 x throttle_refresh_s (120), the client asked for 30.
    EXPECT_EQ(header(regs.back().msg(), "Expires"), "120");
    EXPECT_EQ(c->last_response()->msg().contacts()->front().expires(), 6u);
    ASSERT_TRUE(only_binding()->throttled);

    p.cseq = 10;
    p.credentials = true;
    for (int i = 0; i < 5; ++i) {
        ++p.cseq;
        const auto before = c->response_count();
        c->send(sip::transport_type::tls, f.access_tls, make_register(*c, p));
        ASSERT_TRUE(f.run_until([&] { return c->response_count() > before; }));
        auto r = c->last_response()->msg();
        EXPECT_EQ(r.status_code(), 200);
        // Never beyond OSV's expiry minus the guard (a quarter of it).
        EXPECT_LE(*r.contacts()->front().expires(), 4u);
    }
    EXPECT_EQ(f.osv[0]->count("REGISTER"), 2u);
    EXPECT_EQ(f.sbc->registrar().counters().answered_locally, 5u);

    // Past half of OSV's expiry the next refresh goes to OSV (the client is still registered:
    // it was granted 4 s).
    f.run_for(3100ms);
    ASSERT_EQ(f.sbc->bindings().active(), 1u);
    ++p.cseq;
    const auto before = c->response_count();
    c->send(sip::transport_type::tls, f.access_tls, make_register(*c, p));
    ASSERT_TRUE(f.run_until([&] { return c->response_count() > before; }));
    EXPECT_EQ(c->last_response()->msg().status_code(), 200);
    EXPECT_EQ(f.osv[0]->count("REGISTER"), 3u);
}

TEST_F(Registrar, BypassUserAgentIsRelayedEveryTimeAndExpiryIsCapped) {
    f.cfg.remote_subscribers.max_registration_expiry_s = 600;
    start();
    f.osv[0]->max_expires = 100000;
    auto c = f.client("127.0.0.6");
    register_params p;
    p.user_agent = "ZoomPbxPhone_Android_Phone/6.1.0";
    p.expires = "2678400";
    p.contact_params = ";pn-provider=fcm;pn-prid=abc123";
    ASSERT_TRUE(f.register_client(*c, p));
    EXPECT_EQ(header(f.osv[0]->of("REGISTER").back().msg(), "Expires"), "600");
    EXPECT_EQ(c->last_response()->msg().contacts()->front().expires(), 600u);
    const binding* b = only_binding();
    ASSERT_NE(b, nullptr);
    EXPECT_FALSE(b->throttled);
    EXPECT_EQ(b->push.provider(), "fcm");
    EXPECT_EQ(b->push.prid(), "abc123");
    // Push parameters are the SBC's business, not OSV's.
    EXPECT_FALSE(contains(f.osv[0]->of("REGISTER").back().bytes, "pn-prid"));

    p.cseq = 10;
    p.credentials = true;
    for (int i = 0; i < 3; ++i) {
        ++p.cseq;
        const auto before = c->response_count();
        c->send(sip::transport_type::tls, f.access_tls, make_register(*c, p));
        ASSERT_TRUE(f.run_until([&] { return c->response_count() > before; }));
        EXPECT_EQ(c->last_response()->msg().status_code(), 200);
    }
    EXPECT_EQ(f.osv[0]->count("REGISTER"), 5u);
    EXPECT_EQ(f.sbc->registrar().counters().answered_locally, 0u);
}

TEST_F(Registrar, DeregistrationRemovesTheBindingHereAndAtOsv) {
    start();
    auto c = f.client("127.0.0.5");
    register_params p;
    ASSERT_TRUE(f.register_client(*c, p));
    ASSERT_EQ(f.osv[0]->location.size(), 1u);
    p.cseq = 5;
    p.credentials = true;
    p.expires = "0";
    const auto before = c->response_count();
    c->send(sip::transport_type::tls, f.access_tls, make_register(*c, p));
    ASSERT_TRUE(f.run_until([&] { return c->response_count() > before; }));
    EXPECT_EQ(c->last_response()->msg().status_code(), 200);
    EXPECT_EQ(f.sbc->bindings().size(), 0u);
    EXPECT_TRUE(f.osv[0]->location.empty());
    EXPECT_EQ(f.sbc->registrar().counters().unbound, 1u);
}

TEST_F(Registrar, StarDeregistersEveryBindingOfTheAor) {
    start();
    auto desktop = f.client("127.0.0.5");
    auto mobile = f.client("127.0.0.6");
    register_params p;
    p.contact_params = ";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-00000000000a>\"";
    ASSERT_TRUE(f.register_client(*desktop, p));
    register_params q;
    q.call_id = "c2@mobile";
    q.contact_params =
        ";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-00000000000b>\";reg-id=1";
    ASSERT_TRUE(f.register_client(*mobile, q));
    EXPECT_EQ(f.sbc->bindings().active(), 2u);
    EXPECT_EQ(f.osv[0]->location.size(), 2u);
    // The mobile's 200 lists both of the user's clients.
    EXPECT_EQ(mobile->last_response()->msg().contacts()->size(), 2u);

    register_params s;
    s.call_id = "c3@desktop";
    s.contact = "*";
    s.expires = "0";
    s.credentials = true;
    std::string star = make_register(*desktop, s);
    star.replace(star.find("<*>"), 3, "*");
    const auto before = desktop->response_count();
    desktop->send(sip::transport_type::tls, f.access_tls, star);
    ASSERT_TRUE(f.run_until([&] { return desktop->response_count() > before; }));
    EXPECT_EQ(desktop->last_response()->msg().status_code(), 200);
    EXPECT_EQ(f.sbc->bindings().size(), 0u);
    EXPECT_TRUE(f.osv[0]->location.empty());
}

// RFC 8599 §5.6.1.2: pn-provider without pn-prid asks which push services the network
// supports; the 2xx names them in Feature-Caps and no device is stored.
TEST_F(Registrar, APushQueryIsAnsweredWithTheServicesThisSbcPushesThrough) {
    f.cfg.push.enable = true;
    f.cfg.push.providers = {"apns", "fcm"};
    start();
    struct query_case {
        const char* who;
        const char* params;
        const char* caps;
    };
    int n = 0;
    std::vector<decltype(f.client(""))> clients;  // kept connected: a closed flow unbinds
    for (const query_case& q : {query_case{"any service", ";pn-provider", R"(*;+sip.pns="apns,fcm")"},
                                query_case{"one service", ";pn-provider=fcm", R"(*;+sip.pns="fcm")"},
                                query_case{"no push at all", "", ""}}) {
        SCOPED_TRACE(q.who);
        auto& c = clients.emplace_back(f.client("127.0.0." + std::to_string(5 + n)));
        register_params p;
        p.user = "user" + std::to_string(n);
        p.call_id = "query" + std::to_string(n++) + "@h";
        p.contact_params = q.params;
        ASSERT_TRUE(f.register_client(*c, p));
        const auto ok = c->last_response()->msg();
        EXPECT_EQ(ok.status_code(), 200);
        EXPECT_EQ(header(ok, "Feature-Caps"), q.caps);
        EXPECT_FALSE(contains(f.osv[0]->of("REGISTER").back().bytes, "pn-provider"));
    }
    EXPECT_EQ(f.sbc->bindings().size(), 3u);
    f.sbc->bindings().for_each([](const binding& b) {
        EXPECT_FALSE(b.has_push()) << b.aor << ": a query requests no pushes";
    });
}

TEST_F(Registrar, ClosedConnectionUnbindsAtOsvButPushBindingsStay) {
    start();
    auto plain = f.client("127.0.0.5");
    auto mobile = f.client("127.0.0.6");
    register_params p;
    ASSERT_TRUE(f.register_client(*plain, p));
    register_params q;
    q.user = "bob";
    q.call_id = "c2@mobile";
    q.user_agent = "ZoomPbxPhone_IOS_Phone/6.0";
    q.contact_params = ";pn-provider=apns;pn-prid=tok";
    ASSERT_TRUE(f.register_client(*mobile, q));
    const auto regs = f.osv[0]->count("REGISTER");

    plain->close_all();
    mobile->close_all();
    ASSERT_TRUE(f.run_until([&] { return f.osv[0]->count("REGISTER") == regs + 1; }));
    f.run_for(200ms);
    // OSV was told about the plain client, with the client's last credentials.
    auto unreg = f.osv[0]->of("REGISTER").back().msg();
    EXPECT_EQ(header(unreg, "Expires"), "0");
    EXPECT_EQ(header(unreg, "Authorization"), test_credentials);
    EXPECT_EQ(f.osv[0]->location.size(), 1u);
    ASSERT_EQ(f.sbc->bindings().active(), 1u);
    const binding* b = only_binding();
    EXPECT_EQ(b->aor, "sip:bob@pbx.local");
    EXPECT_FALSE(b->live_flow());
    EXPECT_EQ(f.sbc->registrar().counters().flow_closed, 1u);
    EXPECT_EQ(f.sbc->registrar().counters().flow_detached, 1u);
    EXPECT_EQ(f.sbc->registrar().counters().osv_unbind_accepted, 1u);
}

TEST_F(Registrar, ExpiredBindingIsRemovedAndOsvToldWhenItStillHoldsIt) {
    start();
    auto c = f.client("127.0.0.5");
    register_params p;
    p.expires = "2";
    ASSERT_TRUE(f.register_client(*c, p));
    ASSERT_EQ(f.sbc->bindings().active(), 1u);
    ASSERT_TRUE(f.run_until([&] { return f.sbc->bindings().size() == 0; }, 4s));
    EXPECT_EQ(f.sbc->registrar().counters().expired, 1u);
    // Throttled: OSV held it for 120 s, so it was told.
    ASSERT_TRUE(f.run_until([&] { return f.osv[0]->location.empty(); }));
}

TEST_F(Registrar, OsvAnswering503GivesTheClient503WithRetryAfterAndNoBinding) {
    start();
    f.osv[0]->registers = fake_osv::mode::unavailable;
    auto c = f.client("127.0.0.5");
    register_params p;
    EXPECT_FALSE(f.register_client(*c, p));
    auto r = c->last_response()->msg();
    EXPECT_EQ(r.status_code(), 503);
    ASSERT_TRUE(r.retry_after().ok());
    EXPECT_GE(r.retry_after()->delta, 5u);
    EXPECT_EQ(f.sbc->bindings().size(), 0u);
    // One client's 503 is no evidence against the node (its OPTIONS are answered).
    EXPECT_EQ(f.sbc->trunk().node(0).health, node_health::up);
    EXPECT_EQ(f.sbc->registrar().counters().osv_unavailable, 1u);

    // The next REGISTER is relayed again, and answered 503 again.
    const auto relayed = f.osv[0]->count("REGISTER");
    p.cseq = 2;
    const auto before = c->response_count();
    c->send(sip::transport_type::tls, f.access_tls, make_register(*c, p));
    ASSERT_TRUE(f.run_until([&] { return c->response_count() > before; }));
    EXPECT_EQ(c->last_response()->msg().status_code(), 503);
    EXPECT_EQ(f.osv[0]->count("REGISTER"), relayed + 1);
    EXPECT_EQ(f.sbc->bindings().size(), 0u);
}

TEST_F(Registrar, UnreachableOsvGives503) {
    f.cfg.sip.t1_ms = 50;  // the relay gives OSV 8 x T1 = 0.4 s, the client waits 64 x T1
    start();
    f.osv[0]->registers = fake_osv::mode::silent;
    auto c = f.client("127.0.0.5");
    register_params p;
    c->send(sip::transport_type::tls, f.access_tls, make_register(*c, p));
    // Before the client's own transaction gives up (Timer F, 3.2 s here).
    ASSERT_TRUE(f.run_until([&] { return c->response_count() > 0; }, 3s));
    EXPECT_EQ(c->last_response()->msg().status_code(), 503);
    EXPECT_EQ(f.sbc->bindings().size(), 0u);
    EXPECT_EQ(f.sbc->trunk().node(0).health, node_health::up);  // its OPTIONS are answered

    // A node whose port refuses connections: a transport failure, answered at once.
    sbc_fixture g;
    ASSERT_TRUE(g.start()) << g.start_error;
    g.osv.clear();  // closes its listeners
    auto d = g.client("127.0.0.5");
    d->send(sip::transport_type::tls, g.access_tls, make_register(*d, p));
    ASSERT_TRUE(g.run_until([&] { return d->response_count() > 0; }, 3s));
    EXPECT_EQ(d->last_response()->msg().status_code(), 503);
    EXPECT_EQ(g.sbc->bindings().size(), 0u);
}

TEST_F(Registrar, BadRegistersGetPreciseAnswersAndNothingIsStored) {
    f.cfg.remote_subscribers.subnets[0].cidr = "127.0.0.0/29";  // .0 - .7
    start();
    auto c = f.client("127.0.0.5");
    struct bad {
        std::string name;
        register_params p;
        std::uint16_t code;
        std::string reason_part;
    };
    std::vector<bad> cases;
    {
        register_params p;
        p.expires = "99999999999";
        cases.push_back({"absurd expiry", p, 400, "absurd Expires"});
    }
    {
        register_params p;
        p.expires = std::nullopt;
        p.contact_params = ";expires=soon";
        cases.push_back({"bad contact expires", p, 400, "malformed Contact"});
    }
    {
        register_params p;
        // 500 contacts: 100 Contact lines of 5 (under max_headers and max_line_bytes).
        std::string many;
        for (int line = 0; line < 10; ++line) {
            many += "Contact: ";
            for (int i = 0; i < 5; ++i) {
                many += (i ? ", " : "") + std::string("<sip:a") + std::to_string(line * 5 + i) +
                        "@10.0.0.1>";
            }
            many += "\r\n";
        }
        p.extra = many;
        cases.push_back({"50 contacts", p, 400, "more than one Contact"});
    }
    {
        register_params p;
        p.contact = "mailto:alice@example.com";
        cases.push_back({"non-SIP contact", p, 400, "not a SIP URI"});
    }
    {
        register_params p;
        p.extra = "Require: gruu, outbound\r\n";
        cases.push_back({"unsupported extension", p, 420, "Extension"});
    }
    {
        register_params p;
        p.contact_params = ";pn-provider=apns;pn-prid=a%0D%0Ab";  // CR LF hidden in an escape
        cases.push_back({"malformed pn-prid", p, 400, "pn-* push parameters"});
    }
    {
        register_params p;
        p.contact_params = ";pn-provider;pn-prid=abc";  // a device, but no service to push by
        cases.push_back({"pn-prid with an empty pn-provider", p, 400, "pn-* push parameters"});
    }
    {
        register_params p;
        p.contact_params = ";pn-provider=webpush;pn-prid=abc";
        cases.push_back({"push service not used here", p, 555, "Push Notification Service"});
    }
    std::uint32_t cseq = 1;
    for (auto& k : cases) {
        SCOPED_TRACE(k.name);
        k.p.cseq = cseq++;
        k.p.call_id = "bad-" + std::to_string(cseq) + "@client";
        const auto before = c->response_count();
        ASSERT_TRUE(c->send(sip::transport_type::tls, f.access_tls, make_register(*c, k.p)));
        ASSERT_TRUE(f.run_until([&] { return c->response_count() > before; }));
        auto r = c->last_response()->msg();
        EXPECT_EQ(r.status_code(), k.code);
        EXPECT_TRUE(contains(std::string(r.reason_phrase()), k.reason_part)) << r.reason_phrase();
        if (k.code == 420) {
            EXPECT_EQ(header(r, "Unsupported"), "gruu");
        }
        if (contains(k.name, "pn") || k.code == 555) {
            EXPECT_TRUE(contains(header(r, "Warning"), "399 sbc \"pn-")) << header(r, "Warning");
        }
    }
    // Missing mandatory headers: the transport's parser rejects them before the registrar sees
    // them. Without Call-ID (or From, To, CSeq) no response could be matched by the client, so
    // the transport counts and drops them (sip/message.cpp: response_possible); the
    // connection stays usable.
    for (std::string_view missing : {"Call-ID", "CSeq", "From", "To"}) {
        SCOPED_TRACE(missing);
        register_params p;
        p.cseq = cseq++;
        std::string text = make_register(*c, p);
        const auto at = text.find(std::string("\r\n") + std::string(missing) + ":");
        ASSERT_NE(at, std::string::npos);
        text.erase(at, text.find("\r\n", at + 2) - at);
        const auto dropped = f.sbc->access().transports().counters().malformed_requests;
        ASSERT_TRUE(c->send(sip::transport_type::tls, f.access_tls, text));
        ASSERT_TRUE(f.run_until(
            [&] { return f.sbc->access().transports().counters().malformed_requests > dropped; }));
    }
    register_params valid_after;
    valid_after.cseq = cseq++;
    valid_after.expires = "0";
    const auto before_valid = c->response_count();
    c->send(sip::transport_type::tls, f.access_tls, make_register(*c, valid_after));
    ASSERT_TRUE(f.run_until([&] { return c->response_count() > before_valid; }));
    EXPECT_EQ(c->last_response()->msg().status_code(), 200);  // nothing to remove: 200

    // A source outside every subnet.
    auto outsider = f.client("127.0.0.9");
    register_params p;
    outsider->send(sip::transport_type::tls, f.access_tls, make_register(*outsider, p));
    ASSERT_TRUE(f.run_until([&] { return outsider->response_count() > 0; }));
    EXPECT_EQ(outsider->last_response()->msg().status_code(), 403);
    EXPECT_EQ(f.sbc->dispatcher().refusals(dispatch_refusal::source_not_subscriber), 1u);

    EXPECT_EQ(f.osv[0]->count("REGISTER"), 0u);
    EXPECT_EQ(f.sbc->bindings().size(), 0u);
    const auto& cnt = f.sbc->registrar().counters();
    EXPECT_EQ(cnt.refused, cases.size());
    EXPECT_EQ(cnt.refusals[static_cast<std::size_t>(register_refusal::absurd_expires)], 1u);
    EXPECT_EQ(cnt.refusals[static_cast<std::size_t>(register_refusal::bad_contact)], 1u);
    EXPECT_EQ(cnt.refusals[static_cast<std::size_t>(register_refusal::too_many_contacts)], 1u);
    EXPECT_EQ(cnt.refusals[static_cast<std::size_t>(register_refusal::bad_push)], 2u);
    EXPECT_EQ(cnt.refusals[static_cast<std::size_t>(register_refusal::push_not_supported)], 1u);
    EXPECT_EQ(f.sbc->access().transports().counters().malformed_requests, 4u);
}

TEST(RegistrarTls, TheCertificatePresentedFollowsTheClientsSubnet) {
    sbc_fixture f;
    const auto narrow = f.pki->add_leaf("narrow-cert", "ca", {"sbc.local"}, {"127.0.0.1"});
    config::certificate_profile p = f.cfg.certificate_profiles[0];
    p.name = "narrow";
    p.certificate = narrow.cert;
    p.private_key = narrow.key;
    f.cfg.certificate_profiles.push_back(p);
    f.cfg.remote_subscribers.subnets.push_back({"127.0.0.8/29", "narrow", "SRTP_SDES"});
    ASSERT_TRUE(f.start()) << f.start_error;
    auto wide = f.client("127.0.0.5");
    auto inner = f.client("127.0.0.9");
    register_params r;
    ASSERT_TRUE(f.register_client(*wide, r));
    r.user = "bob";
    r.call_id = "bob@inner";
    ASSERT_TRUE(f.register_client(*inner, r));
    EXPECT_NE(wide->last_response()->tls_subject.find("CN=sbc"), std::string::npos)
        << wide->last_response()->tls_subject;
    EXPECT_NE(inner->last_response()->tls_subject.find("CN=narrow-cert"), std::string::npos)
        << inner->last_response()->tls_subject;
    // The binding keeps its subnet (the B2BUA takes the media profile from it).
    f.sbc->bindings().for_each([](const binding& b) {
        ASSERT_NE(b.subnet, nullptr);
        EXPECT_EQ(b.subnet->cidr, b.aor == "sip:bob@pbx.local" ? "127.0.0.8/29" : "127.0.0.0/8");
    });
}

TEST_F(Registrar, OutOfOrderCSeqIsRefused) {
    start();
    auto c = f.client("127.0.0.5");
    register_params p;
    p.cseq = 10;
    ASSERT_TRUE(f.register_client(*c, p));
    p.cseq = 5;
    p.credentials = true;
    const auto before = c->response_count();
    c->send(sip::transport_type::tls, f.access_tls, make_register(*c, p));
    ASSERT_TRUE(f.run_until([&] { return c->response_count() > before; }));
    EXPECT_EQ(c->last_response()->msg().status_code(), 400);
    EXPECT_EQ(f.osv[0]->count("REGISTER"), 2u);
}

}  // namespace
}  // namespace sbc::cp::test
