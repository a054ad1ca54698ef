// A call held for a push (guide 7.6, RFC 8599 §5.6.2), with its real neighbours: the B2BUA,
// sip_service and a live dataplane (call_harness), and CloudLink as sbcd runs it (curl worker,
// http_api, link_client, push_sender) against the stand-in over real HTTPS (link_rig). The
// mobile client is a scripted SIP peer: it registers with pn-* parameters, its connection
// closes (the app sleeps), and a new peer re-registers with the same instance (the app woke).

#include <gtest/gtest.h>

#include "link_rig.hpp"
#include "sip/ids.hpp"
#include "tests/controlplane/b2bua/call_harness.hpp"
#include "tests/controlplane/media/media_support.hpp"

namespace sbc::cp::test {
namespace {

using namespace std::chrono_literals;
using sbc::test::client_offer;
using sbc::test::crypto80;
using sbc::test::osv_sdp;

constexpr const char* instance_id = "\"<urn:uuid:7d3c0f5e-4a56-4c1e-9a3b-1f0e2d3c4b5a>\"";

struct push_call : ::testing::Test {
    call_fixture f;
    std::unique_ptr<cloudlink::test::link_rig> cloud;

    // Push enabled; CloudLink linked to the stand-in unless `link` is false (not linked: every
    // push fails at once).
    void start(bool link = true, std::chrono::milliseconds wait = 20s) {
        f.cfg.push.enable = true;
        f.cfg.push.providers = {"apns", "fcm"};
        ASSERT_TRUE(f.start()) << f.error;
        f.b2bua->push_invite_wait = wait;
        // The OSV node has answered its first probe before any REGISTER is relayed to it.
        ASSERT_TRUE(
            f.run_until([&] { return f.sip->trunk().node(0).health == node_health::up; }, 10s));
        cloud = std::make_unique<cloudlink::test::link_rig>(&f.loop, "cloud");
        ASSERT_TRUE(cloud->server.ok());
        cloud->start();
        if (link) {
            ASSERT_TRUE(cloud->link_with("admin", "secret"));
            ASSERT_EQ(cloud->attempt_result(), "ok");
        }
        f.b2bua->use_push(*cloud->push);
    }

    // A REGISTER from `phone` with RFC 8599 parameters `pn` and our instance (RFC 5626), so the
    // woken app's new connection refreshes the same binding. Returns the final response.
    std::optional<sip::message> register_mobile(sip_peer& phone, const std::string& pn) {
        f.osv->answer_register = true;
        const std::string host = phone.address.to_string();
        std::string m = "REGISTER sip:pbx.local SIP/2.0\r\n";
        m += "Via: SIP/2.0/TCP " + host + ";branch=" + sip::make_branch() + "\r\n";
        m += "Max-Forwards: 70\r\n";
        m += "From: <sip:bob@pbx.local>;tag=" + sip::make_tag() + "\r\n";
        m += "To: <sip:bob@pbx.local>\r\n";
        m += "Call-ID: " + sip::make_call_id("reg") + "\r\n";
        m += "CSeq: 1 REGISTER\r\n";
        m += "Contact: <sip:bob@" + host + ";transport=tcp" + pn +
             ">;+sip.instance=" + instance_id + ";reg-id=1\r\n";
        m += "Expires: 600\r\n";
        m += "User-Agent: ZoomPbxPhone_iOS 6.0.0\r\n";
        m += "Content-Length: 0\r\n\r\n";
        const size_t before = phone.responses.size();
        phone.send(m, f.access_addr);
        if (!f.run_until(
                [&] {
                    return phone.responses.size() > before &&
                           phone.responses.back().msg().status_code() >= 200;
                },
                10s)) {
            return std::nullopt;
        }
        return phone.responses.back().msg();
    }

    // The token Contact OSV learned for the mobile binding of `prid`.
    std::string register_then_sleep(const std::string& prid) {
        auto ok = register_mobile(
            *f.phone, ";pn-provider=apns;pn-prid=" + prid + ";pn-param=ABCDE.us.zoom.voip");
        EXPECT_TRUE(ok && ok->status_code() == 200);
        auto reg = f.osv->last("REGISTER");
        if (!ok || ok->status_code() != 200 || !reg) {
            return {};
        }
        const std::string token(reg->msg().contacts()->front().addr.uri_text);
        f.phone.reset();  // the app sleeps: its connection closes, the binding stays (push)
        EXPECT_TRUE(f.run_until([&] { return f.sip->registrar().counters().flow_detached == 1; }));
        return token;
    }

    // OSV calls the sleeping client of `prid`; the final response OSV got within 10 s, half
    // the 20 s wait: an answer then is a prompt one, not the wait run out.
    std::optional<sip::message> call_sleeping(const std::string& prid) {
        const std::string token = register_then_sleep(prid);
        if (token.empty()) {
            return std::nullopt;
        }
        peer_dialog od;
        f.osv->send(f.osv_invite(od, token, osv_sdp("sendrecv", "127.0.0.2", 30000)), f.core_addr);
        f.run_until([&] { return osv_final().has_value(); }, 10s);
        return osv_final();
    }

    std::optional<sip::message> osv_final() {
        auto r = f.osv->final_response("INVITE");
        return r ? std::optional(r->msg()) : std::nullopt;
    }
    bool osv_got(uint16_t code) {
        for (const auto& r : f.osv->responses_to("INVITE")) {
            if (r.msg().status_code() == code) {
                return true;
            }
        }
        return false;
    }
};

TEST_F(push_call, a_woken_client_gets_the_invite_over_its_new_connection_and_answers) {
    start();
    const std::string token = register_then_sleep("3a8e6f7c2b1d");
    ASSERT_FALSE(token.empty());

    peer_dialog od;
    f.osv->send(f.osv_invite(od, token, osv_sdp("sendrecv", "127.0.0.2", 30000)), f.core_addr);
    // 180 toward OSV while the app wakes, and the push with the device token at CloudLink.
    ASSERT_TRUE(f.run_until([&] { return osv_got(180); }));
    ASSERT_TRUE(cloud->run_until([&] { return !cloud->server.requests("/v1/push").empty(); }));
    const auto pushed = cloud->server.requests("/v1/push");
    ASSERT_EQ(pushed.size(), 1u);
    EXPECT_EQ(pushed[0]["body"]["device"]["provider"], "apns");
    EXPECT_EQ(pushed[0]["body"]["device"]["prid"], "3a8e6f7c2b1d");
    EXPECT_EQ(pushed[0]["body"]["device"]["param"], "ABCDE.us.zoom.voip");
    EXPECT_EQ(pushed[0]["body"]["call"]["caller"], "sip:1000@pbx.local");
    EXPECT_NE(pushed[0]["body"]["call"]["id"], od.call_id) << "OSV's Call-ID stays inside";
    {
        const auto c = f.b2bua->calls_json()["calls"][0];
        EXPECT_EQ(c["state"], "awaiting_push");
        EXPECT_TRUE(contains(c["route"].get<std::string>(), "a push to sip:bob@pbx.local"))
            << c["route"];
    }
    EXPECT_FALSE(osv_final().has_value());

    // The app wakes: a new connection, the same instance and device.
    f.phone = std::make_unique<sip_peer>(f.loop, "127.0.0.5", false);
    auto again = register_mobile(*f.phone, ";pn-provider=apns;pn-prid=3a8e6f7c2b1d");
    ASSERT_TRUE(again && again->status_code() == 200);
    // RFC 8599 §5.6.1.1: the SBC says it pushes through the client's service.
    EXPECT_EQ(header(*again, "Feature-Caps"), R"(*;+sip.pns="apns")");
    ASSERT_TRUE(f.run_until([&] { return f.phone->last("INVITE").has_value(); }));
    auto inv = f.phone->last("INVITE")->msg();
    EXPECT_EQ(std::string(inv.call_id()), pushed[0]["body"]["call"]["id"].get<std::string>());
    EXPECT_TRUE(contains(std::string(inv.body()), "m=audio"));
    EXPECT_EQ(f.b2bua->counters().push_woken, 1u);

    auto pd = peer_dialog::uas(inv, "<sip:bob@" + f.phone->address.to_string() + ";transport=tcp>");
    pd.via_host = f.phone->address.to_string();
    const auto txn = f.phone->last("INVITE")->txn;
    f.phone->respond(
        txn,
        pd.response(inv, 200, client_offer(crypto80(1, 0x22), "", "RTP/SAVP", "127.0.0.5", 4002)));
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->status_code(), 200);
    od.learn(*osv_final());
    f.osv->send_raw(od.request("ACK"), f.core_addr);
    ASSERT_TRUE(f.run_until([&] { return !f.phone->acks.empty(); }));
    f.osv->send(od.request("BYE"), f.core_addr);
    ASSERT_TRUE(f.run_until([&] { return f.b2bua->active() == 0 && !f.records().empty(); }));
    const auto rec = f.records().back();
    EXPECT_EQ(rec["push"]["result"], "woken");
    EXPECT_GE(rec["push"]["waited_ms"].get<int64_t>(), 0);
    EXPECT_EQ(rec["end_reason"], "bye from caller");
}

TEST_F(push_call, no_reregistration_within_the_wait_is_480_with_a_reason) {
    start(true, 1500ms);
    const std::string token = register_then_sleep("00aa11bb22cc");
    ASSERT_FALSE(token.empty());
    peer_dialog od;
    const auto t0 = std::chrono::steady_clock::now();
    f.osv->send(f.osv_invite(od, token, osv_sdp("sendrecv", "127.0.0.2", 30000)), f.core_addr);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }, 10s));
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 1400ms) << "held for the wait";
    EXPECT_EQ(osv_final()->status_code(), 480);
    EXPECT_EQ(header(*osv_final(), "Reason"),
              R"(SIP;cause=480;text="No re-registration after push")");
    EXPECT_EQ(cloud->server.requests("/v1/push").size(), 1u);
    EXPECT_EQ(f.b2bua->counters().push_timed_out, 1u);
    EXPECT_EQ(f.b2bua->active(), 0u);
    EXPECT_EQ(f.media->active(), 0u);
    ASSERT_TRUE(f.run_until([&] { return !f.records().empty(); }));
    EXPECT_EQ(f.records().back()["push"]["result"], "timed_out");
    EXPECT_EQ(f.records().back()["final_status"], 480);
}

TEST_F(push_call, cloudlink_not_linked_fails_at_once_not_after_the_wait) {
    start(false, 20s);
    ASSERT_TRUE(call_sleeping("44dd55ee66ff").has_value()) << "no prompt answer";
    EXPECT_EQ(osv_final()->status_code(), 480);
    EXPECT_TRUE(contains(header(*osv_final(), "Reason"), "Push failed: "))
        << header(*osv_final(), "Reason");
    EXPECT_EQ(f.b2bua->counters().push_failed, 1u);
    EXPECT_EQ(cloud->push->counters().failed_not_linked, 1u);
    EXPECT_TRUE(cloud->server.requests("/v1/push").empty());
    ASSERT_TRUE(f.run_until([&] { return !f.records().empty(); }));
    EXPECT_EQ(f.records().back()["push"]["result"], "failed");
}

TEST_F(push_call, garbage_from_cloudlink_fails_the_call_promptly) {
    start(true, 20s);
    cloud->server.control({{"cmd", "fault"},
                           {"path", "/v1/push"},
                           {"status", 202},
                           {"body", "garbage"},
                           {"count", 1}});
    ASSERT_TRUE(call_sleeping("77aa88bb99cc").has_value()) << "no prompt answer";
    EXPECT_EQ(osv_final()->status_code(), 480);
    const std::string reason = header(*osv_final(), "Reason");
    EXPECT_TRUE(contains(reason, "Push failed: ")) << reason;
    EXPECT_EQ(f.b2bua->counters().push_failed, 1u);
    EXPECT_EQ(f.b2bua->active(), 0u);
}

TEST_F(push_call, a_device_cloudlink_does_not_know_fails_the_call_promptly) {
    start(true, 20s);
    ASSERT_TRUE(call_sleeping("unknown-0f0f0f").has_value()) << "no prompt answer";
    EXPECT_EQ(osv_final()->status_code(), 480);
    EXPECT_TRUE(contains(header(*osv_final(), "Reason"), "Push failed: "));
    EXPECT_EQ(cloud->push->counters().failed_unknown_device, 1u);
    EXPECT_EQ(f.b2bua->counters().push_failed, 1u);
    EXPECT_EQ(cloud->server.requests("/v1/push").size(), 1u);
}

TEST_F(push_call, cancel_while_held_ends_the_call_and_a_late_wake_gets_nothing) {
    start(true, 20s);
    const std::string token = register_then_sleep("c0ffee001122");
    ASSERT_FALSE(token.empty());
    peer_dialog od;
    const auto invite =
        f.osv->send(f.osv_invite(od, token, osv_sdp("sendrecv", "127.0.0.2", 30000)), f.core_addr);
    ASSERT_TRUE(f.run_until([&] { return osv_got(180); }));
    ASSERT_TRUE(f.osv->cancel(invite));
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->status_code(), 487);
    EXPECT_EQ(f.b2bua->counters().push_cancelled, 1u);
    EXPECT_EQ(f.b2bua->active(), 0u);
    EXPECT_EQ(f.media->active(), 0u);
    ASSERT_TRUE(f.run_until([&] { return !f.records().empty(); }));
    EXPECT_EQ(f.records().back()["push"]["result"], "cancelled");

    f.phone = std::make_unique<sip_peer>(f.loop, "127.0.0.5", false);
    auto again = register_mobile(*f.phone, ";pn-provider=apns;pn-prid=c0ffee001122");
    ASSERT_TRUE(again && again->status_code() == 200);
    f.run_for(300ms);
    EXPECT_FALSE(f.phone->last("INVITE").has_value());
    EXPECT_EQ(f.b2bua->counters().push_woken, 0u);
}

TEST_F(push_call, malformed_push_parameters_are_refused_at_register_and_nothing_is_stored) {
    start();
    for (const std::string pn :
         {";pn-provider=apns;pn-prid=a%00b", ";pn-provider=apns;pn-prid",
          ";pn-provider=apns;pn-prid=a;pn-prid=b", ";pn-provider=apns;pn-prid=a%c3%a9"}) {
        auto r = register_mobile(*f.phone, pn);
        ASSERT_TRUE(r.has_value()) << pn;
        EXPECT_EQ(r->status_code(), 400) << pn;
        EXPECT_FALSE(header(*r, "Warning").empty()) << pn;
    }
    EXPECT_EQ(f.sip->bindings().size(), 0u);
    EXPECT_FALSE(f.osv->last("REGISTER").has_value());
    EXPECT_TRUE(cloud->server.requests("/v1/push").empty());
}

}  // namespace
}  // namespace sbc::cp::test
