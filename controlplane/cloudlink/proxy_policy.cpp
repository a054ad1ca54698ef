#include "controlplane/cloudlink/proxy_policy.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <fstream>

namespace sbc::cp::cloudlink {

namespace {

const char* first_set(const proxy_policy::getenv_fn& getenv, const char* a, const char* b) {
    const char* v = getenv(a);
    if (v != nullptr && *v != '\0') {
        return v;
    }
    v = getenv(b);
    return v != nullptr && *v != '\0' ? v : nullptr;
}

// "http://[user:pass@]host:port[/]" (scheme optional, as curl accepts) -> url without the
// credentials, user, password. False when it is not a usable proxy URL.
bool parse_proxy_url(std::string_view text, std::string& url, std::string& user,
                     std::string& password) {
    if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else if (text.find("://") != std::string_view::npos) {
        return false;  // https:// or socks proxies: not supported here
    }
    if (!text.empty() && text.back() == '/') {
        text.remove_suffix(1);
    }
    if (const auto at = text.rfind('@'); at != std::string_view::npos) {
        std::string_view cred = text.substr(0, at);
        text.remove_prefix(at + 1);
        const auto colon = cred.find(':');
        user = std::string(cred.substr(0, colon));
        password = colon == std::string_view::npos ? "" : std::string(cred.substr(colon + 1));
    }
    std::string host;
    std::uint16_t port = 0;
    if (!split_https_url("https://" + std::string(text), host, port) ||
        text.find('/') != text.npos) {
        return false;
    }
    if (text.find(':') == std::string_view::npos) {
        port = 1080;  // curl's default proxy port
    }
    url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
          std::to_string(port);
    return true;
}

}  // namespace

bool split_https_url(std::string_view url, std::string& host, std::uint16_t& port) {
    if (!url.starts_with("https://")) {
        return false;
    }
    url.remove_prefix(8);
    url = url.substr(0, url.find('/'));
    port = 443;
    std::string_view h = url;
    std::string_view p;
    if (!url.empty() && url.front() == '[') {
        const auto close = url.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        h = url.substr(1, close - 1);
        p = url.substr(close + 1);
        if (!p.empty() && p.front() != ':') {
            return false;
        }
        p = p.empty() ? p : p.substr(1);
    } else if (const auto colon = url.find(':'); colon != std::string_view::npos) {
        h = url.substr(0, colon);
        p = url.substr(colon + 1);
    }
    if (h.empty()) {
        return false;
    }
    if (!p.empty()) {
        unsigned v = 0;
        for (char c : p) {
            if (c < '0' || c > '9' || v > 65535) {
                return false;
            }
            v = v * 10 + unsigned(c - '0');
        }
        if (v == 0 || v > 65535) {
            return false;
        }
        port = static_cast<std::uint16_t>(v);
    }
    host = std::string(h);
    return true;
}

proxy_policy::proxy_policy(const config::proxy_section& cfg, getenv_fn getenv) {
    source_ = "none";
    for (const auto& entry : cfg.no_proxy) {
        if (auto e = config::parse_no_proxy_entry(entry)) {
            bypass_.entries.push_back(std::move(*e));
        }
    }
    if (cfg.enable) {
        source_ = "config";
        const bool v6 = cfg.address.find(':') != std::string::npos;
        proxy_url_ = "http://" + (v6 ? "[" + cfg.address + "]" : cfg.address) + ":" +
                     std::to_string(cfg.port);
    } else if (cfg.from_environment) {
        source_ = "environment";
        if (const char* v = first_set(getenv, "https_proxy", "HTTPS_PROXY")) {
            if (!parse_proxy_url(v, proxy_url_, username_, password_)) {
                problems_.push_back("HTTPS_PROXY is not an http://host:port proxy URL: not used");
                proxy_url_.clear();
            }
        }
        if (const char* v = first_set(getenv, "http_proxy", "HTTP_PROXY")) {
            ignored_http_proxy_ = v;
        }
        if (const char* v = first_set(getenv, "no_proxy", "NO_PROXY")) {
            config::no_proxy_list env = config::parse_no_proxy(v);
            for (auto& e : env.entries) {
                bypass_.entries.push_back(std::move(e));
            }
            for (const auto& r : env.rejected) {
                problems_.push_back("NO_PROXY entry '" + r + "' is not understood: ignored");
            }
        }
    }
    if (!cfg.username.empty()) {
        username_ = cfg.username;
        password_.clear();
    }
    if (cfg.password_file) {
        std::ifstream in(*cfg.password_file);
        if (!in || !std::getline(in, password_)) {
            problems_.push_back("cannot read proxy.password_file " + *cfg.password_file);
            password_.clear();
        }
        if (!password_.empty() && password_.back() == '\r') {
            password_.pop_back();
        }
    }
}

proxy_route proxy_policy::route(std::string_view host, std::uint16_t port) const {
    if (proxy_url_.empty() || bypass_.bypass(host, port)) {
        return {};
    }
    return {proxy_url_, username_, password_};
}

nlohmann::json proxy_policy::describe() const {
    nlohmann::json j = {{"source", source_}, {"proxy", proxy_url_.empty() ? "none" : proxy_url_}};
    if (!username_.empty()) {
        j["username"] = username_;
    }
    nlohmann::json bypass = nlohmann::json::array();
    for (const auto& e : bypass_.entries) {
        std::string text;
        switch (e.what) {
            case config::no_proxy_entry::kind::any:
                text = "*";
                break;
            case config::no_proxy_entry::kind::domain:
                text = e.domain;
                break;
            case config::no_proxy_entry::kind::address: {
                char buf[64] = {};
                ::inet_ntop(e.prefix.network.family, e.prefix.network.bytes.data(), buf,
                            sizeof(buf));
                text = buf;
                const unsigned full = e.prefix.network.family == AF_INET ? 32 : 128;
                if (e.prefix.length != full) {
                    text.push_back('/');
                    text.append(std::to_string(e.prefix.length));
                }
                break;
            }
        }
        if (e.port != 0) {
            text.push_back(':');
            text.append(std::to_string(e.port));
        }
        bypass.push_back(text);
    }
    j["no_proxy"] = bypass;
    if (!ignored_http_proxy_.empty()) {
        j["http_proxy_ignored"] = "HTTP_PROXY is for http:// URLs; CloudLink is https only";
    }
    if (!problems_.empty()) {
        j["problems"] = problems_;
    }
    return j;
}

}  // namespace sbc::cp::cloudlink
