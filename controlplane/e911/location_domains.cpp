#include "controlplane/e911/location_domains.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "controlplane/counters_json.hpp"
#include "sip/builder.hpp"
#include "sip/ids.hpp"

namespace sbc::cp::e911 {

std::string domain_state::label() const {
    std::string out(config::to_string(cfg.transport));
    out.append(1, ':').append(cfg.url).append(1, ':').append(std::to_string(cfg.port));
    return out;
}

namespace {

// The url as an address: an IP literal, or a host name resolved once (RFC 3263's NAPTR/SRV
// steps are not done: the provider gives a host and a port).
std::optional<sip::socket_address> resolve(const config::location_domain& d, std::string& why) {
    if (auto ip = sip::socket_address::from_ip(d.url, d.port)) {
        return ip;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(d.url.c_str(), nullptr, &hints, &res);
    if (rc != 0 || res == nullptr) {
        why = "host name does not resolve (" + std::string(::gai_strerror(rc)) + ")";
        return std::nullopt;
    }
    auto a = sip::socket_address::from_sockaddr(res->ai_addr, res->ai_addrlen);
    ::freeaddrinfo(res);
    a.set_port(d.port);
    return a;
}

}  // namespace

location_domains::location_domains(realm_edge& access, const config::remote_endpoint& cfg)
    : access_(access), cfg_(cfg), call_id_(sip::make_call_id()) {
    for (const auto& d : cfg_.location_domains) {
        domain_state s;
        s.cfg = d;
        s.since = access_.loop().now();
        domains_.push_back(std::move(s));
    }
}

location_domains::~location_domains() {
    stop();
}

cp::status location_domains::start() {
    for (std::size_t i = 0; i < domains_.size(); ++i) {
        domain_state& d = domains_[i];
        const auto type = transport_of(d.cfg.transport);
        if (type == sip::transport_type::udp ? !access_.enabled(sip::transport_type::udp)
                                             : !access_.enabled(sip::transport_type::tcp) &&
                                                   !access_.enabled(sip::transport_type::tls)) {
            return cp::fail("remote_endpoint " + cfg_.name + ": realm " +
                            std::string(access_.name()) + " has no " +
                            std::string(sip::transport_name(type)) +
                            " listener to reach location domain " + d.label());
        }
        std::string why;
        auto address = resolve(d.cfg, why);
        if (!address) {
            set_health(i, domain_health::down, why);
            continue;
        }
        sip::transport_target t;
        t.type = type;
        t.address = *address;
        // TLS: the certificate must name the url (a host name, or the IP itself).
        t.server_name = sip::socket_address::from_ip(d.cfg.url, 0) ? std::string() : d.cfg.url;
        d.target = t;
    }
    for (std::size_t i = 0; i < domains_.size(); ++i) {
        if (domains_[i].target) {
            probe(i);
        }
    }
    keepalive_ = access_.loop().run_every(std::chrono::seconds(cfg_.options_interval_s), [this] {
        for (std::size_t i = 0; i < domains_.size(); ++i) {
            if (domains_[i].target && !domains_[i].probe_in_flight) {
                probe(i);
            }
        }
    });
    return cp::status::ok();
}

void location_domains::stop() {
    if (keepalive_ != 0) {
        access_.loop().cancel_every(keepalive_);
        keepalive_ = 0;
    }
    for (auto& d : domains_) {
        access_.loop().cancel_timer(d.probe_deadline);
    }
    life_.end();
}

std::vector<std::size_t> location_domains::order() const {
    std::vector<std::size_t> out;
    for (bool usable : {true, false}) {
        for (std::size_t i = 0; i < domains_.size(); ++i) {
            if (domains_[i].target && (domains_[i].health != domain_health::down) == usable) {
                out.push_back(i);
            }
        }
    }
    return out;
}

bool location_domains::is_domain_address(const sip::socket_address& source) const {
    const std::string ip = source.ip();
    for (const auto& d : domains_) {
        if (d.target && d.target->address.ip() == ip) {
            return true;
        }
    }
    return false;
}

std::string location_domains::request_uri(std::size_t i, std::string_view user) const {
    const domain_state& d = domains_[i];
    const sip::transport_target& t = *d.target;
    std::string ruri = "sip:";
    if (!user.empty()) {
        ruri.append(user).append(1, '@');
    }
    // TLS: the name the certificate is verified against; otherwise the resolved address.
    ruri.append(t.server_name.empty() ? t.address.to_string()
                                      : d.cfg.url + ":" + std::to_string(d.cfg.port));
    if (t.type == sip::transport_type::tcp) {
        ruri.append(";transport=tcp");
    } else if (t.type == sip::transport_type::tls) {
        ruri.append(";transport=tls");
    }
    return ruri;
}

void location_domains::probe(std::size_t i) {
    domain_state& d = domains_[i];
    send_probe(access_, *d.target, request_uri(i, ""), call_id_, ++cseq_, d, life_,
               [this, i](std::uint32_t round, domain_outcome outcome, std::string detail) {
                   probe_result(i, round, outcome, std::move(detail));
               });
}

void location_domains::probe_result(std::size_t i, std::uint32_t round, domain_outcome outcome,
                                    std::string detail) {
    domain_state& d = domains_[i];
    const auto verdict = settle_probe(access_, d, round, outcome, detail, cfg_.failure_threshold,
                                      cfg_.recovery_threshold);
    if (verdict && verdict->now) {
        set_health(i, *verdict->now,
                   outcome == domain_outcome::answered ? "OPTIONS answered" : std::move(detail));
    }
}

void location_domains::report(std::size_t i, domain_outcome outcome, std::string_view detail) {
    if (i >= domains_.size()) {
        return;
    }
    domain_state& d = domains_[i];
    if (outcome == domain_outcome::answered) {
        return;
    }
    ++d.calls_failed;
    d.successes_in_row = 0;
    d.reason = std::string(detail);
    if (d.health != domain_health::down) {
        set_health(i, domain_health::down, std::string(detail));
    }
}

void location_domains::record_failure(endpoint_failure f) {
    failures_.push_front(std::move(f));
    while (failures_.size() > 32) {
        failures_.pop_back();
    }
}

void location_domains::set_health(std::size_t i, domain_health h, std::string reason) {
    domain_state& d = domains_[i];
    if (d.health == h) {
        return;
    }
    const domain_health before = d.health;
    d.health = h;
    d.since = access_.loop().now();
    d.reason = std::move(reason);
    if (h == domain_health::down) {
        ++d.went_down;
        d.successes_in_row = 0;
        // An E911 route losing a domain is an operator's business at once.
        spdlog::error("remote_endpoint {}: location domain {} down: {}", cfg_.name, d.label(),
                      d.reason);
    } else {
        spdlog::info("remote_endpoint {}: location domain {} {} (was {})", cfg_.name, d.label(),
                     health_name(h), health_name(before));
    }
}

nlohmann::json location_domains::status() const {
    const auto now = access_.loop().now();
    nlohmann::json domains = nlohmann::json::array();
    for (std::size_t i = 0; i < domains_.size(); ++i) {
        const domain_state& d = domains_[i];
        // The keep-alive's counters from their family (options_keepalive.hpp), as the trunk does.
        nlohmann::json domain = counters_json(static_cast<const peer_probe_counters&>(d));
        domain.update(nlohmann::json{
            {"index", i},
            {"url", d.cfg.url},
            {"port", d.cfg.port},
            {"transport", std::string(config::to_string(d.cfg.transport))},
            {"address", d.target ? d.target->address.to_string() : std::string()},
            {"state", std::string(health_name(d.health))},
            {"since_s", std::chrono::duration_cast<std::chrono::seconds>(now - d.since).count()},
            {"reason", d.reason},
            {"calls_tried", d.calls_tried},
            {"calls_failed", d.calls_failed}});
        domains.push_back(std::move(domain));
    }
    return domains;
}

}  // namespace sbc::cp::e911
