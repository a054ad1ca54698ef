// A softphone's connection is its flow: when it closes, the softphone's calls end (found by the
// whole-daemon fuzz target: a held call of a client that went away has no media timeout and,
// without a session timer, lived for ever, keeping its ports and flows).

#include <gtest/gtest.h>

#include "tests/controlplane/b2bua/call_harness.hpp"
#include "tests/controlplane/media/media_support.hpp"

namespace sbc::cp::test {
namespace {

using sbc::test::client_offer;
using sbc::test::crypto80;
using sbc::test::osv_sdp;

TEST(client_flow, a_held_call_ends_with_its_clients_connection) {
    call_fixture f;
    ASSERT_TRUE(f.start()) << f.error;
    peer_dialog pd;
    f.phone->send(f.phone_invite(pd, client_offer(crypto80(1, 0x11), "a=sendonly\r\n", "RTP/SAVP",
                                                  "127.0.0.5", 4000)),
                  f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("INVITE").has_value(); }));
    auto inv = f.osv->last("INVITE");
    auto od =
        peer_dialog::uas(inv->msg(), "<sip:bob@" + f.osv->address.to_string() + ";transport=tcp>");
    od.via_host = f.osv->address.to_string();
    f.osv->respond(inv->txn, od.response(inv->msg(), 200, osv_sdp("recvonly", "127.0.0.2", 30000)));
    ASSERT_TRUE(f.run_until([&] { return f.phone->final_response("INVITE").has_value(); }));
    pd.learn(f.phone->final_response("INVITE")->msg());
    f.phone->send_raw(pd.request("ACK"), f.access_addr);
    ASSERT_TRUE(f.run_until([&] { return !f.osv->acks.empty(); }));
    ASSERT_EQ(f.b2bua->active(), 1u);
    ASSERT_EQ(f.flows(), 2u);

    f.phone.reset();  // the softphone goes away: its TCP connection closes
    ASSERT_TRUE(f.run_until([&] { return f.b2bua->active() == 0; }));
    ASSERT_TRUE(f.run_until([&] { return f.osv->last("BYE").has_value(); }));
    const auto bye = f.osv->last("BYE")->msg();
    EXPECT_EQ(header(bye, "Reason"), R"(SIP;cause=480;text="Connection lost")");
    EXPECT_EQ(f.b2bua->counters().flow_closed, 1u);
    ASSERT_TRUE(f.run_until([&] { return f.flows() == 0u; }));
    EXPECT_EQ(f.media->active(), 0u);
    ASSERT_TRUE(f.run_until([&] { return !f.records().empty(); }));
    EXPECT_EQ(f.records().back()["end_reason"], "client connection closed");
}

}  // namespace
}  // namespace sbc::cp::test
