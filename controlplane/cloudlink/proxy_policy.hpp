#pragma once
// Which way a CloudLink request goes (guide 8.2): through the HTTP proxy the config names
// ([cloudlink.proxy] address/port), or the one sbcd's environment names (HTTPS_PROXY and
// NO_PROXY, the way /etc/sysconfig/proxy-osv is read as the unit's EnvironmentFile), or
// straight; NO_PROXY entries (config and environment) with ports, domains and CIDRs bypass the
// proxy. The proxy password comes from a root-only file, never the config text.
//
// HTTP_PROXY applies to http:// URLs only (curl's and the guide's semantics); the CloudLink
// base URL is always https, so it is reported and not used.

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "config/no_proxy.hpp"
#include "controlplane/cloudlink/http_worker.hpp"

namespace sbc::cp::cloudlink {

class proxy_policy {
  public:
    using getenv_fn = std::function<const char*(const char*)>;

    // Reads the environment through `getenv` (tests give their own). Problems (an unreadable
    // password file, a malformed HTTPS_PROXY, NO_PROXY entries that do not parse) end up in
    // problems(), and status shows them.
    proxy_policy(const config::proxy_section& cfg, getenv_fn getenv);

    // The route for a request to host:port (host as in the URL: a name or an IP literal).
    proxy_route route(std::string_view host, std::uint16_t port) const;

    // For status: where the proxy comes from, which one, the bypass list; never the password.
    nlohmann::json describe() const;
    const std::vector<std::string>& problems() const { return problems_; }

  private:
    std::string source_;     // "none", "config", "environment"
    std::string proxy_url_;  // "http://host:port" or ""
    std::string username_, password_;
    config::no_proxy_list bypass_;
    std::string ignored_http_proxy_;
    std::vector<std::string> problems_;
};

// "https://host:port/path" -> host and port (443 by default); false when not https.
bool split_https_url(std::string_view url, std::string& host, std::uint16_t& port);

}  // namespace sbc::cp::cloudlink
