#pragma once
// A transaction_transport that records what goes out and when (on the fake clock), fails on
// demand, and keeps `done` callbacks so a test can fail a send later. The transport is faked
// because these tests are about state machines and timers: real transports have their own.

#include <string>
#include <vector>

#include "sip/builder.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transport/timer_wheel.hpp"

namespace sbc::sip::test {

struct sent_message {
    std::string bytes;
    std::chrono::milliseconds at;  // since the test's start
    transport_target to;
    bool response = false;
};

class fake_transport final : public transaction_transport {
  public:
    explicit fake_transport(timer_wheel& clock) : clock_(clock), start_(clock.now()) {}

    send_status send_request(const transport_target& to, std::string bytes, send_callback done,
                             connection_id* used) override {
        record(std::move(bytes), to, false);
        if (fail_next != send_status::ok) {
            return std::exchange(fail_next, send_status::ok);
        }
        if (done) {
            pending.push_back(std::move(done));
        }
        if (used != nullptr) {
            *used = is_reliable(to.type) ? 77 : 0;
        }
        return send_status::ok;
    }

    send_status send_response(const transport_context& ctx, const via&, std::string bytes,
                              send_callback done) override {
        transport_target to{ctx.type, ctx.remote, {}, ctx.connection};
        record(std::move(bytes), to, true);
        if (fail_next != send_status::ok) {
            return std::exchange(fail_next, send_status::ok);
        }
        if (done) {
            pending.push_back(std::move(done));
        }
        return send_status::ok;
    }

    // Sent messages whose start line begins with `prefix` ("INVITE", "ACK", "SIP/2.0 486").
    std::vector<sent_message> starting(std::string_view prefix) const {
        std::vector<sent_message> r;
        for (const auto& m : out) {
            if (m.bytes.starts_with(prefix)) {
                r.push_back(m);
            }
        }
        return r;
    }
    std::vector<std::chrono::milliseconds> times(std::string_view prefix) const {
        std::vector<std::chrono::milliseconds> r;
        for (const auto& m : starting(prefix)) {
            r.push_back(m.at);
        }
        return r;
    }

    std::vector<sent_message> out;
    std::vector<send_callback> pending;
    send_status fail_next = send_status::ok;

  private:
    void record(std::string bytes, const transport_target& to, bool response) {
        out.push_back({std::move(bytes),
                       std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - start_),
                       to, response});
    }
    timer_wheel& clock_;
    time_point start_;
};

inline message must_parse(const std::string& s) {
    auto r = parse(s);
    if (!r) {
        throw std::runtime_error("test message does not parse: " + std::string(r.error().reason()));
    }
    return std::move(r.value());
}

inline std::string request(std::string_view method, std::string_view branch = "z9hG4bK-a1",
                           std::string_view transport = "UDP", int cseq = 1,
                           std::string_view extra = {}) {
    std::string m(method);
    return m + " sip:bob@192.0.2.2 SIP/2.0\r\n" + "Via: SIP/2.0/" + std::string(transport) +
           " 192.0.2.1:5060;branch=" + std::string(branch) + "\r\n" +
           "Route: <sip:proxy.test;lr>\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:alice@test>;tag=from1\r\n"
           "To: <sip:bob@test>\r\n"
           "Call-ID: call-1@test\r\n"
           "CSeq: " +
           std::to_string(cseq) + " " + m + "\r\n" + std::string(extra) +
           "Content-Length: 0\r\n\r\n";
}

inline message response_to(const std::string& req, std::uint16_t code,
                           std::string_view to_tag = "to1") {
    return must_parse(response_for(must_parse(req), code, {}, to_tag).serialize());
}

}  // namespace sbc::sip::test
