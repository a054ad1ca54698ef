#pragma once
// A registration binding as the state store keeps it (issue 15, controlplane/state): what a
// restarted sbcd needs to route OSV's requests to the flow token again and to keep the binding
// until its client re-registers — identity, the client's Contact and push parameters, OSV's
// side of the registration (Call-ID, From tag, CSeq, node), the client's last credentials (to
// de-register at OSV when the binding dies) and its deadlines as wall-clock times (the steady
// clock of the sbcd that wrote them means nothing to the next one).
//
// Not kept: the connection. TLS and TCP connections die with the process; a restored binding of
// a reliable transport has no flow until its client reconnects and re-registers (RFC 5626 §4.4,
// flow failure), exactly like a binding whose connection closed.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/binding_table.hpp"
#include "controlplane/result.hpp"

namespace sbc::cp {

// The value's first byte; a record of another version is refused (logged and skipped), never
// half-read.
inline constexpr uint8_t binding_record_version = 1;

struct durable_binding {
    using wall_time = std::chrono::system_clock::time_point;

    std::string token, aor, instance, contact;
    std::string user_agent;
    std::string pn_provider, pn_prid, pn_param;  // RFC 8599; empty provider: no push
    std::string call_id, credentials;
    std::string core_call_id, core_from_tag;
    std::string node;    // the OSV node's name (indices change with the config)
    std::string remote;  // the client's address, "192.0.2.1:5061"
    sip::transport_type transport = sip::transport_type::tls;
    wall_time client_expires_at{}, osv_refreshed_at{}, osv_expires_at{};
    uint32_t cseq = 0, core_cseq = 0, reg_id = 0;
    bool throttled = false, outbound = false;
};

// The two clocks at one instant: steady time points of this sbcd <-> wall-clock deadlines.
struct clock_pair {
    sip::time_point steady;
    std::chrono::system_clock::time_point wall;

    static clock_pair now() { return {sip::sip_clock::now(), std::chrono::system_clock::now()}; }
    std::chrono::system_clock::time_point to_wall(sip::time_point t) const {
        return wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - steady);
    }
    sip::time_point to_steady(std::chrono::system_clock::time_point t) const {
        return steady + std::chrono::duration_cast<sip::sip_clock::duration>(t - wall);
    }
};

durable_binding to_durable(const binding& b, std::string_view node_name, const clock_pair& now);

std::string encode_binding(const durable_binding& d);
// Errors say what is wrong and where ("binding record version 7 (this sbcd reads 1)", "cut
// short reading a string at byte 40", "transport 9"): the caller logs and skips the record.
cp::result<durable_binding> decode_binding(std::string_view value);

}  // namespace sbc::cp
