#pragma once
// What sbcd lets through toward the PBX ([sip_server] limits). The SBC is OSV's shield: a
// request it relays must be well-formed SIP and fit what a PBX accepts, or one client can make
// OSV drop it — and with it the TCP connection every other client's requests share (Kamailio,
// the OSV stand-in, reads a whole message into a 16 KiB buffer and closes the connection on
// "buffer overrun"; issue 10, findings 2 and 3).
//
// Two places apply these rules (controlplane/README.md, "Limits toward the core"):
//  * admission: every message that enters from the access realm (check_message). A request that
//    breaks a rule is answered at once — 413 (too large: message, header count, header line),
//    488 with a Warning (SDP line), 400 (a control character in a header value) — and goes no
//    further; an ACK or a response is dropped. Nothing is created for it.
//  * egress: every message sbcd sends toward the core realm (check_wire), whatever built it.
//    A message that breaks a rule is not sent: counted, logged, and the sender sees a failed
//    send (the client then gets its answer from the B2BUA or the registrar).
// Both count per rule; `sbcctl sip` shows the counters (part "core_limits").

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "sip/message.hpp"

namespace sbc::cp {

struct core_limits {
    std::size_t max_message_bytes = 12288;
    std::size_t max_headers = 64;
    std::size_t max_header_bytes = 2048;  // one header line with its folds, CRLF excluded
    std::size_t max_sdp_line_bytes = 1024;

    static core_limits from(const config::sip_server_section& s);
};

// X(name, SIP status for a refused request, what broke)
#define SBC_CP_LIMIT_BREACHES(X)                                      \
    X(message_size, 413, "message larger than the PBX takes")         \
    X(header_count, 413, "more headers than the PBX takes")           \
    X(header_line, 413, "header line longer than the PBX takes")      \
    X(sdp_line, 488, "SDP line longer than the PBX takes")            \
    X(control_character, 400, "control character in a header value")  \
    X(sdp_control_character, 400, "control character in an SDP line") \
    X(not_sip, 500, "not a well-formed SIP message")

enum class limit_breach : std::uint8_t {
#define SBC_CP_BREACH_ENUM(name, status, text) name,
    SBC_CP_LIMIT_BREACHES(SBC_CP_BREACH_ENUM)
#undef SBC_CP_BREACH_ENUM
        count_,
    none = count_
};
std::string_view breach_name(limit_breach b);

struct limit_check {
    limit_breach breach = limit_breach::none;
    std::string where;  // the header's name, "SDP line 7", or the parser's reason
    std::size_t size = 0, limit = 0;

    explicit operator bool() const { return breach == limit_breach::none; }
    std::uint16_t status() const;
    // A reason phrase for the refusal: "Request Entity Too Large (Accept header line of 7003
    // bytes, the PBX takes 2048)". Names and sizes only: no peer bytes.
    std::string reason() const;
};

// A parsed message against the limits (admission).
limit_check check_message(const sip::message& m, const core_limits& limits);
// The bytes about to be sent (egress): the limits, and that they parse as SIP.
limit_check check_wire(std::string_view bytes, const core_limits& limits);

// Refusals by rule, for admission and for egress.
struct limit_counters {
    std::uint64_t refused[static_cast<std::size_t>(limit_breach::count_)] = {};
    std::uint64_t total = 0;
    void count(limit_breach b) {
        ++refused[static_cast<std::size_t>(b)];
        ++total;
    }
    nlohmann::json json() const;
};

}  // namespace sbc::cp
