// Our transports (with transactions) answering SIPp 3.6 over UDP and TCP on loopback: SIPp
// sends REGISTER + OPTIONS at a fixed rate for a bounded count; every call must succeed.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <sstream>

#include "sip/transaction/transaction_layer.hpp"
#include "sip/transaction/transport_binding.hpp"
#include "test_support.hpp"

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;

struct answering_server {
    explicit answering_server(io_loop& loop)
        : transports(loop, {},
                     {[this](message&& m, const transport_context& ctx) {
                          transactions.receive(std::move(m), ctx);
                      },
                      {}}),
          binding(transports),
          transactions(loop.timers(), binding,
                       {[this](transaction_id id, const message& m, const transport_context&,
                               transaction_id) {
                            ++(m.method_kind() == sip_method::register_ ? registers : options);
                            transactions.respond(id, 200);
                        },
                        {},
                        {},
                        {}}) {}

    transport_layer transports;
    transport_binding binding;
    transaction_layer transactions;
    int registers = 0;
    int options = 0;
};

// The value of `column` in the last row of SIPp's -trace_stat CSV (';'-separated).
long stat_value(const std::string& csv, const std::string& column) {
    std::istringstream in(csv);
    std::string header;
    std::string line;
    std::string last;
    std::getline(in, header);
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    auto split = [](const std::string& s) {
        std::vector<std::string> out;
        std::string cell;
        std::istringstream cells(s);
        while (std::getline(cells, cell, ';')) {
            out.push_back(cell);
        }
        return out;
    };
    const auto names = split(header);
    const auto values = split(last);
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        if (names[i] == column) {
            return std::stol(values[i]);
        }
    }
    return -1;
}

void run_sipp(transport_type type) {
    if (!test::have_program("sipp")) {
        GTEST_SKIP() << "sipp (Debian sip-tester) not installed";
    }
    constexpr int calls = 300;
    io_loop loop;
    answering_server server(loop);
    const auto any = *socket_address::parse("127.0.0.1:0");
    auto bound = type == transport_type::udp ? server.transports.listen_udp(any)
                                             : server.transports.listen_tcp(any);
    ASSERT_TRUE(bound.ok()) << bound.error();
    test::temp_dir dir;
    const char* source_dir = std::getenv("SBC_SOURCE_DIR");
    const std::string scenario = std::string(source_dir != nullptr ? source_dir : ".") +
                                 "/tests/sip/transport/sipp/register_options.xml";
    const std::string stats = dir.file("stats.csv");
    const auto port = test::free_port(type == transport_type::udp ? SOCK_DGRAM : SOCK_STREAM);
    test::child_process sipp({"sipp",
                              bound->to_string(),
                              "-sf",
                              scenario,
                              "-t",
                              type == transport_type::udp ? "u1" : "t1",
                              "-i",
                              "127.0.0.1",
                              "-p",
                              std::to_string(port),
                              "-m",
                              std::to_string(calls),
                              "-r",
                              "150",
                              "-l",
                              "100",
                              "-nostdin",
                              "-timeout",
                              "60s",
                              "-timeout_error",
                              "-trace_stat",
                              "-stf",
                              stats,
                              "-fd",
                              "1"},
                             dir.file("sipp.out"));
    ASSERT_TRUE(test::run_until(
        loop, [&] { return sipp.exited(); }, 90s))
        << sipp.output();
    EXPECT_EQ(sipp.exit_code(), 0) << sipp.output();
    const std::string csv = test::read_file(stats);
    EXPECT_EQ(stat_value(csv, "SuccessfulCall(C)"), calls) << csv;
    EXPECT_EQ(stat_value(csv, "FailedCall(C)"), 0) << csv;
    EXPECT_EQ(server.registers, calls);
    EXPECT_EQ(server.options, calls);
    EXPECT_EQ(server.transports.counters().malformed_requests, 0u);
}

TEST(SippAgainstTransport, RegisterAndOptionsOverUdp) {
    run_sipp(transport_type::udp);
}

TEST(SippAgainstTransport, RegisterAndOptionsOverTcp) {
    run_sipp(transport_type::tcp);
}

}  // namespace
}  // namespace sbc::sip
