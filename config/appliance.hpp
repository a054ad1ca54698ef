#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/enums.hpp"

// The appliance config as plain values. Every member mirrors a TOML key of the same name
// (arrays of tables become plural vectors: `[[media_profile]]` -> `media_profiles`); defaults
// here are the defaults of the file format, documented in config/README.md. A loaded
// `appliance` has passed every rule in the README: names resolve, ports do not collide, files
// exist (when the loader was asked to check them).

namespace sbc::config {

// [realm.access] / [realm.core]: one signalling address and one media address per realm.
struct realm {
    std::string name;  // "access" or "core", from the table's key
    std::string signalling_address;
    uint16_t sip_udp_port = 0;  // 0 = transport disabled
    uint16_t sip_tcp_port = 0;
    uint16_t sip_tls_port = 0;
    std::string media_address;
    uint16_t media_port_min = 0;
    uint16_t media_port_max = 0;
    uint8_t media_prefix_length = 32;  // peers inside media_address/len are on-link
    std::string media_gateway;         // next hop for peers outside it; empty = ARP for each peer
    uint16_t dpdk_port = 0;
    std::string certificate_profile;  // empty when not set (allowed only without TLS)
    std::string media_profile;
    // Dialled numbers that make an INVITE on this realm an emergency call: ECMAScript regexes,
    // each matched against the whole user part of the Request-URI (a plain number matches
    // itself). Emergency calls are admitted before any other work (controlplane/e911).
    std::vector<std::string> emergency_numbers = {"911", "933"};

    bool operator==(const realm&) const = default;
};

inline realm named_realm(std::string name) {
    realm r;
    r.name = std::move(name);
    return r;
}

struct realm_section {
    realm access = named_realm("access");
    realm core = named_realm("core");

    bool operator==(const realm_section&) const = default;
};

struct sip_server_node {
    std::string name;
    std::string address;
    sip_transport transport = sip_transport::tcp;
    uint16_t port = 5060;

    bool operator==(const sip_server_node&) const = default;
};

// [sip_server]: the PBX (OSV) the core realm talks to.
struct sip_server_section {
    comm_system comm_system_type = comm_system::simplex;
    std::string realm = "core";
    std::vector<sip_server_node> nodes;  // [[sip_server.node]]
    uint32_t options_interval_s = 30;
    uint32_t failure_threshold = 3;
    uint32_t recovery_threshold = 2;
    // Limits toward the PBX (controlplane/core_limits.hpp): what a relayed message may be.
    // Kamailio reads a whole TCP message into a 16 KiB buffer; 12 KiB leaves it a margin.
    uint32_t max_message_bytes = 12288;
    uint32_t max_headers = 64;
    uint32_t max_header_bytes = 2048;
    uint32_t max_sdp_line_bytes = 1024;

    bool operator==(const sip_server_section&) const = default;
};

struct media_profile {
    std::string name;
    media_protocol protocol = media_protocol::rtp;
    std::vector<srtp_suite> sdes_suites;  // in order of preference
    bool keep_sendonly_on_nat = false;
    rtcp_mode_kind rtcp_mode = rtcp_mode_kind::bypass;
    uint32_t rtcp_generation_timeout_s = 4;
    bool allow_unconfigured_codecs = true;
    std::vector<std::string> codecs;  // encoding names as in a=rtpmap, in order of preference

    bool operator==(const media_profile&) const = default;
};

// [[user_agent]]: the first entry whose pattern matches the User-Agent picks the media profile.
struct user_agent {
    std::string name;
    ua_match match = ua_match::prefix;
    std::string pattern;  // a prefix, or a std::regex ECMAScript expression (regex_search)
    std::string media_profile;

    bool operator==(const user_agent&) const = default;
};

struct media_section {
    bool single_port_audio = true;
    bool resend_srtp_context_on_key_change = true;
    uint32_t media_timeout_s = 60;

    bool operator==(const media_section&) const = default;
};

struct certificate_profile {
    std::string name;
    certificate_service service = certificate_service::sip_tls;
    std::string certificate;        // absolute path, PEM X509 (leaf first, chain may follow)
    std::string private_key;        // absolute path, PEM private key matching `certificate`
    std::optional<std::string> ca;  // absolute path, PEM CA certificates
    bool verify_client = false;

    bool operator==(const certificate_profile&) const = default;
};

struct subscriber_subnet {
    std::string cidr;
    std::string certificate_profile;  // defaults to realm.access.certificate_profile
    std::string media_profile;        // defaults to realm.access.media_profile

    bool operator==(const subscriber_subnet&) const = default;
};

struct remote_subscribers_section {
    bool enable = false;
    bool register_throttling = false;
    bool register_throttling_tls = false;
    std::string throttling_bypass_ua_regex;  // empty = no bypass
    uint32_t max_registration_expiry_s = 2678400;
    uint32_t throttle_refresh_s = 1800;
    std::vector<subscriber_subnet> subnets;  // [[remote_subscribers.subnet]]

    bool operator==(const remote_subscribers_section&) const = default;
};

struct dos_section {
    bool dynamic_blacklist = true;
    bool process_initial_registration = true;
    uint32_t max_requests_per_source_per_s = 50;
    uint32_t blacklist_duration_s = 300;
    uint32_t max_connections_per_source = 10;

    bool operator==(const dos_section&) const = default;
};

struct security_section {
    dos_section dos;

    bool operator==(const security_section&) const = default;
};

struct push_section {
    bool enable = false;
    std::vector<std::string> providers;
    uint32_t invite_wait_s = 20;
    uint32_t max_per_device_per_minute = 6;  // pushes asked of CloudLink for one device
    uint32_t request_timeout_ms = 3000;      // a push request CloudLink has not answered fails

    bool operator==(const push_section&) const = default;
};

struct ssp_profile {
    std::string name;
    privacy_mode privacy = privacy_mode::none;
    bool add_p_asserted_identity = true;
    bool geolocation_passthrough = true;

    bool operator==(const ssp_profile&) const = default;
};

// One of a remote endpoint's "Remote Location Domains" (guide 12.1.2.2 step 6): the provider's
// SIP address as the provider gives it.
struct location_domain {
    std::string url;  // host name (resolved once when sbcd starts) or IP literal
    uint16_t port = 5060;
    sip_transport transport = sip_transport::udp;

    bool operator==(const location_domain&) const = default;
};

// [[remote_endpoint]]: a SIP trunk to an E911 provider (guide 12.1.2.2). It has two realms: the
// core realm, where OSV sends emergency calls to the endpoint's own core_realm_port (TCP, guide
// 12.2.1), and the access realm (the internet side, whose public address the provider
// whitelists), through which the calls leave for the location domains.
struct remote_endpoint {
    std::string name;
    remote_endpoint_type type = remote_endpoint_type::ssp;
    std::string ssp_profile;
    std::string access_realm;
    std::string core_realm;
    uint16_t core_realm_port = 0;    // UDP and TCP on the core realm's signalling address
    uint16_t access_realm_port = 0;  // UDP and TCP on the access realm's; 0 = core_realm_port
    std::string media_profile;
    std::vector<location_domain> location_domains;  // tried in order
    // Location domain health: an OPTIONS keep-alive like the OSV trunk's.
    uint32_t options_interval_s = 30;
    uint32_t failure_threshold = 3;
    uint32_t recovery_threshold = 2;
    // No answer at all (not even 100 Trying) from a location domain within this long: the call
    // goes to the next one (an emergency call cannot wait for Timer B's 32 s).
    uint32_t failover_timeout_ms = 3000;

    // The access-side port after defaults.
    uint16_t access_port() const {
        return access_realm_port != 0 ? access_realm_port : core_realm_port;
    }

    bool operator==(const remote_endpoint&) const = default;
};

struct proxy_section {
    bool enable = false;
    std::string address;  // host name or IP literal
    uint16_t port = 0;
    // HTTPS_PROXY / NO_PROXY from sbcd's environment (guide 8.2: /etc/sysconfig/proxy-osv as the
    // unit's EnvironmentFile) instead of address/port.
    bool from_environment = false;
    std::vector<std::string> no_proxy;  // NO_PROXY entries (config/no_proxy.hpp)
    std::string username;               // proxy authentication (Basic/Digest/NTLM as offered)
    std::optional<std::string> password_file;  // absolute path; the password, one line

    bool operator==(const proxy_section&) const = default;
};

struct cloudlink_section {
    bool enable = false;
    std::string base_url;           // https://host[:port][/path]
    std::optional<std::string> ca;  // absolute path; system trust store when unset
    std::string state_dir = "/var/lib/sbc/cloudlink";  // identity and token, root only
    uint32_t inventory_interval_s = 1800;             // guide 8.4: "approximately every 30 minutes"
    uint32_t request_timeout_ms = 10000;
    uint32_t max_clock_offset_s = 30;  // above it status says so (guide 8.1: token creation fails)
    proxy_section proxy;

    bool operator==(const cloudlink_section&) const = default;
};

// [sip]: RFC 3261 timers and the transport's limits against hostile peers.
struct sip_section {
    uint32_t t1_ms = 500;
    uint32_t t2_ms = 4000;
    uint32_t t4_ms = 5000;
    uint32_t max_message_bytes = 65535;
    uint32_t max_headers = 128;
    uint32_t max_line_bytes = 8192;
    uint32_t max_pending_bytes_per_connection = 262144;
    uint32_t max_connections = 16384;
    uint32_t max_connections_per_source = 32;
    uint32_t tls_handshake_timeout_ms = 5000;
    uint32_t connection_idle_timeout_s = 900;
    // Slow senders: a message whole within this long of its first byte; an accepted connection's
    // first message within this long of its handshake.
    uint32_t message_read_timeout_ms = 10000;
    uint32_t first_message_timeout_ms = 5000;

    bool operator==(const sip_section&) const = default;
};

struct calls_section {
    uint32_t max_sessions = 10000;
    uint32_t retry_after_s = 10;         // Retry-After on the 503 above max_sessions
    uint32_t no_answer_timeout_s = 180;  // no final answer: CANCEL the callee, 408 the caller
    std::string cdr_path;                // absolute path; empty = no call records written
    // Flows a previous sbcd left in the dataplane that no call of this one owns are removed
    // this long after start (issue 15); 0 removes them at once.
    uint32_t orphan_flow_grace_s = 30;
    // Media ports of each realm's pool that only emergency calls may take.
    uint32_t emergency_port_reserve = 20;

    bool operator==(const calls_section&) const = default;
};

struct neighbour {
    uint16_t dpdk_port = 0;
    std::string address;
    std::string mac;  // aa:bb:cc:dd:ee:ff

    bool operator==(const neighbour&) const = default;
};

struct dataplane_section {
    std::vector<uint32_t> lcores;  // empty = let the dataplane choose
    uint32_t workers = 1;
    uint32_t burst = 32;
    uint32_t cmd_ring_size = 4096;
    uint32_t evt_ring_size = 8192;
    uint32_t mbuf_pool_size = 8191;
    uint32_t max_flows = 65536;
    srtp_engine_kind srtp_engine = srtp_engine_kind::ipsec_mb;
    std::vector<std::string> eal_args;
    // Media ports the dataplane creates: "af_xdp:IFACE", "af_packet:IFACE", "memif:/SOCKET".
    std::vector<std::string> ports;
    uint32_t port_pps = 0;  // packets/s one port is sized for; 0 = from the media port ranges
    uint32_t rx_stall_ms = 100;  // a worker's absence the receive rings absorb
    std::vector<neighbour> neighbours;  // [[dataplane.neighbour]]

    bool operator==(const dataplane_section&) const = default;
};

struct mgmt_section {
    std::string socket;  // defaults to /run/sbc/<instance>.sock
    std::string group = "root";
    // The Prometheus endpoint (GET /metrics). On loopback by default: an operator gets metrics
    // without configuring anything, and plain unauthenticated HTTP is not reachable from either
    // realm until the operator chooses an address. Port 0 turns it off.
    std::string metrics_address = "127.0.0.1";
    uint16_t metrics_port = 9464;

    bool operator==(const mgmt_section&) const = default;
};

struct log_section {
    log_level level = log_level::info;

    bool operator==(const log_section&) const = default;
};

struct appliance {
    std::string instance = "default";
    realm_section realm;
    sip_server_section sip_server;
    std::vector<media_profile> media_profiles;
    std::vector<user_agent> user_agents;
    media_section media;
    std::vector<certificate_profile> certificate_profiles;
    remote_subscribers_section remote_subscribers;
    security_section security;
    push_section push;
    std::vector<ssp_profile> ssp_profiles;
    std::vector<remote_endpoint> remote_endpoints;
    cloudlink_section cloudlink;
    sip_section sip;
    calls_section calls;
    dataplane_section dataplane;
    mgmt_section mgmt;
    log_section log;

    // Look-ups by name; nullptr when absent (never, for names a loaded config refers to).
    const config::realm* find_realm(std::string_view name) const;
    const media_profile* find_media_profile(std::string_view name) const;
    const certificate_profile* find_certificate_profile(std::string_view name) const;
    const ssp_profile* find_ssp_profile(std::string_view name) const;
    const remote_endpoint* find_remote_endpoint(std::string_view name) const;

    bool operator==(const appliance&) const = default;
};

}  // namespace sbc::config
