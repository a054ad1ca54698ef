#pragma once
// NO_PROXY entries (guide 8.2, /etc/sysconfig/proxy syntax): which destinations bypass the proxy.
// Shared by the config check ([cloudlink.proxy] no_proxy) and the CloudLink client, which also
// reads NO_PROXY from the environment.
//
// An entry is `*` (everything), a host name or domain (`example.com` or `.example.com`: the name
// and every name under it), an IP literal, a CIDR (`10.0.0.0/8`), each optionally with a port
// (`11.12.13.14:8289`, `[2001:db8::1]:443`, `cmp.example.com:8289`): with a port the entry
// bypasses only connections to that port. Names are not resolved: an IP or CIDR entry matches a
// URL whose host is an IP literal (what curl and the guide's OSV do).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/address.hpp"

namespace sbc::config {

struct no_proxy_entry {
    enum class kind : std::uint8_t { any, domain, address };
    kind what = kind::any;
    std::string domain;      // lower case, no leading dot
    ip_prefix prefix;        // an IP literal is a full-length prefix
    std::uint16_t port = 0;  // 0: any port

    bool matches(std::string_view host, std::uint16_t port) const;
};

// One entry, surrounding blanks allowed. nullopt when it is none of the forms above.
std::optional<no_proxy_entry> parse_no_proxy_entry(std::string_view text);

struct no_proxy_list {
    std::vector<no_proxy_entry> entries;
    std::vector<std::string> rejected;  // entries that did not parse (reported, never guessed)

    bool bypass(std::string_view host, std::uint16_t port) const;
};

// A comma-separated NO_PROXY value (the environment's form); empty items are skipped.
no_proxy_list parse_no_proxy(std::string_view text);

}  // namespace sbc::config
