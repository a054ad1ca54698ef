// Requests from OSV to registered clients, routed by the flow token down the client's TLS
// connection, and what the dispatcher refuses on both realms.
#include <gtest/gtest.h>

#include "sip/ids.hpp"
#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

bool contains(const std::string& hay, std::string_view needle) {
    return hay.find(needle) != std::string::npos;
}

class ClientRelay : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(f.start()) << f.start_error;
        c = f.client("127.0.0.5");
        ASSERT_TRUE(f.register_client(*c, {}));
        ASSERT_EQ(f.osv[0]->location.size(), 1u);
        token_contact = f.osv[0]->location.begin()->first;
    }

    std::string request(std::string_view method, const std::string& ruri,
                        std::string_view extra = {}, const std::string& via_host = "127.0.0.2") {
        std::string m = std::string(method) + " " + ruri + " SIP/2.0\r\n";
        m += "Via: SIP/2.0/TCP " + via_host + ":5060;branch=" + sip::make_branch() + "\r\n";
        m += "Via: SIP/2.0/TCP 192.0.2.77:5060;branch=z9hG4bKupstream;received=192.0.2.77\r\n";
        m += "Record-Route: <sip:" + via_host + ";lr>\r\n";
        m += "Max-Forwards: 69\r\n";
        m += "From: <sip:bob@pbx.local>;tag=osvtag\r\n";
        m += "To: <sip:alice@pbx.local>\r\n";
        m += "Call-ID: osv-call-" + std::string(method) + "@192.0.2.77\r\n";
        m += "CSeq: 1 " + std::string(method) + "\r\n";
        m += "Contact: <sip:bob@192.0.2.77:5060;transport=tcp>\r\n";
        m += extra;
        m += "Content-Length: 0\r\n\r\n";
        return m;
    }

    std::optional<received> osv_final() { return f.osv[0]->final_response(); }

    sbc_fixture f;
    std::unique_ptr<sip_client> c;
    std::string token_contact;
};

TEST_F(ClientRelay, NotifyGoesDownTheClientsTlsConnectionWithTopologyHidden) {
    f.osv[0]->send(request("NOTIFY", "sip:" + token_contact.substr(4),
                           "Event: message-summary\r\nSubscription-State: active\r\n"),
                   f.core);
    ASSERT_TRUE(f.run_until([&] { return !c->requests().empty() && osv_final(); }));
    const received got = c->requests().front();
    auto notify = got.msg();
    EXPECT_EQ(notify.method(), "NOTIFY");
    EXPECT_EQ(got.ctx.connection, c->connection);  // its registered flow
    EXPECT_EQ(got.ctx.type, sip::transport_type::tls);
    EXPECT_EQ(notify.request_uri_text(), "sip:alice@127.0.0.5:5061;transport=tls");
    EXPECT_EQ(notify.vias()->size(), 1u);
    EXPECT_FALSE(contains(got.bytes, "127.0.0.2"));
    EXPECT_FALSE(contains(got.bytes, "192.0.2.77;lr"));
    EXPECT_FALSE(contains(got.bytes, "Record-Route"));
    EXPECT_EQ(*notify.max_forwards(), 68u);

    const received answer = *osv_final();
    auto ok = answer.msg();
    EXPECT_EQ(ok.status_code(), 200);
    EXPECT_EQ(ok.vias()->size(), 2u);  // OSV's own Via stack, restored
    EXPECT_FALSE(contains(answer.bytes, "127.0.0.5"));
}

TEST_F(ClientRelay, InviteRingsTheClientAndCancelEndsIt) {
    c->answer_code = 180;
    f.osv[0]->send(request("INVITE", "sip:" + token_contact.substr(4)), f.core);
    ASSERT_TRUE(f.run_until([&] { return !f.osv[0]->responses.empty(); }));
    const received ringing = f.osv[0]->responses.back();
    EXPECT_EQ(ringing.msg().status_code(), 180);
    // The client's Contact is replaced by the token Contact.
    EXPECT_FALSE(contains(ringing.bytes, "127.0.0.5"));
    EXPECT_TRUE(contains(ringing.bytes, token_contact.substr(4, 24)));

    ASSERT_TRUE(f.osv[0]->cancel_last());
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->msg().status_code(), 487);
    bool cancel_seen = false;
    for (const auto& r : c->requests()) {
        cancel_seen |= r.msg().method() == "CANCEL";
    }
    EXPECT_TRUE(cancel_seen);
    EXPECT_EQ(f.sbc->clients().in_flight(), 0u);
}

TEST_F(ClientRelay, UnknownTokenIs404AndAPushClientWithoutFlowIs480) {
    f.osv[0]->send(request("OPTIONS", "sip:sbcfAAAAAAAAAAAAAAAAAAAA@127.0.0.1"), f.core);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->msg().status_code(), 404);
    EXPECT_EQ(f.sbc->dispatcher().refusals(dispatch_refusal::unknown_flow_token), 1u);

    auto mobile = f.client("127.0.0.6");
    register_params p;
    p.user = "bob";
    p.call_id = "bob@mobile";
    p.contact_params = ";pn-provider=apns;pn-prid=dev1";
    ASSERT_TRUE(f.register_client(*mobile, p));
    std::string bob_contact;
    for (const auto& [uri, e] : f.osv[0]->location) {
        if (uri != token_contact) {
            bob_contact = uri;
        }
    }
    mobile->close_all();
    ASSERT_TRUE(f.run_until([&] { return f.sbc->registrar().counters().flow_detached == 1; }));
    f.osv[0]->responses.clear();
    f.osv[0]->send(request("INVITE", "sip:" + bob_contact.substr(4)), f.core);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->msg().status_code(), 480);
}

TEST_F(ClientRelay, CoreRequestsFromOutsideTheTrunkAreRefused) {
    fake_osv stranger(f.loop, "127.0.0.9");
    stranger.send(request("INVITE", "sip:" + token_contact.substr(4), {}, "127.0.0.9"), f.core);
    ASSERT_TRUE(f.run_until([&] {
        for (auto& r : stranger.responses) {
            if (r.msg().status_code() >= 200) {
                return true;
            }
        }
        return false;
    }));
    EXPECT_EQ(stranger.responses.back().msg().status_code(), 403);
    EXPECT_TRUE(c->requests().empty());
    EXPECT_EQ(f.sbc->dispatcher().refusals(dispatch_refusal::source_not_sip_server), 1u);
}

TEST_F(ClientRelay, OptionsToTheSbcAreAnsweredAndUnroutedMethodsGet405) {
    f.osv[0]->send(request("OPTIONS", "sip:127.0.0.1"), f.core);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->msg().status_code(), 200);

    // An INVITE from a client has no handler until the B2BUA exists: 405 with Allow.
    std::string invite = request("INVITE", "sip:bob@pbx.local", {}, "127.0.0.5");
    c->send(sip::transport_type::tls, f.access_tls, invite);
    ASSERT_TRUE(f.run_until([&] {
        for (auto& r : c->responses()) {
            if (r.msg().status_code() == 405) {
                return true;
            }
        }
        return false;
    }));
    auto r = c->last_response()->msg();
    ASSERT_NE(r.find("Allow"), nullptr);
    EXPECT_TRUE(contains(std::string(r.find("Allow")->value), "REGISTER"));
    // A request in a dialog nobody knows: 481.
    std::string bye = request("BYE", "sip:bob@pbx.local", {}, "127.0.0.5");
    bye.replace(bye.find("To: <sip:alice@pbx.local>"), 25, "To: <sip:alice@pbx.local>;tag=x");
    c->send(sip::transport_type::tls, f.access_tls, bye);
    ASSERT_TRUE(f.run_until([&] { return c->last_response()->msg().status_code() == 481; }));
}

}  // namespace
}  // namespace sbc::cp::test
