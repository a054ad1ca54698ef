#include "config/validate.hpp"

#include <algorithm>
#include <set>
#include <string>

#include <sys/socket.h>

#include "config/address.hpp"

namespace sbc::config::detail {
namespace {

std::string name_path(const std::string& kind, std::size_t index) {
    return index_path(kind, index) + ".name";
}

// The names defined by one `[[kind]]` array. When a name could not be read, references to that
// kind are not checked: the read error already says what is wrong, "not defined" would be noise.
struct name_set {
    std::string kind;
    std::set<std::string, std::less<>> names;
    bool reliable = true;

    bool contains(std::string_view name) const { return names.count(name) != 0; }
};

template <class T>
name_set unique_names(context& ctx, const std::string& kind, const std::vector<T>& items) {
    name_set out{kind, {}, !ctx.has_error_at(kind)};
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string& name = items[i].name;
        if (ctx.has_error_at(name_path(kind, i)) || ctx.has_error_at(index_path(kind, i))) {
            out.reliable = false;
            continue;
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (items[j].name == name) {
                std::string rule = "duplicate " + kind;
                rule += " name '" + name + "' (first defined at line ";
                rule += std::to_string(ctx.where(name_path(kind, j)).line) + ")";
                ctx.fail_at(name_path(kind, i), std::move(rule));
                break;
            }
        }
        out.names.insert(name);
    }
    return out;
}

void reference(context& ctx, const name_set& target, const std::string& key,
               const std::string& value) {
    if (value.empty() || !target.reliable || ctx.has_error_at(key)) {
        return;
    }
    if (!target.contains(value)) {
        ctx.fail_at(key, target.kind + " '" + value + "' is not defined");
    }
}

void check_names(context& ctx, const appliance& c) {
    name_set media = unique_names(ctx, "media_profile", c.media_profiles);
    name_set certificates = unique_names(ctx, "certificate_profile", c.certificate_profiles);
    name_set ssp = unique_names(ctx, "ssp_profile", c.ssp_profiles);
    unique_names(ctx, "user_agent", c.user_agents);
    unique_names(ctx, "remote_endpoint", c.remote_endpoints);
    unique_names(ctx, "sip_server.node", c.sip_server.nodes);
    name_set realms{"realm", {"access", "core"}, true};

    for (const realm* r : {&c.realm.access, &c.realm.core}) {
        std::string path = "realm." + r->name;
        reference(ctx, certificates, path + ".certificate_profile", r->certificate_profile);
        reference(ctx, media, path + ".media_profile", r->media_profile);
    }
    reference(ctx, realms, "sip_server.realm", c.sip_server.realm);
    for (std::size_t i = 0; i < c.user_agents.size(); ++i) {
        reference(ctx, media, index_path("user_agent", i) + ".media_profile",
                  c.user_agents[i].media_profile);
    }
    for (std::size_t i = 0; i < c.remote_subscribers.subnets.size(); ++i) {
        const subscriber_subnet& s = c.remote_subscribers.subnets[i];
        std::string path = index_path("remote_subscribers.subnet", i);
        reference(ctx, certificates, path + ".certificate_profile", s.certificate_profile);
        reference(ctx, media, path + ".media_profile", s.media_profile);
    }
    for (std::size_t i = 0; i < c.remote_endpoints.size(); ++i) {
        const remote_endpoint& e = c.remote_endpoints[i];
        std::string path = index_path("remote_endpoint", i);
        reference(ctx, ssp, path + ".ssp_profile", e.ssp_profile);
        reference(ctx, media, path + ".media_profile", e.media_profile);
        reference(ctx, realms, path + ".access_realm", e.access_realm);
        reference(ctx, realms, path + ".core_realm", e.core_realm);
    }
}

// The media subnet: a prefix length that fits the address family, and a gateway on the subnet.
void check_media_subnet(context& ctx, const realm& r) {
    const std::string path = "realm." + r.name + ".";
    const auto address = parse_ip(r.media_address);
    if (!address || ctx.has_error_at(path + "media_prefix_length")) {
        return;
    }
    const int bits = address->family == AF_INET ? 32 : 128;
    if (r.media_prefix_length > bits) {
        ctx.fail_at(path + "media_prefix_length",
                    "must be at most " + std::to_string(bits) + " for " + r.media_address);
        return;
    }
    if (r.media_gateway.empty() || ctx.has_error_at(path + "media_gateway")) {
        return;
    }
    const auto gateway = parse_ip(r.media_gateway);
    ip_prefix subnet{*address, r.media_prefix_length};
    if (!gateway || gateway->family != address->family || !subnet.contains(*gateway)) {
        ctx.fail_at(path + "media_gateway", "must be on the media subnet " + r.media_address + "/" +
                                                std::to_string(r.media_prefix_length));
    } else if (*gateway == *address) {
        ctx.fail_at(path + "media_gateway", "is the media address itself");
    }
}

// Guide 12.1.2.2 step 5: the access realm reaches the provider (the internet side), the core
// realm is where OSV sends the calls; one realm cannot be both.
void check_remote_endpoint_realms(context& ctx, const appliance& c, std::size_t i) {
    const remote_endpoint& e = c.remote_endpoints[i];
    const std::string path = index_path("remote_endpoint", i);
    if (ctx.has_error_at(path + ".access_realm") || ctx.has_error_at(path + ".core_realm")) {
        return;
    }
    if (!e.access_realm.empty() && e.access_realm == e.core_realm) {
        ctx.fail_at(path + ".core_realm",
                    "must differ from access_realm (the provider is reached from one realm, OSV "
                    "sends the calls on the other)");
        return;
    }
    const realm* access = c.find_realm(e.access_realm);
    if (access == nullptr || !access->certificate_profile.empty()) {
        return;
    }
    for (std::size_t d = 0; d < e.location_domains.size(); ++d) {
        if (e.location_domains[d].transport == sip_transport::tls) {
            ctx.fail_at(index_path(path + ".location_domain", d) + ".transport",
                        "tls needs a certificate_profile on realm." + access->name);
        }
    }
}

// The reserve must leave ordinary calls some ports, and fit the pool.
void check_emergency_reserve(context& ctx, const appliance& c) {
    if (ctx.has_error_at("calls.emergency_port_reserve")) {
        return;
    }
    for (const realm* r : {&c.realm.access, &c.realm.core}) {
        const std::string path = "realm." + r->name;
        if (ctx.has_error_at(path + ".media_port_min") ||
            ctx.has_error_at(path + ".media_port_max") || r->media_port_max <= r->media_port_min) {
            continue;
        }
        // Even ports p with p + 1 <= max (port_pool).
        const uint32_t ports =
            (static_cast<uint32_t>(r->media_port_max) - r->media_port_min + 1) / 2;
        if (c.calls.emergency_port_reserve >= ports) {
            ctx.fail_at("calls.emergency_port_reserve",
                        "must be below the " + std::to_string(ports) + " media ports of " + path);
            return;
        }
    }
}

void check_realm_uses(context& ctx, const appliance& c) {
    check_media_subnet(ctx, c.realm.access);
    check_media_subnet(ctx, c.realm.core);
    if (const realm* r = c.find_realm(c.sip_server.realm); r && r->certificate_profile.empty()) {
        for (std::size_t i = 0; i < c.sip_server.nodes.size(); ++i) {
            if (c.sip_server.nodes[i].transport == sip_transport::tls) {
                ctx.fail_at(index_path("sip_server.node", i) + ".transport",
                            "tls needs a certificate_profile on realm." + r->name);
            }
        }
    }
    for (std::size_t i = 0; i < c.remote_endpoints.size(); ++i) {
        check_remote_endpoint_realms(ctx, c, i);
    }
    check_emergency_reserve(ctx, c);
    for (std::size_t i = 0; i < c.dataplane.neighbours.size(); ++i) {
        uint16_t port = c.dataplane.neighbours[i].dpdk_port;
        std::string key = index_path("dataplane.neighbour", i) + ".dpdk_port";
        if (!ctx.has_error_at(key) && !ctx.has_error_at(index_path("dataplane.neighbour", i)) &&
            port != c.realm.access.dpdk_port && port != c.realm.core.dpdk_port) {
            ctx.fail_at(key, "is not the dpdk_port of any realm");
        }
    }
}

// One listening port or media port range on an address.
struct port_use {
    std::optional<ip_address> address;
    std::string address_text;
    bool udp = false;
    bool tcp = false;
    bool media = false;  // a media range is reserved whatever the transport
    uint16_t first = 0;
    uint16_t last = 0;
    std::string key;
};

bool same_address(const ip_address& a, const ip_address& b) {
    return a.family == b.family && (a == b || a.is_unspecified() || b.is_unspecified());
}

bool collide(const port_use& a, const port_use& b) {
    return same_address(*a.address, *b.address) && a.first <= b.last && b.first <= a.last &&
           (a.media || b.media || (a.udp && b.udp) || (a.tcp && b.tcp));
}

std::string describe(const port_use& use) {
    if (use.media) {
        return use.key + " (media ports " + std::to_string(use.first) + "-" +
               std::to_string(use.last) + ")";
    }
    return use.key + " (port " + std::to_string(use.first) + ")";
}

void check_ports(context& ctx, const appliance& c) {
    std::vector<port_use> uses;
    auto add = [&](const std::string& address, bool udp, bool tcp, bool media, uint16_t first,
                   uint16_t last, std::string key) {
        if (first != 0 && !ctx.has_error_at(key)) {
            uses.push_back(
                {parse_ip(address), address, udp, tcp, media, first, last, std::move(key)});
        }
    };
    for (const realm* r : {&c.realm.access, &c.realm.core}) {
        std::string path = "realm." + r->name + ".";
        const std::string& sig = r->signalling_address;
        add(sig, true, false, false, r->sip_udp_port, r->sip_udp_port, path + "sip_udp_port");
        add(sig, false, true, false, r->sip_tcp_port, r->sip_tcp_port, path + "sip_tcp_port");
        add(sig, false, true, false, r->sip_tls_port, r->sip_tls_port, path + "sip_tls_port");
        if (!ctx.has_error_at(path + "media_port_max") && r->media_port_max >= r->media_port_min) {
            add(r->media_address, true, true, true, r->media_port_min, r->media_port_max,
                path + "media_port_min");
        }
    }
    for (std::size_t i = 0; i < c.remote_endpoints.size(); ++i) {
        const remote_endpoint& e = c.remote_endpoints[i];
        const std::string path = index_path("remote_endpoint", i);
        if (const realm* r = c.find_realm(e.core_realm)) {
            add(r->signalling_address, true, true, false, e.core_realm_port, e.core_realm_port,
                path + ".core_realm_port");
        }
        // access_realm_port defaults to core_realm_port's number: a collision of the default is
        // reported at core_realm_port, the key that set it.
        const realm* a = c.find_realm(e.access_realm);
        if (a != nullptr && !ctx.has_error_at(path + ".core_realm_port") &&
            !ctx.has_error_at(path + ".core_realm")) {
            add(a->signalling_address, true, true, false, e.access_port(), e.access_port(),
                path + (e.access_realm_port != 0 ? ".access_realm_port" : ".core_realm_port"));
        }
    }
    for (std::size_t i = 0; i < uses.size(); ++i) {
        // One error per key (an endpoint's default access port is reported at core_realm_port).
        if (!uses[i].address || ctx.has_error_at(uses[i].key)) {
            continue;
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (uses[j].address && collide(uses[j], uses[i])) {
                ctx.fail_at(uses[i].key,
                            "collides on " + uses[i].address_text + " with " + describe(uses[j]));
                break;
            }
        }
    }
}

}  // namespace

void validate(context& ctx, const appliance& config) {
    check_names(ctx, config);
    check_realm_uses(ctx, config);
    check_ports(ctx, config);
}

void fill_defaults(appliance& config) {
    for (subscriber_subnet& subnet : config.remote_subscribers.subnets) {
        if (subnet.certificate_profile.empty()) {
            subnet.certificate_profile = config.realm.access.certificate_profile;
        }
        if (subnet.media_profile.empty()) {
            subnet.media_profile = config.realm.access.media_profile;
        }
    }
    for (remote_endpoint& e : config.remote_endpoints) {
        e.access_realm_port = e.access_port();
    }
    if (config.mgmt.socket.empty()) {
        config.mgmt.socket = "/run/sbc/" + config.instance + ".sock";
    }
}

}  // namespace sbc::config::detail
