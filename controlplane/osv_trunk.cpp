#include "controlplane/osv_trunk.hpp"

#include "controlplane/counters_json.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/counters_json.hpp"
#include "sip/builder.hpp"
#include "sip/ids.hpp"

namespace sbc::cp {

namespace {

// An established connection the node (or the network) took away. Failed connects and
// handshakes are not here: the request that wanted them hears of it as a transport error.
bool lost(sip::close_reason r) {
    return r == sip::close_reason::peer_closed || r == sip::close_reason::io_error;
}

}  // namespace

osv_trunk::osv_trunk(realm_edge& core, const config::sip_server_section& cfg)
    : core_(core), cfg_(cfg), call_id_(sip::make_call_id()) {
    for (const auto& n : cfg_.nodes) {
        trunk_node t;
        t.cfg = n;
        t.since = core_.loop().now();
        nodes_.push_back(std::move(t));
    }
    core_.on_closed(life_.guard([this](const sip::connection_closed& info) {
        if (!lost(info.reason)) {
            return;
        }
        for (node_index i = 0; i < count(); ++i) {
            const trunk_node& n = nodes_[i];
            if (n.target.type != info.type || !(n.target.address == info.remote)) {
                continue;
            }
            if (n.probe_in_flight) {
                // Sent down that connection: it will never be answered.
                probe_result(i, n.probe_round, node_outcome::transport_error,
                             "connection lost during OPTIONS");
            } else if (n.health != node_health::down) {
                // The node's connection went: find out now whether the node did too (once:
                // a node that keeps dropping connections fails this probe and goes down).
                probe(i);
            }
        }
    }));
}

osv_trunk::~osv_trunk() {
    stop();
}

cp::status osv_trunk::start() {
    for (auto& n : nodes_) {
        auto a = sip::socket_address::from_ip(n.cfg.address, n.cfg.port);
        if (!a) {
            return cp::fail("sip_server.node " + n.cfg.name +
                            ": not an IP address: " + n.cfg.address);
        }
        n.target.type = transport_of(n.cfg.transport);
        n.target.address = *a;
        if (n.target.type != sip::transport_type::udp &&
            !core_.enabled(n.target.type == sip::transport_type::tls ? sip::transport_type::tls
                                                                     : sip::transport_type::tcp) &&
            !core_.enabled(sip::transport_type::udp) && !core_.enabled(sip::transport_type::tcp)) {
            return cp::fail("sip_server.node " + n.cfg.name +
                            ": the core realm has no SIP listener");
        }
    }
    for (node_index i = 0; i < count(); ++i) {
        probe(i);
    }
    keepalive_ = core_.loop().run_every(std::chrono::seconds(cfg_.options_interval_s), [this] {
        for (node_index i = 0; i < count(); ++i) {
            if (!nodes_[i].probe_in_flight) {
                probe(i);
            }
        }
    });
    return cp::status::ok();
}

void osv_trunk::stop() {
    if (keepalive_ != 0) {
        core_.loop().cancel_every(keepalive_);
        keepalive_ = 0;
    }
    life_.end();  // orphans callbacks still in flight
}

void osv_trunk::probe(node_index i) {
    trunk_node& n = nodes_[i];
    std::string ruri = "sip:";
    ruri.append(n.target.address.to_string());
    if (n.target.type == sip::transport_type::tcp) {
        ruri.append(";transport=tcp");
    } else if (n.target.type == sip::transport_type::tls) {
        ruri.append(";transport=tls");
    }
    send_probe(core_, n.target, ruri, call_id_, ++cseq_, n, life_,
               [this, i](std::uint32_t round, probe_outcome outcome, std::string detail) {
                   probe_result(i, round, outcome, std::move(detail));
               });
}

void osv_trunk::probe_result(node_index i, std::uint32_t round, node_outcome outcome,
                             std::string detail) {
    trunk_node& n = nodes_[i];
    const auto verdict = settle_probe(core_, n, round, outcome, detail, cfg_.failure_threshold,
                                      cfg_.recovery_threshold);
    if (!verdict) {
        return;  // an abandoned probe, or one already decided by its deadline
    }
    if (outcome == node_outcome::answered) {
        if (n.suspect) {
            spdlog::info("sip_server node {} ({}) answered: no longer suspect", n.cfg.name,
                         n.target.address.to_string());
        }
        n.suspect = false;
        n.suspicions.clear();
    }
    if (verdict->now) {
        set_health(i, *verdict->now,
                   outcome == node_outcome::answered ? "OPTIONS answered" : std::move(detail));
        return;
    }
    if (outcome != node_outcome::answered && n.suspect && n.health != node_health::down) {
        probe(i);  // suspect: the next probe now, not at the next interval
    }
}

void osv_trunk::report(node_index i, node_outcome outcome, std::string_view detail,
                       std::string_view source) {
    if (i >= nodes_.size() || outcome == node_outcome::answered) {
        return;
    }
    trunk_node& n = nodes_[i];
    ++n.traffic_failures;
    if (outcome == node_outcome::transport_error) {
        // The transport could not reach the node: ask it now, through the same transport.
        if (n.health != node_health::down && !n.probe_in_flight) {
            probe(i);
        }
        return;
    }
    suspect(i, source, detail);
}

std::chrono::milliseconds osv_trunk::suspect_window() const {
    return 64 * core_.transactions().timers().t1;
}

void osv_trunk::suspect(node_index i, std::string_view source, std::string_view detail) {
    trunk_node& n = nodes_[i];
    if (n.health == node_health::down || n.suspect) {
        return;  // decided already, or being probed
    }
    const sip::time_point now = core_.loop().now();
    auto& seen = n.suspicions;
    std::erase_if(seen, [&](const auto& e) { return now - e.second > suspect_window(); });
    auto it =
        std::find_if(seen.begin(), seen.end(), [&](const auto& e) { return e.first == source; });
    if (it != seen.end()) {
        it->second = now;  // the same client again: still one source
        return;
    }
    seen.emplace_back(std::string(source), now);
    if (seen.size() < suspect_sources) {
        return;
    }
    seen.clear();
    n.suspect = true;
    ++n.suspected;
    spdlog::info("sip_server node {} ({}) suspect: {} from {} client sources within {} s; probing",
                 n.cfg.name, n.target.address.to_string(), detail, suspect_sources,
                 std::chrono::duration_cast<std::chrono::seconds>(suspect_window()).count());
    if (!n.probe_in_flight) {
        probe(i);
    }
}

void osv_trunk::set_health(node_index i, node_health h, std::string reason) {
    trunk_node& n = nodes_[i];
    if (n.health == h) {
        return;
    }
    const node_health before = n.health;
    n.health = h;
    n.since = core_.loop().now();
    n.reason = std::move(reason);
    if (h == node_health::down) {
        ++n.went_down;
        n.successes_in_row = 0;
        n.suspect = false;
        n.suspicions.clear();
        spdlog::warn("sip_server node {} ({}) down: {}", n.cfg.name, n.target.address.to_string(),
                     n.reason);
    } else {
        spdlog::info("sip_server node {} ({}) {} (was {})", n.cfg.name,
                     n.target.address.to_string(), health_name(h), health_name(before));
    }
    for (auto& fn : listeners_) {
        fn(i, h);
    }
}

std::optional<node_index> osv_trunk::first_usable(std::optional<node_index> skip) const {
    for (node_index i = 0; i < count(); ++i) {
        if (usable(i) && (!skip || *skip != i)) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<node_index> osv_trunk::select(std::optional<node_index> affinity) {
    if (nodes_.empty()) {
        return std::nullopt;
    }
    if (cfg_.comm_system_type != config::comm_system::clustered) {
        // Every node down: the preferred one is tried anyway (simplex: its only node).
        return first_usable(std::nullopt).value_or(node_index{0});
    }
    const bool known = affinity && *affinity < nodes_.size();
    if (known && usable(*affinity)) {
        return affinity;
    }
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const auto i = static_cast<node_index>((round_robin_ + k) % nodes_.size());
        if (usable(i)) {
            round_robin_ = i + 1;
            return i;
        }
    }
    if (known) {
        return affinity;
    }
    const auto i = static_cast<node_index>(round_robin_ % nodes_.size());
    round_robin_ = i + 1;
    return i;
}

std::optional<node_index> osv_trunk::alternative(node_index failed) {
    return first_usable(failed);
}

std::optional<node_index> osv_trunk::node_at(const sip::socket_address& source) const {
    const std::string ip = source.ip();
    for (node_index i = 0; i < count(); ++i) {
        if (nodes_[i].target.address.ip() == ip) {
            return i;
        }
    }
    return std::nullopt;
}

std::uint32_t osv_trunk::retry_after_s() const {
    const std::uint64_t s =
        static_cast<std::uint64_t>(cfg_.options_interval_s) * cfg_.recovery_threshold;
    return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(s, 5, 600));
}

nlohmann::json osv_trunk::status() const {
    nlohmann::json nodes = nlohmann::json::array();
    const auto now = core_.loop().now();
    for (const auto& n : nodes_) {
        nlohmann::json node = counters_json(static_cast<const osv_node_counters&>(n));
        node.update(counters_json(static_cast<const peer_probe_counters&>(n)));
        node.update(nlohmann::json{
            {"name", n.cfg.name},
            {"address", n.cfg.address},
            {"port", n.cfg.port},
            {"transport", std::string(config::to_string(n.cfg.transport))},
            {"state", std::string(health_name(n.health))},
            {"since_s", std::chrono::duration_cast<std::chrono::seconds>(now - n.since).count()},
            {"reason", n.reason},
            {"suspect", n.suspect},
            {"suspicion_sources", n.suspicions.size()}});
        nodes.push_back(std::move(node));
    }
    return {{"comm_system_type", std::string(config::to_string(cfg_.comm_system_type))},
            {"options_interval_s", cfg_.options_interval_s},
            {"nodes", nodes}};
}

}  // namespace sbc::cp
