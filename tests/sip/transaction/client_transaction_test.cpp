// RFC 3261 §17.1 / RFC 6026 client transactions on a fake clock and a fake transport.
#include "txn_fixture.hpp"

namespace sbc::sip::test {
namespace {

class ClientTxn : public TxnTest {};

TEST_F(ClientTxn, InviteOverUdpRetransmitsOnTimerADoublingThenTimesOutOnB) {
    const auto inv = request("INVITE");
    const auto id = layer.start_client(must_parse(inv), target(transport_type::udp), record());
    ASSERT_NE(id, 0u);
    EXPECT_EQ(layer.client_state(id), st::calling);
    clock.advance(31999ms);
    // RFC 3261 §17.1.1.2: Timer A starts at T1 and doubles, with no T2 cap for INVITE.
    EXPECT_EQ(transport.times("INVITE"), ms({0, 500, 1500, 3500, 7500, 15500, 31500}));
    EXPECT_TRUE(failures.empty());
    clock.advance(1ms);  // Timer B = 64*T1
    EXPECT_EQ(failures, (std::vector<client_failure>{client_failure::timeout}));
    EXPECT_FALSE(layer.client_state(id).has_value());
    EXPECT_EQ(layer.counters().client_timeouts, 1u);
    EXPECT_EQ(layer.counters().retransmissions_sent, 6u);
}

TEST_F(ClientTxn, InviteOverTcpIsNotRetransmitted) {
    layer.start_client(must_parse(request("INVITE", "z9hG4bK-t", "TCP")),
                       target(transport_type::tcp), record());
    clock.advance(31999ms);
    EXPECT_EQ(transport.times("INVITE"), ms({0}));
    clock.advance(1ms);
    EXPECT_EQ(failures, (std::vector<client_failure>{client_failure::timeout}));
}

TEST_F(ClientTxn, ProvisionalStopsRetransmissionsAndTimerB) {
    const auto inv = request("INVITE");
    const auto id = layer.start_client(must_parse(inv), target(transport_type::udp), record());
    clock.advance(600ms);
    deliver(response_to(inv, 180));
    EXPECT_EQ(layer.client_state(id), st::proceeding);
    clock.advance(200s);
    EXPECT_EQ(transport.times("INVITE"), ms({0, 500}));
    EXPECT_TRUE(failures.empty());
    EXPECT_EQ(responses, (std::vector<std::uint16_t>{180}));
    EXPECT_EQ(layer.client_state(id), st::proceeding);
}

TEST_F(ClientTxn, TwoHundredGoesToAcceptedAndEveryTwoHundredReachesTheTu) {
    const auto inv = request("INVITE");
    const auto id = layer.start_client(must_parse(inv), target(transport_type::udp), record());
    deliver(response_to(inv, 100));
    deliver(response_to(inv, 200, "fork-a"));
    EXPECT_EQ(layer.client_state(id), st::accepted);
    // RFC 6026 §8.4: retransmissions and other forks' 2xx go to the TU, which ACKs them.
    deliver(response_to(inv, 200, "fork-a"));
    deliver(response_to(inv, 200, "fork-b"));
    deliver(response_to(inv, 486));  // late non-2xx: absorbed
    EXPECT_EQ(responses, (std::vector<std::uint16_t>{100, 200, 200, 200}));
    EXPECT_TRUE(transport.starting("ACK").empty());  // 2xx ACK is the TU's, not ours
    clock.advance(31999ms);
    EXPECT_EQ(layer.client_state(id), st::accepted);
    clock.advance(1ms);  // Timer M = 64*T1
    EXPECT_FALSE(layer.client_state(id).has_value());
    deliver(response_to(inv, 200, "fork-a"));
    EXPECT_EQ(strays.size(), 1u);
    EXPECT_EQ(transport.times("INVITE"), ms({0}));
}

TEST_F(ClientTxn, NonTwoHundredFinalIsAckedByTheTransactionAndRetransmissionsReAck) {
    const auto inv = request("INVITE");
    const auto id = layer.start_client(must_parse(inv), target(transport_type::udp), record());
    deliver(response_to(inv, 486, "busy"));
    EXPECT_EQ(layer.client_state(id), st::completed);
    auto acks_sent = transport.starting("ACK ");
    ASSERT_EQ(acks_sent.size(), 1u);
    const message ack = must_parse(acks_sent[0].bytes);
    EXPECT_EQ(ack.request_uri_text(), "sip:bob@192.0.2.2");
    EXPECT_EQ(ack.top_via().branch(), "z9hG4bK-a1");  // §17.1.1.3: same branch as the INVITE
    EXPECT_EQ(ack.cseq().number, 1u);
    EXPECT_EQ(ack.cseq().method, "ACK");
    EXPECT_EQ(ack.to().tag(), "busy");
    EXPECT_EQ(ack.from().tag(), "from1");
    ASSERT_NE(ack.find(header_id::route), nullptr);
    EXPECT_EQ(ack.find(header_id::route)->value, "<sip:proxy.test;lr>");
    deliver(response_to(inv, 486, "busy"));
    deliver(response_to(inv, 486, "busy"));
    EXPECT_EQ(responses, (std::vector<std::uint16_t>{486}));
    EXPECT_EQ(transport.starting("ACK ").size(), 3u);
    EXPECT_EQ(layer.counters().responses_absorbed, 2u);
    clock.advance(31999ms);  // Timer D: 32 s on UDP
    EXPECT_EQ(layer.client_state(id), st::completed);
    clock.advance(1ms);
    EXPECT_FALSE(layer.client_state(id).has_value());
    EXPECT_TRUE(failures.empty());
}

TEST_F(ClientTxn, TimerDIsZeroOnReliableTransports) {
    const auto inv = request("INVITE", "z9hG4bK-t", "TCP");
    const auto id = layer.start_client(must_parse(inv), target(transport_type::tcp), record());
    deliver(response_to(inv, 503), transport_type::tcp);
    EXPECT_EQ(layer.client_state(id), st::completed);
    // The ACK follows the INVITE down its connection.
    ASSERT_EQ(transport.starting("ACK ").size(), 1u);
    EXPECT_EQ(transport.starting("ACK ")[0].to.connection, 77u);
    clock.advance(1ms);
    EXPECT_FALSE(layer.client_state(id).has_value());
}

TEST_F(ClientTxn, ImmediateTransportErrorIsReportedAfterStartReturns) {
    transport.fail_next = send_status::no_listener;
    bool returned = false;
    transaction_layer::client_callbacks cb;
    cb.on_failure = [&](client_failure why) {
        EXPECT_TRUE(returned);
        failures.push_back(why);
    };
    const auto id = layer.start_client(must_parse(request("OPTIONS")), target(transport_type::udp),
                                       std::move(cb));
    returned = true;
    ASSERT_NE(id, 0u);
    EXPECT_TRUE(failures.empty());
    clock.advance(1ms);
    EXPECT_EQ(failures, (std::vector<client_failure>{client_failure::transport_error}));
    EXPECT_FALSE(layer.client_state(id).has_value());
    EXPECT_EQ(layer.counters().client_transport_errors, 1u);
}

TEST_F(ClientTxn, LateTransportErrorFailsTheTransaction) {
    const auto id = layer.start_client(must_parse(request("INVITE", "z9hG4bK-t", "TLS")),
                                       target(transport_type::tls), record());
    ASSERT_EQ(transport.pending.size(), 1u);
    transport.pending[0](send_status::tls_failed);  // e.g. the handshake failed
    EXPECT_EQ(failures, (std::vector<client_failure>{client_failure::transport_error}));
    EXPECT_FALSE(layer.client_state(id).has_value());
}

TEST_F(ClientTxn, CancelWaitsForAProvisionalResponse) {
    const auto inv = request("INVITE");
    const auto id = layer.start_client(must_parse(inv), target(transport_type::udp), record());
    std::vector<std::uint16_t> cancel_responses;
    EXPECT_TRUE(layer.cancel(id, {[&](const message& m, const transport_context&) {
                                      cancel_responses.push_back(m.status_code());
                                  },
                                  {}}));
    clock.advance(100ms);
    EXPECT_TRUE(transport.starting("CANCEL").empty());  // §9.1: not before a provisional
    deliver(response_to(inv, 180));
    auto cancels = transport.starting("CANCEL ");
    ASSERT_EQ(cancels.size(), 1u);
    const message c = must_parse(cancels[0].bytes);
    EXPECT_EQ(c.top_via().branch(), "z9hG4bK-a1");
    EXPECT_EQ(c.cseq().number, 1u);
    EXPECT_EQ(c.cseq().method, "CANCEL");
    EXPECT_EQ(c.request_uri_text(), "sip:bob@192.0.2.2");
    EXPECT_TRUE(c.to().tag().empty());
    EXPECT_EQ(layer.client_count(), 2u);
    // The CANCEL's 200 goes to its own callbacks, the INVITE's 487 to the INVITE's.
    deliver(response_to(transport.starting("CANCEL ")[0].bytes, 200));
    deliver(response_to(inv, 487));
    EXPECT_EQ(cancel_responses, (std::vector<std::uint16_t>{200}));
    EXPECT_EQ(responses, (std::vector<std::uint16_t>{180, 487}));
    EXPECT_FALSE(layer.cancel(id));  // completed: nothing left to cancel
}

TEST_F(ClientTxn, CancelWantedButFinalCameFirstSendsNothing) {
    const auto inv = request("INVITE");
    const auto id = layer.start_client(must_parse(inv), target(transport_type::udp), record());
    EXPECT_TRUE(layer.cancel(id));
    deliver(response_to(inv, 200));
    EXPECT_TRUE(transport.starting("CANCEL").empty());
    EXPECT_FALSE(layer.cancel(layer.start_client(must_parse(request("OPTIONS", "z9hG4bK-o")),
                                                 target(transport_type::udp), {})));
}

TEST_F(ClientTxn, NonInviteTimerEDoublesToT2ThenFTimesOut) {
    const auto id =
        layer.start_client(must_parse(request("REGISTER")), target(transport_type::udp), record());
    EXPECT_EQ(layer.client_state(id), st::trying);
    clock.advance(31999ms);
    EXPECT_EQ(transport.times("REGISTER"),
              ms({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
    clock.advance(1ms);  // Timer F
    EXPECT_EQ(failures, (std::vector<client_failure>{client_failure::timeout}));
}

TEST_F(ClientTxn, NonInviteProceedingRetransmitsEveryT2AndStillTimesOut) {
    const auto req = request("REGISTER");
    const auto id = layer.start_client(must_parse(req), target(transport_type::udp), record());
    clock.advance(1000ms);
    deliver(response_to(req, 100));
    EXPECT_EQ(layer.client_state(id), st::proceeding);
    clock.advance(30999ms);
    // §17.1.2.2: in Proceeding, Timer E resets to T2 each time it fires.
    EXPECT_EQ(transport.times("REGISTER"),
              ms({0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500}));
    clock.advance(1ms);
    EXPECT_EQ(failures, (std::vector<client_failure>{client_failure::timeout}));
    EXPECT_EQ(responses, (std::vector<std::uint16_t>{100}));
}

TEST_F(ClientTxn, NonInviteFinalCompletesAndAbsorbsRetransmissionsUntilTimerK) {
    const auto req = request("OPTIONS");
    const auto id = layer.start_client(must_parse(req), target(transport_type::udp), record());
    deliver(response_to(req, 200));
    EXPECT_EQ(layer.client_state(id), st::completed);
    deliver(response_to(req, 200));
    EXPECT_EQ(responses, (std::vector<std::uint16_t>{200}));
    clock.advance(10s);
    EXPECT_EQ(transport.times("OPTIONS"), ms({0}));    // no retransmissions after the final
    EXPECT_FALSE(layer.client_state(id).has_value());  // Timer K = T4 (5 s) has fired
    EXPECT_TRUE(failures.empty());
}

TEST_F(ClientTxn, TimerKIsZeroOnReliableTransports) {
    const auto req = request("OPTIONS", "z9hG4bK-t", "TCP");
    const auto id = layer.start_client(must_parse(req), target(transport_type::tcp), record());
    deliver(response_to(req, 404), transport_type::tcp);
    EXPECT_EQ(layer.client_state(id), st::completed);
    clock.advance(1ms);
    EXPECT_FALSE(layer.client_state(id).has_value());
}

TEST_F(ClientTxn, ConfigurableTimers) {
    transaction_timers fast;
    fast.t1 = 100ms;
    fast.t2 = 400ms;
    transaction_layer quick(clock, transport, make_handlers(), fast);
    quick.start_client(must_parse(request("MESSAGE")), target(transport_type::udp), record());
    clock.advance(6400ms);
    EXPECT_EQ(transport.times("MESSAGE"), ms({0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100,
                                              3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300}));
    EXPECT_EQ(failures, (std::vector<client_failure>{client_failure::timeout}));
}

TEST_F(ClientTxn, RequestsThatCannotHaveATransaction) {
    EXPECT_EQ(layer.start_client(must_parse(request("ACK")), target(transport_type::udp), {}), 0u);
    EXPECT_EQ(layer.start_client(must_parse(request("INVITE", "old-2543-branch")),
                                 target(transport_type::udp), {}),
              0u);
    ASSERT_NE(layer.start_client(must_parse(request("INVITE")), target(transport_type::udp), {}),
              0u);
    // Same branch and method again: not a new transaction.
    EXPECT_EQ(layer.start_client(must_parse(request("INVITE")), target(transport_type::udp), {}),
              0u);
}

TEST_F(ClientTxn, ResponseForAnotherMethodOnTheSameBranchDoesNotMatch) {
    const auto inv = request("INVITE");
    layer.start_client(must_parse(inv), target(transport_type::udp), record());
    deliver(response_to(request("CANCEL"), 200));  // same branch, method CANCEL
    EXPECT_TRUE(responses.empty());
    EXPECT_EQ(strays.size(), 1u);
}

}  // namespace
}  // namespace sbc::sip::test
