#pragma once
// SIP, SIPS and TEL URIs (RFC 3261 §19.1, RFC 3966), zero-copy: every field is a view into the
// text the URI was parsed from.

#include <cstdint>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/params.hpp"

namespace sbc::sip {

enum class uri_scheme : uint8_t { sip, sips, tel, other };
enum class host_kind : uint8_t { none, name, ipv4, ipv6 };

struct host_port {
    std::string_view host;  // as written; an IPv6 reference keeps its brackets: "[2001:db8::1]"
    host_kind kind = host_kind::none;
    uint16_t port = 0;
    bool has_port = false;

    // The host without IPv6 brackets ("2001:db8::1"), e.g. for inet_pton.
    std::string_view address() const;
};

// Parses host[:port] (hostname, IPv4, "[IPv6]") in full; fails on trailing text.
result<host_port> parse_host_port(std::string_view text);

struct uri {
    std::string_view text;  // the whole URI as written
    uri_scheme scheme = uri_scheme::other;
    std::string_view scheme_name;  // as written ("sip", "SIP", "tel", "urn")
    std::string_view user;         // still %-escaped; tel: the number
    std::string_view password;
    bool has_user = false;
    bool has_password = false;
    host_port hp;
    param_list params;         // ";transport=tcp;lr" (tel: ";phone-context=...")
    std::string_view headers;  // after '?', without it: "subject=x&priority=urgent"
    std::string_view opaque;   // scheme other: everything after "scheme:"

    bool is_sip() const { return scheme == uri_scheme::sip || scheme == uri_scheme::sips; }
    std::string_view host() const { return hp.host; }
    uint16_t port() const { return hp.port; }

    // Well-known uri-parameters (RFC 3261 §19.1.1, RFC 5626 ob).
    std::string_view transport() const;  // "" when absent
    bool lr() const { return params.has("lr"); }
    std::string_view maddr() const;
    bool ob() const { return params.has("ob"); }
    std::string_view user_param() const;  // "phone", "ip", ...
    bool user_is_phone() const;
};

// A SIP/SIPS/TEL URI, or an absoluteURI of another scheme ("urn:service:sos", "http://…") kept
// opaque. Returns malformed_uri on syntax errors.
result<uri> parse_uri(std::string_view text);

// RFC 3261 §19.1.4 comparison for SIP/SIPS URIs: user/password case-sensitive after unescaping,
// host case-insensitive, transport/user/ttl/method/maddr params must match when either has them,
// headers ignored here. Other schemes compare as case-insensitive text.
bool uri_equal(const uri& a, const uri& b);

}  // namespace sbc::sip
