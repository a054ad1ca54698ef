// Transactions over real transports on loopback (transport_binding): a UAC and a UAS, each a
// transport_layer + transaction_layer on one io_loop.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/builder.hpp"
#include "sip/ids.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transaction/transport_binding.hpp"
#include "sip/transport/io_loop.hpp"
#include "sip/transport/transport_layer.hpp"

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool run_until(io_loop& loop, Pred done) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < end) {
        loop.run_once(20ms);
    }
    return done();
}

// One SIP element: transports + transactions; as a UAS it answers every request with `answer`.
struct element {
    explicit element(io_loop& loop)
        : transports(loop, {},
                     {[this](message&& m, const transport_context& ctx) {
                          transactions.receive(std::move(m), ctx);
                      },
                      {}}),
          binding(transports),
          transactions(loop.timers(), binding,
                       {[this](transaction_id id, const message& m, const transport_context&,
                               transaction_id) {
                            seen.emplace_back(m.method());
                            if (answer != 0) {
                                transactions.respond(id, answer);
                            }
                        },
                        {},
                        {},
                        {}}) {}

    transport_layer transports;
    transport_binding binding;
    transaction_layer transactions;
    std::vector<std::string> seen;
    std::uint16_t answer = 200;
};

std::string options_to(const socket_address& to, std::string_view transport) {
    return outgoing_message::request("OPTIONS", "sip:" + to.to_string())
        .add("Via", "SIP/2.0/" + std::string(transport) + " 127.0.0.1:5060;branch=" + make_branch())
        .add("Max-Forwards", "70")
        .add("From", "<sip:uac@test>;tag=" + make_tag())
        .add("To", "<sip:uas@test>")
        .add("Call-ID", make_call_id())
        .add("CSeq", "1 OPTIONS")
        .serialize();
}

TEST(TransactionsOverTransports, OptionsOverUdpAndTcp) {
    io_loop loop;
    element uas(loop);
    element uac(loop);
    const auto any = *socket_address::parse("127.0.0.1:0");
    const auto udp = *uas.transports.listen_udp(any);
    const auto tcp = *uas.transports.listen_tcp(any);
    ASSERT_TRUE(uac.transports.listen_udp(any).ok());
    for (auto [type, to] :
         {std::pair{transport_type::udp, udp}, std::pair{transport_type::tcp, tcp}}) {
        std::vector<std::uint16_t> got;
        auto req = parse(options_to(to, transport_name(type)));
        ASSERT_TRUE(req.ok());
        const auto id = uac.transactions.start_client(
            std::move(req.value()), {type, to, {}, 0},
            {[&](const message& m, const transport_context&) { got.push_back(m.status_code()); },
             {}});
        ASSERT_NE(id, 0u);
        ASSERT_TRUE(run_until(loop, [&] { return !got.empty(); }));
        EXPECT_EQ(got, (std::vector<std::uint16_t>{200}));
    }
    EXPECT_EQ(uas.seen, (std::vector<std::string>{"OPTIONS", "OPTIONS"}));
}

TEST(TransactionsOverTransports, UnreachableTcpPeerIsATransportError) {
    io_loop loop;
    element uac(loop);
    const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    auto addr = *socket_address::parse("127.0.0.1:0");
    ASSERT_EQ(::bind(probe, addr.sa(), addr.size()), 0);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(probe, reinterpret_cast<sockaddr*>(&ss), &len);
    ::close(probe);
    const auto to = socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    std::vector<client_failure> failures;
    auto req = parse(options_to(to, "TCP"));
    uac.transactions.start_client(std::move(req.value()), {transport_type::tcp, to, {}, 0},
                                  {{}, [&](client_failure f) { failures.push_back(f); }});
    ASSERT_TRUE(run_until(loop, [&] { return !failures.empty(); }));
    EXPECT_EQ(failures[0], client_failure::transport_error);
}

}  // namespace
}  // namespace sbc::sip
