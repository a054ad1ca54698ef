// Calls through the B2BUA, set up and torn down: softphone -> OSV and OSV -> softphone, with
// topology hiding, media programmed before the answer, 486 and the digest challenge passed
// through, CANCEL, the session limit and refused SDP.

#include <gtest/gtest.h>

#include "tests/controlplane/b2bua/call_harness.hpp"
#include "tests/controlplane/media/media_support.hpp"

namespace sbc::cp::test {
namespace {

using sbc::test::client_offer;
using sbc::test::crypto80;
using sbc::test::osv_sdp;

class calls : public ::testing::Test {
  protected:
    void SetUp() override {}
    void start() { ASSERT_TRUE(f.start()) << f.error; }

    // The phone calls bob; OSV gets the INVITE. Returns OSV's dialog (UAS side).
    peer_dialog phone_calls(peer_dialog& phone_d, const std::string& sdp) {
        f.phone->send(f.phone_invite(phone_d, sdp), f.access_addr);
        EXPECT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
        auto inv = f.osv->last("INVITE");
        if (!inv) {
            return {};
        }
        auto d = peer_dialog::uas(inv->msg(),
                                  "<sip:bob@" + f.osv->address.to_string() + ";transport=tcp>");
        d.via_host = f.osv->address.to_string();
        return d;
    }
    // OSV answers the last INVITE with `code` (and SDP).
    void osv_answers(peer_dialog& d, uint16_t code, const std::string& sdp = {},
                     const std::string& extra = {}) {
        auto inv = f.osv->last("INVITE");
        ASSERT_TRUE(inv.has_value());
        f.osv->respond(inv->txn, d.response(inv->msg(), code, sdp, extra));
    }
    std::optional<sip::message> phone_final() {
        auto r = f.phone->final_response("INVITE");
        if (!r) {
            return std::nullopt;
        }
        return r->msg();
    }

    call_fixture f;
};

TEST_F(calls, softphone_to_osv_with_topology_hiding_media_first_and_bye) {
    start();
    peer_dialog pd;
    auto od = phone_calls(pd, client_offer(crypto80(1, 0x11), "", "RTP/SAVP", "127.0.0.5", 4000));
    const auto inv = f.osv->last("INVITE")->msg();

    // What OSV got: our Call-ID, tag, Via and Contact; the callee's URI; plain RTP from the
    // core media address; nothing of the phone.
    EXPECT_EQ(inv.request_uri_text(), "sip:bob@pbx.local");
    EXPECT_NE(inv.call_id(), pd.call_id);
    EXPECT_NE(inv.from().tag(), pd.local_tag);
    EXPECT_EQ(inv.from().uri_text, "sip:alice@pbx.local");
    EXPECT_EQ(inv.vias()->size(), 1u);
    EXPECT_TRUE(contains(std::string(inv.top_via().sent_by.host), "127.0.0.1"));
    EXPECT_EQ(header(inv, "User-Agent"), "ZoomPbxPhone_Windows 6.0.0");
    EXPECT_FALSE(contains(std::string(inv.data()), "127.0.0.5"));
    EXPECT_FALSE(contains(std::string(inv.data()), pd.call_id));
    EXPECT_TRUE(contains(std::string(inv.body()), "m=audio 50000 RTP/AVP"));
    EXPECT_TRUE(contains(std::string(inv.body()), "c=IN IP4 10.2.1.1"));
    EXPECT_FALSE(contains(std::string(inv.body()), "crypto"));
    auto detail = [&] { return f.b2bua->calls_json()["calls"][0]; };
    EXPECT_EQ(detail()["state"], "calling");
    EXPECT_EQ(detail()["kind"], "from_access");
    // Why it went there: the one OSV node, the phone having no registration.
    EXPECT_EQ(detail()["route"], "OSV node osv1 (selected by the trunk)");

    osv_answers(od, 180);
    ASSERT_TRUE(f.run_until([&] { return f.phone->responses_to("INVITE").size() >= 1; }));
    EXPECT_EQ(detail()["state"], "early") << "a 180 with a tag makes an early dialog";
    osv_answers(od, 200, osv_sdp("sendrecv", "127.0.0.2", 30000),
                "Session-Expires: 1800;refresher=uac\r\nServer: OSV V10 (10.9.9.9)\r\n");
    ASSERT_TRUE(f.run_until([&] { return phone_final().has_value(); }));
    auto ok = *phone_final();
    EXPECT_EQ(ok.status_code(), 200);
    EXPECT_EQ(ok.call_id(), pd.call_id);
    EXPECT_EQ(ok.from().tag(), pd.local_tag);
    EXPECT_FALSE(ok.to().tag().empty());
    EXPECT_EQ(f.flows(), 2u) << "flows are installed when the phone sees the answer";
    EXPECT_TRUE(contains(std::string(ok.body()), "m=audio 40000 RTP/SAVP"));
    EXPECT_TRUE(contains(std::string(ok.body()), "a=crypto:1 AES_CM_128_HMAC_SHA1_80"));
    EXPECT_TRUE(contains(std::string(ok.body()), "c=IN IP4 10.1.1.1"));
    EXPECT_EQ(header(ok, "Session-Expires"), "1800;refresher=uac");
    const std::string phone_saw = f.phone->everything();
    EXPECT_FALSE(contains(phone_saw, "127.0.0.2"));
    EXPECT_FALSE(contains(phone_saw, od.call_id));
    EXPECT_FALSE(contains(phone_saw, od.local_tag));
    // The 180 went through with the phone's identifiers.
    EXPECT_EQ(f.phone->responses_to("INVITE").front().msg().status_code(), 180);
    EXPECT_EQ(detail()["state"], "answered") << "the 2xx is out and waits for its ACK";

    // ACK end to end.
    pd.learn(ok);
    EXPECT_TRUE(contains(pd.remote_target, "127.0.0.1"));
    f.phone->send_raw(pd.request("ACK"), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return !f.osv->acks.empty(); }));
    auto ack = f.osv->acks.back().msg();
    EXPECT_EQ(ack.call_id(), inv.call_id());
    EXPECT_EQ(ack.to().tag(), od.local_tag);
    EXPECT_EQ(ack.cseq().number, inv.cseq().number);
    ASSERT_EQ(f.b2bua->active(), 1u);
    EXPECT_EQ(f.b2bua->calls_json()["calls"][0]["state"], "confirmed");

    // BYE from the phone: answered, relayed with OSV's dialog identifiers, flows removed.
    f.phone->send(pd.request("BYE"), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("BYE").has_value(); }));
    ASSERT_TRUE(f.run_until([&] { return f.flows() == 0; }));
    auto bye = f.osv->last("BYE")->msg();
    EXPECT_EQ(bye.call_id(), inv.call_id());
    EXPECT_EQ(bye.to().tag(), od.local_tag);
    ASSERT_TRUE(f.run_until([&] { return f.phone->final_response("BYE").has_value(); }));
    EXPECT_EQ(f.phone->final_response("BYE")->msg().status_code(), 200);
    EXPECT_EQ(f.b2bua->active(), 0u);
    auto recs = f.records();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0]["final_status"], 200);
    EXPECT_EQ(recs[0]["end_reason"], "bye from caller");
    EXPECT_EQ(recs[0]["from"], "sip:alice@pbx.local");
    EXPECT_EQ(recs[0]["direction"], "access->core");
    EXPECT_EQ(recs[0]["legs"][0]["protocol"], "srtp");
}

TEST_F(calls, osv_to_registered_softphone_down_its_flow) {
    start();
    const std::string token = f.register_phone("bob");
    ASSERT_FALSE(token.empty());
    peer_dialog od;
    f.osv->send(f.osv_invite(od, token, osv_sdp("sendrecv", "127.0.0.2", 30000)), f.core_addr);
    ASSERT_TRUE(f.run_until([&] { return f.phone->last("INVITE").has_value(); }));
    {
        const auto c = f.b2bua->calls_json()["calls"][0];
        EXPECT_EQ(c["kind"], "from_core");
        EXPECT_EQ(c["direction"], "core->access");
        // Why it went there: down the flow the token names.
        EXPECT_TRUE(contains(c["route"].get<std::string>(), "the live flow of sip:bob@pbx.local"))
            << c["route"];
    }
    auto inv = f.phone->last("INVITE")->msg();
    EXPECT_TRUE(contains(std::string(inv.request_uri_text()), "sip:bob@127.0.0.5"));
    EXPECT_EQ(inv.from().uri_text, "sip:1000@pbx.local");
    EXPECT_NE(inv.call_id(), od.call_id);
    EXPECT_FALSE(contains(std::string(inv.data()), "127.0.0.2"));
    EXPECT_TRUE(contains(std::string(inv.body()), "m=audio 40000 RTP/SAVP"));
    EXPECT_TRUE(contains(std::string(inv.body()), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
    // The phone's profile came from its User-Agent (registered as ZoomPbxPhone_Mac).
    auto listing = f.b2bua->calls_json();
    ASSERT_EQ(listing["calls"].size(), 1u);
    EXPECT_EQ(listing["calls"][0]["direction"], "core->access");
    EXPECT_EQ(f.b2bua->calls_json(0)["total"], 1);
    EXPECT_TRUE(f.b2bua->calls_json(0)["rows"].empty()) << "the listing is bounded";

    auto pd = peer_dialog::uas(inv, "<sip:bob@" + f.phone->address.to_string() + ";transport=tcp>");
    pd.via_host = f.phone->address.to_string();
    auto phone_inv = f.phone->last("INVITE");
    f.phone->respond(phone_inv->txn, pd.response(inv, 180));
    f.phone->respond(
        phone_inv->txn,
        pd.response(inv, 200, client_offer(crypto80(1, 0x22), "", "RTP/SAVP", "127.0.0.5", 4002)));
    ASSERT_TRUE(f.run_until([&] { return f.osv->final_response("INVITE").has_value(); }));
    auto ok = f.osv->final_response("INVITE")->msg();
    EXPECT_EQ(ok.status_code(), 200);
    EXPECT_EQ(ok.call_id(), od.call_id);
    EXPECT_TRUE(contains(std::string(ok.body()), "m=audio 50000 RTP/AVP"));
    EXPECT_FALSE(contains(std::string(ok.body()), "crypto"));
    EXPECT_FALSE(contains(f.osv->everything(), "127.0.0.5"));
    EXPECT_EQ(f.flows(), 2u);
    od.learn(ok);
    f.osv->send_raw(od.request("ACK"), f.core_addr);
    ASSERT_TRUE(f.run_until([&] { return !f.phone->acks.empty(); }));

    // BYE from OSV.
    f.osv->send(od.request("BYE"), f.core_addr);
    ASSERT_TRUE(f.run_until([&] { return f.phone->last("BYE").has_value() && f.flows() == 0; }));
    EXPECT_EQ(f.phone->last("BYE")->msg().call_id(), inv.call_id());
    ASSERT_EQ(f.records().size(), 1u);
    EXPECT_EQ(f.records()[0]["end_reason"], "bye from caller");
    EXPECT_EQ(f.records()[0]["direction"], "core->access");
}

TEST_F(calls, busy_here_passes_through_and_nothing_stays) {
    start();
    f.osv->answer_invites_486 = true;
    peer_dialog pd;
    f.phone->send(f.phone_invite(pd, client_offer(crypto80(1, 0x11))), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return phone_final().has_value(); }));
    EXPECT_EQ(phone_final()->status_code(), 486);
    EXPECT_EQ(phone_final()->reason_phrase(), "Busy Here");
    EXPECT_EQ(f.b2bua->active(), 0u);
    EXPECT_EQ(f.flows(), 0u);
    ASSERT_EQ(f.records().size(), 1u);
    EXPECT_EQ(f.records()[0]["final_status"], 486);
    EXPECT_EQ(f.media->active(), 0u);
}

TEST_F(calls, osv_digest_challenge_and_credentials_cross_untouched) {
    start();
    peer_dialog pd;
    auto od = phone_calls(pd, client_offer(crypto80(1, 0x11)));
    const std::string challenge = R"(Digest realm="pbx.local", nonce="abc123", qop="auth")";
    osv_answers(od, 407, {}, "Proxy-Authenticate: " + challenge + "\r\n");
    ASSERT_TRUE(f.run_until([&] { return phone_final().has_value(); }));
    EXPECT_EQ(phone_final()->status_code(), 407);
    EXPECT_EQ(header(*phone_final(), "Proxy-Authenticate"), challenge);
    EXPECT_EQ(f.flows(), 0u);
    // The retry with credentials is a new INVITE; its Proxy-Authorization reaches OSV verbatim.
    const std::string creds =
        R"(Digest username="alice", realm="pbx.local", nonce="abc123", uri="sip:bob@pbx.local", response="00112233445566778899aabbccddeeff", qop=auth, nc=00000001, cnonce="x")";
    ++pd.cseq;
    f.phone->send(f.phone_invite(pd, client_offer(crypto80(1, 0x11)),
                                 "Proxy-Authorization: " + creds + "\r\n"),
                  f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.osv->of("INVITE").size() == 2; }));
    EXPECT_EQ(header(f.osv->last("INVITE")->msg(), "Proxy-Authorization"), creds);
    EXPECT_EQ(f.osv->last("INVITE")->msg().request_uri_text(), "sip:bob@pbx.local");
}

TEST_F(calls, cancel_gives_487_and_cancels_osv) {
    start();
    peer_dialog pd;
    const auto invite_txn =
        f.phone->send(f.phone_invite(pd, client_offer(crypto80(1, 0x11))), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
    auto od = peer_dialog::uas(f.osv->last("INVITE")->msg(), "<sip:bob@127.0.0.2>");
    osv_answers(od, 180);
    ASSERT_TRUE(f.run_until([&] { return !f.phone->responses_to("INVITE").empty(); }));
    ASSERT_TRUE(f.phone->cancel(invite_txn));
    ASSERT_TRUE(f.run_until([&] { return phone_final().has_value(); }));
    EXPECT_EQ(phone_final()->status_code(), 487);
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("CANCEL").has_value(); }));
    ASSERT_TRUE(f.run_until([&] { return f.b2bua->active() == 0; }));
    EXPECT_EQ(f.flows(), 0u);
    ASSERT_EQ(f.records().size(), 1u);
    EXPECT_EQ(f.records()[0]["final_status"], 487);
    EXPECT_EQ(f.records()[0]["end_reason"], "cancel");
}

TEST_F(calls, cancel_crossing_a_200_acks_and_byes_osv) {
    start();
    peer_dialog pd;
    const auto invite_txn =
        f.phone->send(f.phone_invite(pd, client_offer(crypto80(1, 0x11))), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
    auto od = peer_dialog::uas(f.osv->last("INVITE")->msg(), "<sip:bob@127.0.0.2>");
    f.osv->auto_answer = false;  // OSV ignores the CANCEL and answers 200 anyway
    osv_answers(od, 180);
    ASSERT_TRUE(f.run_until([&] { return !f.phone->responses_to("INVITE").empty(); }));
    ASSERT_TRUE(f.phone->cancel(invite_txn));
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("CANCEL").has_value(); }));
    f.osv->respond(f.osv->last("CANCEL")->txn, od.response(f.osv->last("CANCEL")->msg(), 200));
    osv_answers(od, 200, osv_sdp());
    ASSERT_TRUE(f.run_until([&] { return !f.osv->acks.empty() && f.osv->last("BYE"); }));
    EXPECT_EQ(phone_final()->status_code(), 487);
    EXPECT_EQ(f.b2bua->active(), 0u);
    EXPECT_EQ(f.flows(), 0u);
}

TEST_F(calls, session_limit_is_503_with_retry_after) {
    f.cfg.calls.max_sessions = 1;
    f.cfg.calls.retry_after_s = 37;  // from the config, not a constant
    start();
    peer_dialog first;
    phone_calls(first, client_offer(crypto80(1, 0x11)));
    peer_dialog second;
    f.phone->send(f.phone_invite(second, client_offer(crypto80(1, 0x11))), f.access_addr);
    ASSERT_TRUE(f.run_until([&] {
        for (const auto& r : f.phone->responses) {
            auto m = r.msg();
            if (m.call_id() == second.call_id && m.status_code() >= 200) {
                return true;
            }
        }
        return false;
    }));
    auto r = f.phone->responses.back().msg();
    EXPECT_EQ(r.status_code(), 503);
    EXPECT_EQ(header(r, "Retry-After"), "37");
    EXPECT_EQ(f.osv->of("INVITE").size(), 1u);
}

TEST_F(calls, refused_sdp_is_488_with_a_warning_and_reaches_nobody) {
    start();
    peer_dialog pd;
    f.phone->send(
        f.phone_invite(pd, client_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:@@@\r\n")),
        f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return phone_final().has_value(); }));
    EXPECT_EQ(phone_final()->status_code(), 488);
    EXPECT_TRUE(contains(header(*phone_final(), "Warning"), "base64"))
        << header(*phone_final(), "Warning");
    peer_dialog plain;
    f.phone->send(
        f.phone_invite(
            plain, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n"),
        f.access_addr);
    ASSERT_TRUE(f.run_until([&] {
        return f.phone->responses.size() >= 2 &&
               f.phone->responses.back().msg().status_code() >= 400;
    }));
    EXPECT_EQ(f.phone->responses.back().msg().status_code(), 400);
    EXPECT_TRUE(f.osv->of("INVITE").empty());
    EXPECT_EQ(f.flows(), 0u);
    EXPECT_EQ(f.link->client().commands_done(), 0u);
    EXPECT_EQ(f.b2bua->active(), 0u);
    EXPECT_EQ(f.media->active(), 0u);
}

TEST_F(calls, bye_for_an_unknown_dialog_is_481) {
    start();
    peer_dialog pd;
    pd.call_id = "nope@phone";
    pd.local_tag = "t1";
    pd.remote_tag = "t2";
    pd.local_uri = "<sip:alice@pbx.local>";
    pd.remote_uri = "<sip:bob@pbx.local>";
    pd.remote_target = "sip:sbc@127.0.0.1";
    pd.via_host = f.phone->address.to_string();
    f.phone->send(pd.request("BYE"), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.phone->final_response("BYE").has_value(); }));
    EXPECT_EQ(f.phone->final_response("BYE")->msg().status_code(), 481);
    EXPECT_EQ(f.b2bua->counters().unknown_dialog, 1u);
}

}  // namespace
}  // namespace sbc::cp::test
