#pragma once
// The SIP trace: the last messages sbcd received and sent on both realms, decrypted, with the
// addresses and time they had on the wire, in a ring bounded in messages and in bytes (the
// oldest go first). `sbcctl trace sip [--aor A] [--call-id C] [--pcap FILE]` reads it. Secrets
// stay out of what it answers: digest responses and SDES keys are masked unless the operator
// asks for them (`--with-keys`, logged as an audit event by the mgmt handler).

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "controlplane/realm_edge.hpp"

namespace sbc::cp {

struct sip_trace_limits {
    std::size_t max_messages = 2000;
    std::size_t max_bytes = 8u << 20;
};

// What one answer carries at most in hex: the mgmt protocol's line is 1 MiB.
inline constexpr std::size_t max_answer_hex_bytes = 640u << 10;

struct sip_trace_query {
    std::string aor;      // From or To names it ("sip:alice@pbx.local"); empty: any
    std::string call_id;  // exact Call-ID; empty: any
    bool with_keys = false;
    std::size_t limit = 200;  // the newest this many that match (and fit one answer)
};

class sip_trace final : public message_tap {
  public:
    struct entry {
        std::chrono::system_clock::time_point at;
        realm_id realm;
        sip_direction direction;
        sip::transport_type transport;
        sip::socket_address local;
        sip::socket_address remote;
        std::string bytes;
    };

    explicit sip_trace(sip_trace_limits limits = {}) : limits_(limits) {}

    void on_message(realm_id realm, sip_direction direction, sip::transport_type transport,
                    const sip::socket_address& local, const sip::socket_address& remote,
                    std::string_view bytes) override;

    // {"messages": [{"time_ns", "realm", "direction", "transport", "local", "remote",
    // "bytes_hex"}...], "shown", "matched", "held", "masked"}, oldest first. The bytes go as hex:
    // they are peer bytes, exact for the pcap, and the JSON stays ASCII.
    nlohmann::json query(const sip_trace_query& q) const;

    std::size_t size() const { return ring_.size(); }
    std::size_t bytes() const { return bytes_; }

  private:
    sip_trace_limits limits_;
    std::deque<entry> ring_;
    std::size_t bytes_ = 0;
};

// `message` with the digest `response=` of Authorization/Proxy-Authorization and the key of
// every SDP `a=crypto:... inline:KEY` replaced by "masked" (RFC 3261 §22.4, RFC 4568 §6.1).
std::string mask_secrets(std::string_view message);

}  // namespace sbc::cp
