#include <string>

#include "config/read.hpp"
#include "config/rules.hpp"

// instance, [realm.*], [sip_server], [remote_subscribers], [[ssp_profile]], [[remote_endpoint]].

namespace sbc::config::detail {
namespace {

constexpr int64_t max_port = 65535;

uint16_t default_sip_port(sip_transport transport) {
    // RFC 3261 §19.1.2: 5061 for TLS, 5060 otherwise.
    return transport == sip_transport::tls ? 5061 : 5060;
}

void read_realm(table_reader& r, std::string name, realm& out) {
    out.name = std::move(name);
    r.string("signalling_address", out.signalling_address, need::required, &rules::ip_literal);
    bool udp = r.integer("sip_udp_port", out.sip_udp_port, 0, max_port) || !r.node("sip_udp_port");
    bool tcp = r.integer("sip_tcp_port", out.sip_tcp_port, 0, max_port) || !r.node("sip_tcp_port");
    bool tls = r.integer("sip_tls_port", out.sip_tls_port, 0, max_port) || !r.node("sip_tls_port");
    if (udp && tcp && tls && out.sip_udp_port == 0 && out.sip_tcp_port == 0 &&
        out.sip_tls_port == 0) {
        r.ctx().fail_at(
            r.path(), "at least one of sip_udp_port, sip_tcp_port, sip_tls_port must be non-zero");
    }
    r.string("media_address", out.media_address, need::required, &rules::ip_literal);
    bool min = r.integer("media_port_min", out.media_port_min, 1, max_port, need::required);
    bool max = r.integer("media_port_max", out.media_port_max, 1, max_port, need::required);
    if (min && out.media_port_min % 2 != 0) {
        // RFC 3550 §11: RTP on an even port, RTCP on the odd one above it.
        r.fail_value("media_port_min", "must be even");
        min = false;
    }
    if (min && max && out.media_port_max < out.media_port_min + 1) {
        r.fail_value("media_port_max", "must be at least media_port_min + 1");
    }
    r.integer("media_prefix_length", out.media_prefix_length, 0, 128);
    r.string("media_gateway", out.media_gateway, need::optional, &rules::ip_literal);
    r.integer("dpdk_port", out.dpdk_port, 0, 7, need::required);
    bool cert =
        r.string("certificate_profile", out.certificate_profile, need::optional, &rules::name) ||
        r.node("certificate_profile");
    if (tls && out.sip_tls_port != 0 && !cert) {
        r.fail_missing("certificate_profile", "required when sip_tls_port is not 0");
    }
    r.string("media_profile", out.media_profile, need::required, &rules::name);
    r.string_list("emergency_numbers", out.emergency_numbers, need::optional,
                  &rules::number_pattern);
}

void read_sip_server(table_reader& r, sip_server_section& out) {
    bool type = r.enumeration("comm_system_type", out.comm_system_type, need::required);
    r.string("realm", out.realm, need::optional, &rules::name);
    long count = each_table(r, "node", need::required, out.nodes, [](table_reader& n, auto& node) {
        n.string("name", node.name, need::required, &rules::name);
        n.string("address", node.address, need::required, &rules::ip_literal);
        n.enumeration("transport", node.transport, need::required);
        if (!n.integer("port", node.port, 1, max_port) && !n.node("port")) {
            node.port = default_sip_port(node.transport);
        }
    });
    if (type && count >= 0) {
        long expected = out.comm_system_type == comm_system::simplex ? 1 : 2;
        if (count != expected) {
            r.fail_value("node", "comm_system_type " +
                                     std::string(to_string(out.comm_system_type)) + " needs " +
                                     std::to_string(expected) + " node(s), found " +
                                     std::to_string(count));
        }
    }
    r.integer("options_interval_s", out.options_interval_s, 1, 3600);
    r.integer("failure_threshold", out.failure_threshold, 1, 100);
    r.integer("recovery_threshold", out.recovery_threshold, 1, 100);
    const bool message = r.integer("max_message_bytes", out.max_message_bytes, 1024, 65535) ||
                         !r.node("max_message_bytes");
    r.integer("max_headers", out.max_headers, 8, 4096);
    for (auto [key, value] : {std::pair{"max_header_bytes", &out.max_header_bytes},
                              std::pair{"max_sdp_line_bytes", &out.max_sdp_line_bytes}}) {
        if (r.integer(key, *value, 64, 65535) && message && *value > out.max_message_bytes) {
            r.fail_value(key, "must not exceed max_message_bytes");
        }
    }
}

void read_remote_subscribers(table_reader& r, remote_subscribers_section& out) {
    r.boolean("enable", out.enable);
    r.boolean("register_throttling", out.register_throttling);
    r.boolean("register_throttling_tls", out.register_throttling_tls);
    rules::regex(r, "throttling_bypass_ua_regex", out.throttling_bypass_ua_regex, need::optional);
    bool expiry =
        r.integer("max_registration_expiry_s", out.max_registration_expiry_s, 60, 2678400);
    bool refresh = r.integer("throttle_refresh_s", out.throttle_refresh_s, 60, 2678400);
    if ((expiry || !r.node("max_registration_expiry_s")) && refresh &&
        out.throttle_refresh_s > out.max_registration_expiry_s) {
        r.fail_value("throttle_refresh_s", "must not exceed max_registration_expiry_s");
    }
    long count =
        each_table(r, "subnet", need::optional, out.subnets, [](table_reader& s, auto& subnet) {
            s.string("cidr", subnet.cidr, need::required, &rules::cidr);
            s.string("certificate_profile", subnet.certificate_profile, need::optional,
                     &rules::name);
            s.string("media_profile", subnet.media_profile, need::optional, &rules::name);
        });
    if (out.enable && count == 0) {
        r.fail_value("subnet", "at least one [[remote_subscribers.subnet]] when enable = true");
    } else if (out.enable && count < 0 && !r.node("subnet")) {
        r.fail_missing("subnet", "at least one [[remote_subscribers.subnet]] when enable = true");
    }
}

void read_ssp_profile(table_reader& r, ssp_profile& out) {
    r.string("name", out.name, need::required, &rules::name);
    r.enumeration("privacy", out.privacy);
    r.boolean("add_p_asserted_identity", out.add_p_asserted_identity);
    r.boolean("geolocation_passthrough", out.geolocation_passthrough);
}

void read_location_domain(table_reader& d, location_domain& domain) {
    d.string("url", domain.url, need::required, &rules::host);
    d.enumeration("transport", domain.transport);
    if (!d.integer("port", domain.port, 1, max_port) && !d.node("port")) {
        domain.port = default_sip_port(domain.transport);
    }
}

void read_remote_endpoint(table_reader& r, remote_endpoint& out) {
    r.string("name", out.name, need::required, &rules::name);
    r.enumeration("type", out.type, need::required);
    r.string("ssp_profile", out.ssp_profile, need::required, &rules::name);
    if (r.node("realm") != nullptr) {
        // The schema before issue 13 had one realm; the guide (12.1.2.2 step 5) gives two.
        r.fail_value("realm",
                     "a remote endpoint has two realms: set access_realm (toward the provider, "
                     "the internet side) and core_realm (where OSV sends its emergency calls)");
    }
    r.string("access_realm", out.access_realm, need::required, &rules::name);
    r.string("core_realm", out.core_realm, need::required, &rules::name);
    r.integer("core_realm_port", out.core_realm_port, 1, max_port, need::required);
    r.integer("access_realm_port", out.access_realm_port, 1, max_port);
    r.string("media_profile", out.media_profile, need::required, &rules::name);
    r.integer("options_interval_s", out.options_interval_s, 1, 3600);
    r.integer("failure_threshold", out.failure_threshold, 1, 100);
    r.integer("recovery_threshold", out.recovery_threshold, 1, 100);
    r.integer("failover_timeout_ms", out.failover_timeout_ms, 200, 32000);
    long count = each_table(r, "location_domain", need::required, out.location_domains,
                            read_location_domain);
    if (count == 0) {
        r.fail_value("location_domain", "at least one [[remote_endpoint.location_domain]]");
    }
}

}  // namespace

void read_network(table_reader& root, appliance& out) {
    root.string("instance", out.instance, need::optional, &rules::instance_name);
    with_table(root, "realm", need::required, [&](table_reader& realms) {
        with_table(realms, "access", need::required,
                   [&](table_reader& r) { read_realm(r, "access", out.realm.access); });
        with_table(realms, "core", need::required,
                   [&](table_reader& r) { read_realm(r, "core", out.realm.core); });
    });
    with_table(root, "sip_server", need::required,
               [&](table_reader& r) { read_sip_server(r, out.sip_server); });
    with_table(root, "remote_subscribers", need::optional,
               [&](table_reader& r) { read_remote_subscribers(r, out.remote_subscribers); });
    each_table(root, "ssp_profile", need::optional, out.ssp_profiles, read_ssp_profile);
    each_table(root, "remote_endpoint", need::optional, out.remote_endpoints, read_remote_endpoint);
}

}  // namespace sbc::config::detail
