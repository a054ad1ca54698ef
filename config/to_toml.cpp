#include <sstream>

#include <toml++/toml.h>

#include "config/config.hpp"

// The loaded config back to TOML for `sbcctl config show`: every key, defaults included, in the
// order of config/README.md, so the operator sees what the appliance runs with.

namespace sbc::config {
namespace {

class emitter {
  public:
    void table(std::string_view name) { out_ += "\n[" + std::string(name) + "]\n"; }
    void array_table(std::string_view name) { out_ += "\n[[" + std::string(name) + "]]\n"; }

    template <class T>
    void put(std::string_view key, const T& value) {
        out_ += key;
        out_ += " = ";
        out_ += format(value);
        out_ += '\n';
    }
    void put_if(std::string_view key, const std::string& value) {
        if (!value.empty()) {
            put(key, value);
        }
    }
    void put_if(std::string_view key, const std::optional<std::string>& value) {
        if (value) {
            put(key, *value);
        }
    }

    std::string take() { return std::move(out_); }

  private:
    static std::string format(const std::string& text) {
        // toml++ knows TOML's escaping rules; let it quote.
        std::ostringstream out;
        out << toml::toml_formatter(toml::value<std::string>(text),
                                    toml::format_flags::allow_unicode_strings);
        return out.str();
    }
    static std::string format(bool value) { return value ? "true" : "false"; }
    template <class T>
    static std::string format(const T& value) {
        if constexpr (named_enum<T>) {
            return format(std::string(to_string(value)));
        } else {
            return std::to_string(value);
        }
    }
    template <class T>
    static std::string format(const std::vector<T>& values) {
        std::string out = "[";
        for (std::size_t i = 0; i < values.size(); ++i) {
            out += i ? ", " : "";
            out += format(values[i]);
        }
        return out + "]";
    }

    std::string out_;
};

void put_realm(emitter& e, const realm& r) {
    e.table("realm." + r.name);
    e.put("signalling_address", r.signalling_address);
    e.put("sip_udp_port", r.sip_udp_port);
    e.put("sip_tcp_port", r.sip_tcp_port);
    e.put("sip_tls_port", r.sip_tls_port);
    e.put("media_address", r.media_address);
    e.put("media_port_min", r.media_port_min);
    e.put("media_port_max", r.media_port_max);
    e.put("media_prefix_length", r.media_prefix_length);
    e.put_if("media_gateway", r.media_gateway);
    e.put("dpdk_port", r.dpdk_port);
    e.put_if("certificate_profile", r.certificate_profile);
    e.put("media_profile", r.media_profile);
    e.put("emergency_numbers", r.emergency_numbers);
}

void put_sip_server(emitter& e, const sip_server_section& s) {
    e.table("sip_server");
    e.put("comm_system_type", s.comm_system_type);
    e.put("realm", s.realm);
    e.put("options_interval_s", s.options_interval_s);
    e.put("failure_threshold", s.failure_threshold);
    e.put("recovery_threshold", s.recovery_threshold);
    e.put("max_message_bytes", s.max_message_bytes);
    e.put("max_headers", s.max_headers);
    e.put("max_header_bytes", s.max_header_bytes);
    e.put("max_sdp_line_bytes", s.max_sdp_line_bytes);
    for (const sip_server_node& n : s.nodes) {
        e.array_table("sip_server.node");
        e.put("name", n.name);
        e.put("address", n.address);
        e.put("transport", n.transport);
        e.put("port", n.port);
    }
}

void put_media(emitter& e, const appliance& c) {
    for (const media_profile& m : c.media_profiles) {
        e.array_table("media_profile");
        e.put("name", m.name);
        e.put("protocol", m.protocol);
        e.put("sdes_suites", m.sdes_suites);
        e.put("keep_sendonly_on_nat", m.keep_sendonly_on_nat);
        e.put("rtcp_mode", m.rtcp_mode);
        e.put("rtcp_generation_timeout_s", m.rtcp_generation_timeout_s);
        e.put("allow_unconfigured_codecs", m.allow_unconfigured_codecs);
        e.put("codecs", m.codecs);
    }
    for (const user_agent& u : c.user_agents) {
        e.array_table("user_agent");
        e.put("name", u.name);
        e.put("match", u.match);
        e.put("pattern", u.pattern);
        e.put("media_profile", u.media_profile);
    }
    e.table("media");
    e.put("single_port_audio", c.media.single_port_audio);
    e.put("resend_srtp_context_on_key_change", c.media.resend_srtp_context_on_key_change);
    e.put("media_timeout_s", c.media.media_timeout_s);
    for (const certificate_profile& p : c.certificate_profiles) {
        e.array_table("certificate_profile");
        e.put("name", p.name);
        e.put("service", p.service);
        e.put("certificate", p.certificate);
        e.put("private_key", p.private_key);
        e.put_if("ca", p.ca);
        e.put("verify_client", p.verify_client);
    }
}

void put_subscribers(emitter& e, const appliance& c) {
    const remote_subscribers_section& r = c.remote_subscribers;
    e.table("remote_subscribers");
    e.put("enable", r.enable);
    e.put("register_throttling", r.register_throttling);
    e.put("register_throttling_tls", r.register_throttling_tls);
    e.put("throttling_bypass_ua_regex", r.throttling_bypass_ua_regex);
    e.put("max_registration_expiry_s", r.max_registration_expiry_s);
    e.put("throttle_refresh_s", r.throttle_refresh_s);
    for (const subscriber_subnet& s : r.subnets) {
        e.array_table("remote_subscribers.subnet");
        e.put("cidr", s.cidr);
        e.put_if("certificate_profile", s.certificate_profile);
        e.put_if("media_profile", s.media_profile);
    }
    const dos_section& d = c.security.dos;
    e.table("security.dos");
    e.put("dynamic_blacklist", d.dynamic_blacklist);
    e.put("process_initial_registration", d.process_initial_registration);
    e.put("max_requests_per_source_per_s", d.max_requests_per_source_per_s);
    e.put("blacklist_duration_s", d.blacklist_duration_s);
    e.put("max_connections_per_source", d.max_connections_per_source);
    e.table("push");
    e.put("enable", c.push.enable);
    e.put("providers", c.push.providers);
    e.put("invite_wait_s", c.push.invite_wait_s);
    e.put("max_per_device_per_minute", c.push.max_per_device_per_minute);
    e.put("request_timeout_ms", c.push.request_timeout_ms);
}

void put_trunks(emitter& e, const appliance& c) {
    for (const ssp_profile& s : c.ssp_profiles) {
        e.array_table("ssp_profile");
        e.put("name", s.name);
        e.put("privacy", s.privacy);
        e.put("add_p_asserted_identity", s.add_p_asserted_identity);
        e.put("geolocation_passthrough", s.geolocation_passthrough);
    }
    for (const remote_endpoint& r : c.remote_endpoints) {
        e.array_table("remote_endpoint");
        e.put("name", r.name);
        e.put("type", r.type);
        e.put("ssp_profile", r.ssp_profile);
        e.put("access_realm", r.access_realm);
        e.put("core_realm", r.core_realm);
        e.put("core_realm_port", r.core_realm_port);
        e.put("access_realm_port", r.access_realm_port);
        e.put("media_profile", r.media_profile);
        e.put("options_interval_s", r.options_interval_s);
        e.put("failure_threshold", r.failure_threshold);
        e.put("recovery_threshold", r.recovery_threshold);
        e.put("failover_timeout_ms", r.failover_timeout_ms);
        for (const location_domain& d : r.location_domains) {
            e.array_table("remote_endpoint.location_domain");
            e.put("url", d.url);
            e.put("port", d.port);
            e.put("transport", d.transport);
        }
    }
    e.table("cloudlink");
    e.put("enable", c.cloudlink.enable);
    e.put_if("base_url", c.cloudlink.base_url);
    e.put_if("ca", c.cloudlink.ca);
    e.put("state_dir", c.cloudlink.state_dir);
    e.put("inventory_interval_s", c.cloudlink.inventory_interval_s);
    e.put("request_timeout_ms", c.cloudlink.request_timeout_ms);
    e.put("max_clock_offset_s", c.cloudlink.max_clock_offset_s);
    e.table("cloudlink.proxy");
    e.put("enable", c.cloudlink.proxy.enable);
    e.put_if("address", c.cloudlink.proxy.address);
    if (c.cloudlink.proxy.port != 0) {
        e.put("port", c.cloudlink.proxy.port);
    }
    e.put("from_environment", c.cloudlink.proxy.from_environment);
    e.put("no_proxy", c.cloudlink.proxy.no_proxy);
    e.put_if("username", c.cloudlink.proxy.username);
    e.put_if("password_file", c.cloudlink.proxy.password_file);
}

void put_system(emitter& e, const appliance& c) {
    const sip_section& s = c.sip;
    e.table("sip");
    e.put("t1_ms", s.t1_ms);
    e.put("t2_ms", s.t2_ms);
    e.put("t4_ms", s.t4_ms);
    e.put("max_message_bytes", s.max_message_bytes);
    e.put("max_headers", s.max_headers);
    e.put("max_line_bytes", s.max_line_bytes);
    e.put("max_pending_bytes_per_connection", s.max_pending_bytes_per_connection);
    e.put("max_connections", s.max_connections);
    e.put("max_connections_per_source", s.max_connections_per_source);
    e.put("tls_handshake_timeout_ms", s.tls_handshake_timeout_ms);
    e.put("connection_idle_timeout_s", s.connection_idle_timeout_s);
    e.put("message_read_timeout_ms", s.message_read_timeout_ms);
    e.put("first_message_timeout_ms", s.first_message_timeout_ms);
    e.table("calls");
    e.put("max_sessions", c.calls.max_sessions);
    e.put("retry_after_s", c.calls.retry_after_s);
    e.put("no_answer_timeout_s", c.calls.no_answer_timeout_s);
    e.put("orphan_flow_grace_s", c.calls.orphan_flow_grace_s);
    e.put("emergency_port_reserve", c.calls.emergency_port_reserve);
    e.put_if("cdr_path", c.calls.cdr_path);
    const dataplane_section& d = c.dataplane;
    e.table("dataplane");
    e.put("lcores", d.lcores);
    e.put("workers", d.workers);
    e.put("burst", d.burst);
    e.put("cmd_ring_size", d.cmd_ring_size);
    e.put("evt_ring_size", d.evt_ring_size);
    e.put("mbuf_pool_size", d.mbuf_pool_size);
    e.put("max_flows", d.max_flows);
    e.put("srtp_engine", d.srtp_engine);
    e.put("eal_args", d.eal_args);
    e.put("ports", d.ports);
    e.put("port_pps", d.port_pps);
    e.put("rx_stall_ms", d.rx_stall_ms);
    for (const neighbour& n : d.neighbours) {
        e.array_table("dataplane.neighbour");
        e.put("dpdk_port", n.dpdk_port);
        e.put("address", n.address);
        e.put("mac", n.mac);
    }
    e.table("mgmt");
    e.put("socket", c.mgmt.socket);
    e.put("group", c.mgmt.group);
    e.put("metrics_address", c.mgmt.metrics_address);
    e.put("metrics_port", c.mgmt.metrics_port);
    e.table("log");
    e.put("level", c.log.level);
}

}  // namespace

std::string to_toml(const appliance& config) {
    emitter e;
    e.put("instance", config.instance);
    put_realm(e, config.realm.access);
    put_realm(e, config.realm.core);
    put_sip_server(e, config.sip_server);
    put_media(e, config);
    put_subscribers(e, config);
    put_trunks(e, config);
    put_system(e, config);
    return e.take();
}

}  // namespace sbc::config
