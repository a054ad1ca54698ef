// Peer bytes through every view (issue 10, finding 1): 0xFF, overlong UTF-8, bare CR and NUL in
// the fields a softphone controls — SDP c=, s=, m= and a=crypto, the From display name, the
// User-Agent, the Call-ID, the AOR, a BYE's Reason — and then every mgmt view sbcctl reads and
// every call record: each is written as JSON and read back, and sbcd goes on. A plain dump() of
// the same views throws (that killed sbcd), so these tests fail if the JSON path regresses.

#include <gtest/gtest.h>

#include "mgmt/protocol.hpp"
#include "tests/controlplane/b2bua/call_harness.hpp"
#include "tests/controlplane/media/media_support.hpp"

namespace sbc::cp::test {
namespace {

using namespace std::string_literals;
using sbc::test::client_offer;
using sbc::test::crypto80;
using sbc::test::osv_sdp;

const std::string replacement = "\xef\xbf\xbd";  // U+FFFD, what json_text writes for a bad byte

class hostile_views : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(f.start()) << f.error; }

    // Every view sbcctl reads, each written as a mgmt answer and read back; their text.
    std::string views() {
        const nlohmann::json all[] = {
            f.sip->status(),
            f.sip->counters(),
            f.sip->registrar().registrations_table(nlohmann::json::object()),
            f.sip->dos().blacklist_table(nlohmann::json::object()),
            f.sip->dos().status(),
            f.b2bua->calls_json(),
            f.media->counters_json(),
        };
        std::string text;
        for (const auto& v : all) {
            std::string line;
            EXPECT_NO_THROW(line = mgmt::encode(mgmt::response{true, v, ""}));
            mgmt::response back;
            std::string error;
            EXPECT_TRUE(
                mgmt::decode(std::string_view(line).substr(0, line.size() - 1), back, error))
                << error;
            text += line;
        }
        return text;
    }
    // The call records, each line read back as JSON.
    std::string records() {
        std::string text;
        for (const auto& r : f.records()) {
            text += r.dump();  // valid UTF-8 after json_text: a plain dump works again
        }
        return text;
    }
    // Messages the SIP side has taken in so far: refused by the parser or at admission, or
    // handed to the registrar. Raw bytes the phone's own parser would not send go by send_raw,
    // whose answers the phone does not record: tests wait on this instead.
    std::uint64_t taken_in() {
        std::uint64_t n =
            f.sip->registrar().counters().registers + f.sip->access().refused_in().total;
        f.sip->access().transports().counters().for_each(
            [&](const counter_row& row, std::uint64_t v) {
                n += row.name == "malformed_requests" ? v : 0;
            });
        return n;
    }
    void send_raw_and_settle(const std::string& bytes) {
        const auto before = taken_in();
        f.phone->send_raw(bytes, f.access_addr);
        ASSERT_TRUE(f.run_until(
            [&] { return taken_in() > before && f.sip->registrar().relays_in_flight() == 0; }));
    }
    std::optional<sip::message> final_to_phone() {
        auto r = f.phone->final_response("INVITE");
        return r ? std::optional<sip::message>(r->msg()) : std::nullopt;
    }

    call_fixture f;
};

TEST_F(hostile_views, ff_in_the_c_line_is_refused_and_its_call_record_is_written) {
    peer_dialog pd;
    std::string sdp = client_offer(crypto80(1, 0x11), "", "RTP/SAVP", "127.0.0.5", 4000);
    sdp.replace(sdp.find("c=IN IP4"), 8, "c=IN\xff IP4");
    f.phone->send(f.phone_invite(pd, sdp), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return final_to_phone().has_value(); }));
    EXPECT_EQ(final_to_phone()->status_code(), 488);
    ASSERT_TRUE(f.run_until([&] { return !f.records().empty(); }));
    const std::string recs = records();
    EXPECT_NE(recs.find("IN" + replacement + " IP4"), std::string::npos) << recs;
    views();
    // sbcd goes on: a clean call after it.
    peer_dialog clean;
    f.phone->send(
        f.phone_invite(clean, client_offer(crypto80(1, 0x11), "", "RTP/SAVP", "127.0.0.5", 4002)),
        f.access_addr);
    EXPECT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
}

TEST_F(hostile_views, bad_bytes_in_s_m_and_crypto_reach_only_escaped_text) {
    const std::vector<std::pair<std::string, std::string>> edits = {
        {"s=zoom", "s=zo\xffom"},
        {"RTP/SAVP 0 8", "RTP/SAVP\xc0\xaf 0 8"},
        {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC\xff_80"},
    };
    int port = 4000;
    for (const auto& [from, to] : edits) {
        peer_dialog pd;
        std::string sdp = client_offer(crypto80(1, 0x11), "", "RTP/SAVP", "127.0.0.5", port += 2);
        sdp.replace(sdp.find(from), from.size(), to);
        f.phone->requests.clear();
        f.phone->send(f.phone_invite(pd, sdp), f.access_addr);
        ASSERT_TRUE(f.run_until([&] {
            return f.phone->final_response("INVITE").has_value() ||
                   f.osv->last("INVITE").has_value();
        })) << to;
        views();
        f.phone->responses.clear();
        f.osv->requests.clear();
    }
    records();
}

TEST_F(hostile_views, a_call_with_bad_bytes_in_every_header_shows_and_records_them_escaped) {
    // A Call-ID is a word (RFC 3261 §25.1): one with 0xFF is refused before anything sees it.
    peer_dialog bad;
    bad.call_id =
        "ff\xff"
        "call@phone";
    bad.local_tag = "t1";
    bad.local_uri = "<sip:alice@pbx.local>";
    bad.remote_uri = "<sip:bob@pbx.local>";
    bad.contact = "<sip:alice@" + f.phone->address.to_string() + ";transport=tcp>";
    send_raw_and_settle(f.phone_invite(bad, client_offer(crypto80(1, 0x11))));
    EXPECT_EQ(f.b2bua->active(), 0u);
    views();

    peer_dialog pd;
    std::string invite =
        f.phone_invite(pd, client_offer(crypto80(1, 0x11), "", "RTP/SAVP", "127.0.0.5", 4010));
    invite.replace(invite.find("\"Alice\""), 7,
                   "\"Al\xff\xe0\x80\x80"
                   "ce\"");
    invite.replace(invite.find("ZoomPbxPhone_Windows 6.0.0"), 26, "Zoom\xffPhone\xed\xa0\x80");
    f.phone->send(invite, f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
    auto inv = f.osv->last("INVITE");
    auto od =
        peer_dialog::uas(inv->msg(), "<sip:bob@" + f.osv->address.to_string() + ";transport=tcp>");
    od.via_host = f.osv->address.to_string();
    f.osv->respond(inv->txn, od.response(inv->msg(), 200, osv_sdp("sendrecv", "127.0.0.2", 30000)));
    ASSERT_TRUE(f.run_until([&] { return final_to_phone().has_value(); }));
    ASSERT_EQ(final_to_phone()->status_code(), 200);
    pd.learn(*final_to_phone());
    f.phone->send_raw(pd.request("ACK"), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return !f.osv->acks.empty(); }));

    // The live call's view holds the peer's bytes: a plain dump throws, the mgmt answer works.
    const auto listing = f.b2bua->calls_json();
    EXPECT_THROW((void)listing.dump(), nlohmann::json::type_error);
    const std::string shown = views();
    EXPECT_NE(shown.find("Zoom" + replacement + "Phone"), std::string::npos);

    // BYE with a Reason holding 0xFF and an overlong sequence; the call record is written.
    f.phone->send(pd.request("BYE", {},
                             "Reason: SIP;cause=200;text=\"b\xff"
                             "ye\xc1\xbf\"\r\n"),
                  f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.b2bua->active() == 0; }));
    ASSERT_TRUE(f.run_until([&] { return !f.records().empty(); }));
    records();
    views();
}

TEST_F(hostile_views, registrations_with_bad_bytes_list_escaped_and_cr_or_nul_never_get_in) {
    f.osv->answer_register = true;
    const std::string host = f.phone->address.to_string();
    auto reg = [&](const std::string& user, const std::string& ua, int n) {
        return "REGISTER sip:pbx.local SIP/2.0\r\nVia: SIP/2.0/TCP " + host +
               ";branch=z9hG4bK-reg" + std::to_string(n) +
               "\r\nMax-Forwards: 70\r\nFrom: <sip:" + user + "@pbx.local>;tag=r" +
               std::to_string(n) + "\r\nTo: <sip:" + user + "@pbx.local>\r\nCall-ID: reg" +
               std::to_string(n) + "@phone\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user + "@" +
               host + ";transport=tcp>\r\nExpires: 300\r\nUser-Agent: " + ua +
               "\r\nContent-Length: 0\r\n\r\n";
    };
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"carol", "Zoom\xffPhone"},
        {"d\xff"
         "ave",
         "ZoomPbxPhone"},
        {"erin", "Zoom\rPhone"},
        {"frank", "Zoom\0Phone"s},
        {"gina", "Zoom\xc0\xafPhone"},
    };
    int n = 0;
    for (const auto& [user, ua] : cases) {
        send_raw_and_settle(reg(user, ua, ++n));
        views();
    }
    const std::string shown = views();
    EXPECT_NE(shown.find("Zoom" + replacement + "Phone"), std::string::npos) << shown;
    EXPECT_EQ(shown.find("erin"), std::string::npos);
    EXPECT_EQ(shown.find("frank"), std::string::npos);
}

}  // namespace
}  // namespace sbc::cp::test
