#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "fake_transport.hpp"

namespace sbc::sip::test {

using namespace std::chrono_literals;
using st = transaction_layer::state;

// A transaction layer on a hand-driven clock and a recording fake transport.
class TxnTest : public ::testing::Test {
  protected:
    struct incoming {
        transaction_id id;
        std::string bytes;
        transaction_id cancelled;
    };

    transaction_layer::handlers make_handlers() {
        transaction_layer::handlers h;
        h.on_request = [this](transaction_id id, const message& m, const transport_context&,
                              transaction_id cancelled) {
            requests.push_back({id, std::string(m.data()), cancelled});
        };
        h.on_ack = [this](message&& m, const transport_context&) { acks.emplace_back(m.data()); };
        h.on_stray_response = [this](message&& m, const transport_context&) {
            strays.emplace_back(m.data());
        };
        h.on_server_failure = [this](transaction_id id, server_failure why) {
            server_failures.emplace_back(id, why);
        };
        return h;
    }

    // Callbacks that record into this fixture.
    transaction_layer::client_callbacks record() {
        return {[this](const message& m, const transport_context&) {
                    responses.push_back(m.status_code());
                },
                [this](client_failure why) { failures.push_back(why); }};
    }

    static transport_context ctx(transport_type type) {
        transport_context c;
        c.type = type;
        c.remote = *socket_address::parse("192.0.2.1:5060");
        c.local = *socket_address::parse("192.0.2.9:5060");
        c.connection = type == transport_type::udp ? 0 : 5;
        return c;
    }
    static transport_target target(transport_type type) {
        return {type, *socket_address::parse("192.0.2.2:5060"), {}, 0};
    }

    void deliver(const std::string& bytes, transport_type type = transport_type::udp) {
        layer.receive(must_parse(bytes), ctx(type));
    }
    void deliver(message m, transport_type type = transport_type::udp) {
        layer.receive(std::move(m), ctx(type));
    }

    timer_wheel clock{time_point{std::chrono::hours(1)}};
    fake_transport transport{clock};
    std::vector<incoming> requests;
    std::vector<std::string> acks;
    std::vector<std::string> strays;
    std::vector<std::pair<transaction_id, server_failure>> server_failures;
    std::vector<std::uint16_t> responses;
    std::vector<client_failure> failures;
    transaction_layer layer{clock, transport, make_handlers()};
};

inline std::vector<std::chrono::milliseconds> ms(std::initializer_list<long> values) {
    std::vector<std::chrono::milliseconds> r;
    for (long v : values) {
        r.emplace_back(v);
    }
    return r;
}

}  // namespace sbc::sip::test
