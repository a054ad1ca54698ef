#pragma once
// Well-known header names, their compact forms (RFC 3261 §7.3.3 and the extensions that define
// one) and the typed slot each gets in a parsed message.

#include <cstdint>
#include <string_view>

namespace sbc::sip {

// X(id, canonical name, compact form or 0)
#define SBC_SIP_HEADERS(X)                             \
    X(via, "Via", 'v')                                 \
    X(from, "From", 'f')                               \
    X(to, "To", 't')                                   \
    X(call_id, "Call-ID", 'i')                         \
    X(cseq, "CSeq", 0)                                 \
    X(max_forwards, "Max-Forwards", 0)                 \
    X(contact, "Contact", 'm')                         \
    X(route, "Route", 0)                               \
    X(record_route, "Record-Route", 0)                 \
    X(path, "Path", 0)                                 \
    X(expires, "Expires", 0)                           \
    X(min_expires, "Min-Expires", 0)                   \
    X(content_length, "Content-Length", 'l')           \
    X(content_type, "Content-Type", 'c')               \
    X(content_encoding, "Content-Encoding", 'e')       \
    X(content_disposition, "Content-Disposition", 0)   \
    X(authorization, "Authorization", 0)               \
    X(www_authenticate, "WWW-Authenticate", 0)         \
    X(proxy_authenticate, "Proxy-Authenticate", 0)     \
    X(proxy_authorization, "Proxy-Authorization", 0)   \
    X(authentication_info, "Authentication-Info", 0)   \
    X(user_agent, "User-Agent", 0)                     \
    X(server, "Server", 0)                             \
    X(supported, "Supported", 'k')                     \
    X(require, "Require", 0)                           \
    X(proxy_require, "Proxy-Require", 0)               \
    X(allow, "Allow", 0)                               \
    X(unsupported, "Unsupported", 0)                   \
    X(session_expires, "Session-Expires", 'x')         \
    X(min_se, "Min-SE", 0)                             \
    X(refer_to, "Refer-To", 'r')                       \
    X(referred_by, "Referred-By", 'b')                 \
    X(replaces, "Replaces", 0)                         \
    X(p_asserted_identity, "P-Asserted-Identity", 0)   \
    X(p_preferred_identity, "P-Preferred-Identity", 0) \
    X(privacy, "Privacy", 0)                           \
    X(geolocation, "Geolocation", 0)                   \
    X(geolocation_routing, "Geolocation-Routing", 0)   \
    X(reason, "Reason", 0)                             \
    X(rseq, "RSeq", 0)                                 \
    X(rack, "RAck", 0)                                 \
    X(event, "Event", 'o')                             \
    X(allow_events, "Allow-Events", 'u')               \
    X(subscription_state, "Subscription-State", 0)     \
    X(retry_after, "Retry-After", 0)                   \
    X(subject, "Subject", 's')                         \
    X(accept, "Accept", 0)                             \
    X(accept_encoding, "Accept-Encoding", 0)           \
    X(accept_language, "Accept-Language", 0)           \
    X(accept_contact, "Accept-Contact", 'a')           \
    X(reject_contact, "Reject-Contact", 'j')           \
    X(request_disposition, "Request-Disposition", 'd') \
    X(identity, "Identity", 'y')                       \
    X(date, "Date", 0)                                 \
    X(timestamp, "Timestamp", 0)                       \
    X(warning, "Warning", 0)                           \
    X(organization, "Organization", 0)                 \
    X(call_info, "Call-Info", 0)                       \
    X(alert_info, "Alert-Info", 0)                     \
    X(history_info, "History-Info", 0)                 \
    X(diversion, "Diversion", 0)                       \
    X(security_client, "Security-Client", 0)           \
    X(security_server, "Security-Server", 0)           \
    X(security_verify, "Security-Verify", 0)           \
    X(mime_version, "MIME-Version", 0)

enum class header_id : uint8_t {
#define SBC_SIP_HEADER_ENUM(id, name, compact) id,
    SBC_SIP_HEADERS(SBC_SIP_HEADER_ENUM)
#undef SBC_SIP_HEADER_ENUM
        other,  // any header not in the table: match it by name
};

inline constexpr std::size_t header_id_count = std::size_t(header_id::other);

// Classifies a header name: case-insensitive, compact forms accepted. header_id::other if unknown.
header_id classify_header(std::string_view name);
namespace detail {
// classify_header() for the parser: `readable_16` says 16 bytes at `name` may be read.
header_id classify_header_at(const char* name, std::size_t size, bool readable_16);
}  // namespace detail
// Canonical spelling ("Call-ID"); "" for other.
std::string_view header_name(header_id id);
// Compact form or 0.
char header_compact(header_id id);

}  // namespace sbc::sip
