#include <sstream>

#include <toml++/toml.h>

#include "config/config.hpp"

// The loaded config back to TOML for `sbcctl config show`: every key, defaults included, so the
// operator sees what the appliance runs with.

namespace sbc::config {
namespace {

template <class T>
void put(toml::table& t, std::string_view key, T value) {
    if constexpr (std::is_same_v<T, bool>) {
        t.insert(key, value);
    } else if constexpr (std::is_integral_v<T>) {
        t.insert(key, static_cast<int64_t>(value));
    } else if constexpr (named_enum<T>) {
        t.insert(key, std::string(to_string(value)));
    } else {
        t.insert(key, std::string(value));
    }
}

void put_if(toml::table& t, std::string_view key, const std::string& value) {
    if (!value.empty()) {
        put(t, key, value);
    }
}

void put_if(toml::table& t, std::string_view key, const std::optional<std::string>& value) {
    if (value) {
        put(t, key, *value);
    }
}

template <class T>
void put_list(toml::table& t, std::string_view key, const std::vector<T>& values) {
    toml::array array;
    for (const T& v : values) {
        if constexpr (std::is_integral_v<T>) {
            array.push_back(static_cast<int64_t>(v));
        } else if constexpr (named_enum<T>) {
            array.push_back(std::string(to_string(v)));
        } else {
            array.push_back(v);
        }
    }
    t.insert(key, std::move(array));
}

template <class T, class F>
void put_tables(toml::table& t, std::string_view key, const std::vector<T>& items, F&& to_table) {
    if (items.empty()) {
        return;
    }
    toml::array array;
    for (const T& item : items) {
        array.push_back(to_table(item));
    }
    t.insert(key, std::move(array));
}

toml::table realm_table(const realm& r) {
    toml::table t;
    put(t, "signalling_address", r.signalling_address);
    put(t, "sip_udp_port", r.sip_udp_port);
    put(t, "sip_tcp_port", r.sip_tcp_port);
    put(t, "sip_tls_port", r.sip_tls_port);
    put(t, "media_address", r.media_address);
    put(t, "media_port_min", r.media_port_min);
    put(t, "media_port_max", r.media_port_max);
    put(t, "dpdk_port", r.dpdk_port);
    put_if(t, "certificate_profile", r.certificate_profile);
    put(t, "media_profile", r.media_profile);
    return t;
}

toml::table sip_server_table(const sip_server_section& s) {
    toml::table t;
    put(t, "comm_system_type", s.comm_system_type);
    put(t, "realm", s.realm);
    put(t, "options_interval_s", s.options_interval_s);
    put(t, "failure_threshold", s.failure_threshold);
    put(t, "recovery_threshold", s.recovery_threshold);
    put_tables(t, "node", s.nodes, [](const sip_server_node& n) {
        toml::table node;
        put(node, "name", n.name);
        put(node, "address", n.address);
        put(node, "transport", n.transport);
        put(node, "port", n.port);
        return node;
    });
    return t;
}

toml::table media_profile_table(const media_profile& m) {
    toml::table t;
    put(t, "name", m.name);
    put(t, "protocol", m.protocol);
    put_list(t, "sdes_suites", m.sdes_suites);
    put(t, "keep_sendonly_on_nat", m.keep_sendonly_on_nat);
    put(t, "rtcp_mode", m.rtcp_mode);
    put(t, "rtcp_generation_timeout_s", m.rtcp_generation_timeout_s);
    put(t, "allow_unconfigured_codecs", m.allow_unconfigured_codecs);
    put_list(t, "codecs", m.codecs);
    return t;
}

toml::table certificate_profile_table(const certificate_profile& c) {
    toml::table t;
    put(t, "name", c.name);
    put(t, "service", c.service);
    put(t, "certificate", c.certificate);
    put(t, "private_key", c.private_key);
    put_if(t, "ca", c.ca);
    put(t, "verify_client", c.verify_client);
    return t;
}

toml::table remote_subscribers_table(const remote_subscribers_section& r) {
    toml::table t;
    put(t, "enable", r.enable);
    put(t, "register_throttling", r.register_throttling);
    put(t, "register_throttling_tls", r.register_throttling_tls);
    put(t, "throttling_bypass_ua_regex", r.throttling_bypass_ua_regex);
    put(t, "max_registration_expiry_s", r.max_registration_expiry_s);
    put(t, "throttle_refresh_s", r.throttle_refresh_s);
    put_tables(t, "subnet", r.subnets, [](const subscriber_subnet& s) {
        toml::table subnet;
        put(subnet, "cidr", s.cidr);
        put_if(subnet, "certificate_profile", s.certificate_profile);
        put_if(subnet, "media_profile", s.media_profile);
        return subnet;
    });
    return t;
}

toml::table remote_endpoint_table(const remote_endpoint& e) {
    toml::table t;
    put(t, "name", e.name);
    put(t, "type", e.type);
    put(t, "ssp_profile", e.ssp_profile);
    put(t, "realm", e.realm);
    put(t, "core_realm_port", e.core_realm_port);
    put(t, "media_profile", e.media_profile);
    put_tables(t, "location_domain", e.location_domains, [](const location_domain& d) {
        toml::table domain;
        put(domain, "url", d.url);
        put(domain, "port", d.port);
        put(domain, "transport", d.transport);
        return domain;
    });
    return t;
}

toml::table security_table(const security_section& s) {
    toml::table dos;
    put(dos, "dynamic_blacklist", s.dos.dynamic_blacklist);
    put(dos, "process_initial_registration", s.dos.process_initial_registration);
    put(dos, "max_requests_per_source_per_s", s.dos.max_requests_per_source_per_s);
    put(dos, "blacklist_duration_s", s.dos.blacklist_duration_s);
    put(dos, "max_connections_per_source", s.dos.max_connections_per_source);
    toml::table t;
    t.insert("dos", std::move(dos));
    return t;
}

toml::table cloudlink_table(const cloudlink_section& c) {
    toml::table t;
    put(t, "enable", c.enable);
    put_if(t, "base_url", c.base_url);
    put_if(t, "ca", c.ca);
    toml::table proxy;
    put(proxy, "enable", c.proxy.enable);
    put_if(proxy, "address", c.proxy.address);
    if (c.proxy.port != 0) {
        put(proxy, "port", c.proxy.port);
    }
    t.insert("proxy", std::move(proxy));
    return t;
}

toml::table sip_table(const sip_section& s) {
    toml::table t;
    put(t, "t1_ms", s.t1_ms);
    put(t, "t2_ms", s.t2_ms);
    put(t, "t4_ms", s.t4_ms);
    put(t, "max_message_bytes", s.max_message_bytes);
    put(t, "max_headers", s.max_headers);
    put(t, "max_line_bytes", s.max_line_bytes);
    put(t, "max_pending_bytes_per_connection", s.max_pending_bytes_per_connection);
    put(t, "max_connections_per_source", s.max_connections_per_source);
    put(t, "tls_handshake_timeout_ms", s.tls_handshake_timeout_ms);
    put(t, "connection_idle_timeout_s", s.connection_idle_timeout_s);
    return t;
}

toml::table dataplane_table(const dataplane_section& d) {
    toml::table t;
    put_list(t, "lcores", d.lcores);
    put(t, "workers", d.workers);
    put(t, "burst", d.burst);
    put(t, "cmd_ring_size", d.cmd_ring_size);
    put(t, "evt_ring_size", d.evt_ring_size);
    put(t, "mbuf_pool_size", d.mbuf_pool_size);
    put(t, "max_flows", d.max_flows);
    put(t, "srtp_engine", d.srtp_engine);
    put_list(t, "eal_args", d.eal_args);
    put_tables(t, "neighbour", d.neighbours, [](const neighbour& n) {
        toml::table entry;
        put(entry, "dpdk_port", n.dpdk_port);
        put(entry, "address", n.address);
        put(entry, "mac", n.mac);
        return entry;
    });
    return t;
}

}  // namespace

std::string to_toml(const appliance& c) {
    toml::table root;
    put(root, "instance", c.instance);
    toml::table realms;
    realms.insert("access", realm_table(c.realm.access));
    realms.insert("core", realm_table(c.realm.core));
    root.insert("realm", std::move(realms));
    root.insert("sip_server", sip_server_table(c.sip_server));
    put_tables(root, "media_profile", c.media_profiles, media_profile_table);
    put_tables(root, "user_agent", c.user_agents, [](const user_agent& u) {
        toml::table t;
        put(t, "name", u.name);
        put(t, "match", u.match);
        put(t, "pattern", u.pattern);
        put(t, "media_profile", u.media_profile);
        return t;
    });
    toml::table media;
    put(media, "single_port_audio", c.media.single_port_audio);
    put(media, "resend_srtp_context_on_key_change", c.media.resend_srtp_context_on_key_change);
    put(media, "media_timeout_s", c.media.media_timeout_s);
    root.insert("media", std::move(media));
    put_tables(root, "certificate_profile", c.certificate_profiles, certificate_profile_table);
    root.insert("remote_subscribers", remote_subscribers_table(c.remote_subscribers));
    root.insert("security", security_table(c.security));
    toml::table push;
    put(push, "enable", c.push.enable);
    put_list(push, "providers", c.push.providers);
    put(push, "invite_wait_s", c.push.invite_wait_s);
    root.insert("push", std::move(push));
    put_tables(root, "ssp_profile", c.ssp_profiles, [](const ssp_profile& s) {
        toml::table t;
        put(t, "name", s.name);
        put(t, "privacy", s.privacy);
        put(t, "add_p_asserted_identity", s.add_p_asserted_identity);
        put(t, "geolocation_passthrough", s.geolocation_passthrough);
        return t;
    });
    put_tables(root, "remote_endpoint", c.remote_endpoints, remote_endpoint_table);
    root.insert("cloudlink", cloudlink_table(c.cloudlink));
    root.insert("sip", sip_table(c.sip));
    toml::table calls;
    put(calls, "max_sessions", c.calls.max_sessions);
    put_if(calls, "cdr_path", c.calls.cdr_path);
    root.insert("calls", std::move(calls));
    root.insert("dataplane", dataplane_table(c.dataplane));
    toml::table mgmt;
    put(mgmt, "socket", c.mgmt.socket);
    put(mgmt, "group", c.mgmt.group);
    root.insert("mgmt", std::move(mgmt));
    toml::table log;
    put(log, "level", c.log.level);
    root.insert("log", std::move(log));

    std::ostringstream out;
    out << toml::toml_formatter(root, toml::format_flags::none) << '\n';
    return out.str();
}

}  // namespace sbc::config
