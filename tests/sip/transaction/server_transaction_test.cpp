// RFC 3261 §17.2 / RFC 6026 server transactions, CANCEL matching (§9.2) and stray traffic, on a
// fake clock and a fake transport.
#include "txn_fixture.hpp"

namespace sbc::sip::test {
namespace {

class ServerTxn : public TxnTest {
  protected:
    transaction_id receive_one(const std::string& req, transport_type type = transport_type::udp) {
        deliver(req, type);
        EXPECT_FALSE(requests.empty());
        return requests.empty() ? 0 : requests.back().id;
    }
};

TEST_F(ServerTxn, InviteReachesTheTuOnceAndGets100TryingIfTheTuIsSilent) {
    const auto inv = request("INVITE");
    const auto id = receive_one(inv);
    EXPECT_EQ(layer.server_state(id), st::proceeding);
    deliver(inv);  // retransmission before any response: absorbed, nothing to resend
    EXPECT_EQ(requests.size(), 1u);
    EXPECT_TRUE(transport.out.empty());
    clock.advance(199ms);
    EXPECT_TRUE(transport.out.empty());
    clock.advance(1ms);  // §17.2.1: 100 Trying after 200 ms of TU silence
    ASSERT_EQ(transport.starting("SIP/2.0 100 ").size(), 1u);
    deliver(inv);  // now the retransmission gets the 100 again
    EXPECT_EQ(transport.starting("SIP/2.0 100 ").size(), 2u);
    EXPECT_EQ(requests.size(), 1u);
    EXPECT_EQ(layer.counters().requests_absorbed, 2u);
}

TEST_F(ServerTxn, NoAutomatic100WhenTheTuAnswersInTime) {
    const auto id = receive_one(request("INVITE"));
    clock.advance(50ms);
    EXPECT_TRUE(layer.respond(id, 180));
    clock.advance(1s);
    EXPECT_TRUE(transport.starting("SIP/2.0 100 ").empty());
    const message ringing = must_parse(transport.starting("SIP/2.0 180 ")[0].bytes);
    EXPECT_EQ(ringing.to().tag(), layer.to_tag_of(id));
    EXPECT_FALSE(ringing.to().tag().empty());
}

TEST_F(ServerTxn, NonTwoHundredFinalOverUdpRetransmitsOnTimerGUntilTimerH) {
    const auto id = receive_one(request("INVITE"));
    ASSERT_TRUE(layer.respond(id, 486, "Busy Here"));
    EXPECT_EQ(layer.server_state(id), st::completed);
    clock.advance(31999ms);
    // Timer G: T1 doubling, capped at T2.
    EXPECT_EQ(transport.times("SIP/2.0 486 "),
              ms({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
    EXPECT_TRUE(server_failures.empty());
    clock.advance(1ms);  // Timer H = 64*T1 without an ACK
    ASSERT_EQ(server_failures.size(), 1u);
    EXPECT_EQ(server_failures[0], std::make_pair(id, server_failure::no_ack));
    EXPECT_FALSE(layer.server_state(id).has_value());
    EXPECT_EQ(layer.counters().server_no_ack, 1u);
}

TEST_F(ServerTxn, AckConfirmsStopsRetransmissionsAndTimerIEnds) {
    const auto inv = request("INVITE");
    const auto id = receive_one(inv);
    layer.respond(id, 404);
    clock.advance(600ms);
    std::string ack = request("ACK");
    ack.replace(ack.find("To: <sip:bob@test>"), 18,
                "To: <sip:bob@test>;tag=" + std::string(layer.to_tag_of(id)));
    deliver(ack);
    EXPECT_EQ(layer.server_state(id), st::confirmed);
    EXPECT_TRUE(acks.empty());  // absorbed: the ACK of a non-2xx is the transaction's
    deliver(ack);               // retransmitted ACK: absorbed in Confirmed
    EXPECT_TRUE(acks.empty());
    clock.advance(4999ms);  // Timer I = T4
    EXPECT_EQ(layer.server_state(id), st::confirmed);
    clock.advance(1ms);
    EXPECT_FALSE(layer.server_state(id).has_value());
    EXPECT_EQ(transport.times("SIP/2.0 404 "), ms({0, 500}));
    EXPECT_TRUE(server_failures.empty());
}

TEST_F(ServerTxn, ReliableTransportHasNoTimerGAndTimerIIsZero) {
    const auto id = receive_one(request("INVITE", "z9hG4bK-t", "TCP"), transport_type::tcp);
    layer.respond(id, 480);
    clock.advance(10s);
    EXPECT_EQ(transport.times("SIP/2.0 480 "), ms({0}));
    deliver(request("ACK", "z9hG4bK-t", "TCP"), transport_type::tcp);
    EXPECT_EQ(layer.server_state(id), st::confirmed);
    clock.advance(1ms);
    EXPECT_FALSE(layer.server_state(id).has_value());
}

TEST_F(ServerTxn, RetransmittedInviteGetsTheLastResponseAgain) {
    const auto inv = request("INVITE");
    const auto id = receive_one(inv);
    layer.respond(id, 180);
    deliver(inv);
    EXPECT_EQ(transport.starting("SIP/2.0 180 ").size(), 2u);
    layer.respond(id, 603);
    deliver(inv);
    EXPECT_EQ(transport.starting("SIP/2.0 603 ").size(), 2u);
    EXPECT_EQ(requests.size(), 1u);
}

TEST_F(ServerTxn, TwoHundredGoesToAcceptedPerRfc6026) {
    const auto inv = request("INVITE");
    const auto id = receive_one(inv);
    ASSERT_TRUE(layer.respond(id, 200));
    EXPECT_EQ(layer.server_state(id), st::accepted);
    // The transaction does not retransmit the 2xx (the UAS core does, through it)...
    clock.advance(2s);
    EXPECT_EQ(transport.starting("SIP/2.0 200 ").size(), 1u);
    EXPECT_TRUE(layer.respond(id, 200));
    EXPECT_EQ(transport.starting("SIP/2.0 200 ").size(), 2u);
    EXPECT_FALSE(layer.respond(id, 486));  // no non-2xx after a 2xx
    // ...retransmitted INVITEs are absorbed without an answer...
    deliver(inv);
    EXPECT_EQ(transport.starting("SIP/2.0 200 ").size(), 2u);
    EXPECT_EQ(requests.size(), 1u);
    // ...and an ACK that matches goes to the TU.
    deliver(request("ACK"));
    EXPECT_EQ(acks.size(), 1u);
    clock.advance(29999ms);  // Timer L = 64*T1 from the 2xx
    EXPECT_EQ(layer.server_state(id), st::accepted);
    clock.advance(1ms);
    EXPECT_FALSE(layer.server_state(id).has_value());
    EXPECT_TRUE(server_failures.empty());
}

TEST_F(ServerTxn, AckForATwoHundredOnANewBranchGoesToTheTu) {
    const auto id = receive_one(request("INVITE"));
    layer.respond(id, 200);
    deliver(request("ACK", "z9hG4bK-ack-new"));
    EXPECT_EQ(acks.size(), 1u);
    EXPECT_EQ(layer.counters().acks_passed, 1u);
}

TEST_F(ServerTxn, NonInviteStatesAndAbsorption) {
    const auto req = request("REGISTER");
    const auto id = receive_one(req);
    EXPECT_EQ(layer.server_state(id), st::trying);
    deliver(req);  // Trying: absorbed silently
    EXPECT_TRUE(transport.out.empty());
    layer.respond(id, 100);
    EXPECT_EQ(layer.server_state(id), st::proceeding);
    deliver(req);  // Proceeding: the provisional again
    EXPECT_EQ(transport.starting("SIP/2.0 100 ").size(), 2u);
    layer.respond(id, 200);
    EXPECT_EQ(layer.server_state(id), st::completed);
    deliver(req);  // Completed: the final again
    EXPECT_EQ(transport.starting("SIP/2.0 200 ").size(), 2u);
    EXPECT_FALSE(layer.respond(id, 500));  // one final only
    EXPECT_EQ(requests.size(), 1u);
    clock.advance(31999ms);  // Timer J = 64*T1 on UDP; no retransmissions of its own
    EXPECT_EQ(layer.server_state(id), st::completed);
    EXPECT_EQ(transport.starting("SIP/2.0 200 ").size(), 2u);
    clock.advance(1ms);
    EXPECT_FALSE(layer.server_state(id).has_value());
    deliver(req);  // after J: a new transaction (the TU sees it again)
    EXPECT_EQ(requests.size(), 2u);
}

TEST_F(ServerTxn, UnansweredNonInviteIsDroppedAfter64T1) {
    const auto id = receive_one(request("OPTIONS"));
    layer.respond(id, 100);
    clock.advance(31999ms);
    EXPECT_EQ(layer.server_state(id), st::proceeding);
    clock.advance(1ms);
    EXPECT_FALSE(layer.server_state(id).has_value());
    ASSERT_EQ(server_failures.size(), 1u);
    EXPECT_EQ(server_failures[0].second, server_failure::no_final_response);
    EXPECT_EQ(layer.counters().server_unanswered, 1u);
}

TEST_F(ServerTxn, DroppedRequestReachesTheTuAgainWhenRetransmitted) {
    const auto req = request("MESSAGE");
    const auto id = receive_one(req);
    layer.drop(id);
    EXPECT_FALSE(layer.server_state(id).has_value());
    deliver(req);
    EXPECT_EQ(requests.size(), 2u);
    EXPECT_TRUE(transport.out.empty());
}

TEST_F(ServerTxn, TimerJIsZeroOnReliableTransports) {
    const auto id = receive_one(request("OPTIONS", "z9hG4bK-t", "TCP"), transport_type::tcp);
    layer.respond(id, 200);
    EXPECT_EQ(layer.server_state(id), st::completed);
    // Still there while the TU's callback could hold the request; gone on the next tick.
    ASSERT_NE(layer.request_of(id), nullptr);
    clock.advance(1ms);
    EXPECT_FALSE(layer.server_state(id).has_value());
}

TEST_F(ServerTxn, CancelMatchesItsInvite) {
    const auto inv = request("INVITE");
    const auto invite_id = receive_one(inv);
    layer.respond(invite_id, 180);
    deliver(request("CANCEL"));
    ASSERT_EQ(requests.size(), 2u);
    const auto cancel_id = requests[1].id;
    EXPECT_NE(cancel_id, invite_id);
    EXPECT_EQ(requests[1].cancelled, invite_id);
    EXPECT_EQ(layer.counters().cancels_matched, 1u);
    // The TU answers both (RFC 3261 §9.2).
    EXPECT_TRUE(layer.respond(cancel_id, 200));
    EXPECT_TRUE(layer.respond(invite_id, 487));
    EXPECT_EQ(transport.starting("SIP/2.0 200 ").size(), 1u);
    EXPECT_EQ(must_parse(transport.starting("SIP/2.0 200 ")[0].bytes).cseq().method, "CANCEL");
    EXPECT_EQ(must_parse(transport.starting("SIP/2.0 487 ")[0].bytes).cseq().method, "INVITE");
    // A CANCEL for an unknown branch matches nothing: the TU answers 481.
    deliver(request("CANCEL", "z9hG4bK-nothing"));
    EXPECT_EQ(requests.back().cancelled, 0u);
    EXPECT_EQ(layer.counters().cancels_unmatched, 1u);
}

TEST_F(ServerTxn, CancelFromAnotherSentByDoesNotMatch) {
    receive_one(request("INVITE"));
    std::string cancel = request("CANCEL");
    cancel.replace(cancel.find("192.0.2.1:5060"), 14, "192.0.2.66:5060");
    deliver(cancel);
    EXPECT_EQ(requests.back().cancelled, 0u);
}

TEST_F(ServerTxn, TransportErrorOnAResponseIsReportedToTheTu) {
    const auto id = receive_one(request("OPTIONS", "z9hG4bK-t", "TCP"), transport_type::tcp);
    transport.fail_next = send_status::no_connection;
    layer.respond(id, 200);
    EXPECT_TRUE(server_failures.empty());
    clock.advance(1ms);
    ASSERT_EQ(server_failures.size(), 1u);
    EXPECT_EQ(server_failures[0].second, server_failure::transport_error);
    EXPECT_FALSE(layer.server_state(id).has_value());
    // A late failure (the callback) is reported too.
    const auto id2 = receive_one(request("OPTIONS", "z9hG4bK-u", "TCP"), transport_type::tcp);
    layer.respond(id2, 100);
    ASSERT_FALSE(transport.pending.empty());
    transport.pending.back()(send_status::closed);
    EXPECT_EQ(server_failures.size(), 2u);
    EXPECT_EQ(layer.counters().server_transport_errors, 2u);
}

TEST_F(ServerTxn, Rfc2543PeersWithoutTheMagicCookieStillMatch) {
    std::string inv = request("INVITE", "old1");
    const auto id = receive_one(inv);
    deliver(inv);
    EXPECT_EQ(requests.size(), 1u);
    layer.respond(id, 486);
    std::string ack = request("ACK", "old1");
    ack.replace(ack.find("To: <sip:bob@test>"), 18, "To: <sip:bob@test>;tag=x");
    deliver(ack);
    EXPECT_EQ(layer.server_state(id), st::confirmed);
}

TEST_F(ServerTxn, StrayResponsesAndAcksGoToTheTu) {
    deliver(response_to(request("OPTIONS", "z9hG4bK-unknown"), 200));
    deliver(request("ACK", "z9hG4bK-unknown"));
    EXPECT_EQ(strays.size(), 1u);
    EXPECT_EQ(acks.size(), 1u);
    EXPECT_EQ(layer.counters().stray_responses, 1u);
}

TEST_F(ServerTxn, RespondToUnknownOrWithGarbageFails) {
    EXPECT_FALSE(layer.respond(12345, 200));
    const auto id = receive_one(request("OPTIONS"));
    EXPECT_FALSE(layer.respond(id, std::string("garbage")));
    EXPECT_FALSE(layer.respond(id, std::string("SIP/2.0 999 Nope\r\n\r\n")));
    EXPECT_EQ(layer.server_state(id), st::trying);
}

TEST_F(ServerTxn, TuMayRespondFromInsideOnRequest) {
    transaction_layer::handlers h = make_handlers();
    transaction_layer* self = nullptr;
    h.on_request = [&](transaction_id id, const message& m, const transport_context&,
                       transaction_id) {
        self->respond(id, 200);
        requests.push_back({id, std::string(m.data()), 0});  // the request is still valid here
    };
    transaction_layer inner(clock, transport, h);
    self = &inner;
    inner.receive(must_parse(request("OPTIONS", "z9hG4bK-t", "TCP")), ctx(transport_type::tcp));
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_TRUE(requests[0].bytes.starts_with("OPTIONS "));
    EXPECT_EQ(transport.starting("SIP/2.0 200 ").size(), 1u);
}

}  // namespace
}  // namespace sbc::sip::test
