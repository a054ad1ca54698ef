#include <algorithm>
#include <string>

#include "config/address.hpp"
#include "config/read.hpp"
#include "config/rules.hpp"

// [security.dos], [push], [cloudlink], [sip], [calls], [dataplane], [mgmt], [log].

namespace sbc::config::detail {
namespace {

// Debian's DPDK 22.11 is built with RTE_MAX_LCORE 128.
constexpr uint32_t max_lcore = 128;

bool is_socket_path(std::string_view text) {
    // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
    return text.size() > 1 && text.size() <= 107 && text.front() == '/';
}
const string_rule socket_path{is_socket_path, "must be an absolute path of at most 107 bytes"};

bool power_of_two(uint32_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}

void read_ring_size(table_reader& r, std::string_view key, uint32_t& out) {
    if (r.integer(key, out, 64, 1 << 20) && !power_of_two(out)) {
        r.fail_value(key, "must be a power of two (rte_ring size)");
    }
}

void read_dos(table_reader& r, dos_section& out) {
    r.boolean("dynamic_blacklist", out.dynamic_blacklist);
    r.boolean("process_initial_registration", out.process_initial_registration);
    r.integer("max_requests_per_source_per_s", out.max_requests_per_source_per_s, 1, 1000000);
    r.integer("blacklist_duration_s", out.blacklist_duration_s, 1, 604800);
    r.integer("max_connections_per_source", out.max_connections_per_source, 1, 65535);
}

void read_push(table_reader& r, push_section& out) {
    r.boolean("enable", out.enable);
    bool providers = r.string_list("providers", out.providers, need::optional, &rules::token);
    for (std::size_t i = 1; providers && i < out.providers.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (out.providers[i] == out.providers[j]) {
                r.ctx().fail_at(r.element_path("providers", i), "listed twice");
                break;
            }
        }
    }
    if (out.enable && !r.node("providers")) {
        r.fail_missing("providers", "at least one provider when enable = true");
    } else if (out.enable && providers && out.providers.empty()) {
        r.fail_value("providers", "at least one provider when enable = true");
    }
    r.integer("invite_wait_s", out.invite_wait_s, 1, 120);
    r.integer("max_per_device_per_minute", out.max_per_device_per_minute, 1, 600);
    r.integer("request_timeout_ms", out.request_timeout_ms, 100, 30000);
}

void read_cloudlink(table_reader& r, cloudlink_section& out) {
    r.boolean("enable", out.enable);
    r.string("base_url", out.base_url, out.enable ? need::required : need::optional,
             &rules::https_url);
    r.optional_string("ca", out.ca, &rules::absolute_path);
    r.string("state_dir", out.state_dir, need::optional, &rules::absolute_path);
    r.integer("inventory_interval_s", out.inventory_interval_s, 1, 86400);
    r.integer("request_timeout_ms", out.request_timeout_ms, 500, 120000);
    r.integer("max_clock_offset_s", out.max_clock_offset_s, 1, 3600);
    with_table(r, "proxy", need::optional, [&](table_reader& p) {
        p.boolean("enable", out.proxy.enable);
        need n = out.proxy.enable ? need::required : need::optional;
        p.string("address", out.proxy.address, n, &rules::host);
        p.integer("port", out.proxy.port, 1, 65535, n);
        if (p.boolean("from_environment", out.proxy.from_environment) &&
            out.proxy.from_environment && out.proxy.enable) {
            p.fail_value("from_environment",
                         "the proxy comes from address/port (enable = true) or from the "
                         "environment, not both");
        }
        p.string_list("no_proxy", out.proxy.no_proxy, need::optional, &rules::no_proxy_entry);
        p.string("username", out.proxy.username, need::optional, &rules::proxy_username);
        p.optional_string("password_file", out.proxy.password_file, &rules::absolute_path);
        if (out.proxy.password_file && out.proxy.username.empty()) {
            p.fail_value("password_file", "needs username");
        }
    });
}

void read_sip(table_reader& r, sip_section& out) {
    bool t1 = r.integer("t1_ms", out.t1_ms, 1, 60000) || !r.node("t1_ms");
    if (r.integer("t2_ms", out.t2_ms, 1, 600000) && t1 && out.t2_ms < out.t1_ms) {
        r.fail_value("t2_ms", "must be at least t1_ms");  // RFC 3261 §17.1.2.2
    }
    r.integer("t4_ms", out.t4_ms, 1, 600000);
    bool message = r.integer("max_message_bytes", out.max_message_bytes, 1024, 1 << 24) ||
                   !r.node("max_message_bytes");
    r.integer("max_headers", out.max_headers, 8, 4096);
    if (r.integer("max_line_bytes", out.max_line_bytes, 256, 1 << 24) && message &&
        out.max_line_bytes > out.max_message_bytes) {
        r.fail_value("max_line_bytes", "must not exceed max_message_bytes");
    }
    if (r.integer("max_pending_bytes_per_connection", out.max_pending_bytes_per_connection, 1024,
                  1 << 28) &&
        message && out.max_pending_bytes_per_connection < out.max_message_bytes) {
        r.fail_value("max_pending_bytes_per_connection", "must be at least max_message_bytes");
    }
    r.integer("max_connections", out.max_connections, 16, 1 << 20);
    r.integer("max_connections_per_source", out.max_connections_per_source, 1, 65535);
    r.integer("tls_handshake_timeout_ms", out.tls_handshake_timeout_ms, 100, 60000);
    const bool idle =
        r.integer("connection_idle_timeout_s", out.connection_idle_timeout_s, 1, 86400) ||
        !r.node("connection_idle_timeout_s");
    r.integer("message_read_timeout_ms", out.message_read_timeout_ms, 100, 600000);
    // A limit before the first message longer than the idle limit would never be reached.
    if (r.integer("first_message_timeout_ms", out.first_message_timeout_ms, 100, 600000) && idle &&
        out.first_message_timeout_ms > uint64_t{out.connection_idle_timeout_s} * 1000) {
        r.fail_value("first_message_timeout_ms",
                     "must not exceed connection_idle_timeout_s (in milliseconds)");
    }
}

void read_lcores(table_reader& r, std::vector<uint32_t>& out) {
    const toml::node* node = r.node("lcores");
    if (node == nullptr) {
        return;
    }
    const std::string rule = "must be a list of distinct lcore ids below " +
                             std::to_string(max_lcore) + " or a string like \"0-1,3\"";
    if (const auto* text = node->as_string()) {
        if (auto list = parse_lcore_list(text->get(), max_lcore)) {
            out = std::move(*list);
        } else {
            r.fail_value("lcores", rule);
        }
        return;
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
        r.fail_value("lcores", rule);
        return;
    }
    std::vector<uint32_t> list;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto* value = (*array)[i].as_integer();
        bool ok = value != nullptr && value->get() >= 0 && value->get() < max_lcore;
        if (ok) {
            auto lcore = static_cast<uint32_t>(value->get());
            ok = std::find(list.begin(), list.end(), lcore) == list.end();
            list.push_back(lcore);
        }
        if (!ok) {
            r.ctx().fail(position_of((*array)[i].source()), r.element_path("lcores", i), rule);
            return;
        }
    }
    out = std::move(list);
}

// The shape of a `ports` entry; sbc-dataplane parses it (dataplane/port_plan.cpp).
bool is_media_port(std::string_view t) {
    const auto colon = t.find(':');
    if (colon == std::string_view::npos) {
        return false;
    }
    const std::string_view kind = t.substr(0, colon);
    const std::string_view target = t.substr(colon + 1);
    if (kind == "memif") {
        return target.size() >= 2 && target.size() <= 107 && target[0] == '/' &&
               target.find_first_of(",= \t\r\n") == std::string_view::npos;
    }
    return (kind == "af_xdp" || kind == "af_packet") && !target.empty() && target.size() < 16 &&
           target.find_first_of(",= /\t\r\n") == std::string_view::npos;
}
const string_rule media_port{is_media_port,
                             "must be af_xdp:IFACE, af_packet:IFACE (1-15 bytes, no ',', '=', "
                             "'/', spaces) or memif:/SOCKET/PATH (absolute, at most 107 bytes)"};

bool sets_lcores(std::string_view arg) {
    return arg.starts_with("-l") || arg.starts_with("-c") || arg.starts_with("--lcores");
}

void read_dataplane(table_reader& r, dataplane_section& out) {
    read_lcores(r, out.lcores);
    if (r.integer("workers", out.workers, 1, 64) && !out.lcores.empty() &&
        out.workers > out.lcores.size()) {
        r.fail_value("workers", "must not exceed the number of lcores");
    }
    r.integer("burst", out.burst, 1, 64);
    read_ring_size(r, "cmd_ring_size", out.cmd_ring_size);
    read_ring_size(r, "evt_ring_size", out.evt_ring_size);
    r.integer("mbuf_pool_size", out.mbuf_pool_size, 1024, 1 << 24);
    r.integer("max_flows", out.max_flows, 1, 1 << 24);
    r.enumeration("srtp_engine", out.srtp_engine);
    if (r.string_list("eal_args", out.eal_args, need::optional, &rules::non_empty)) {
        for (std::size_t i = 0; i < out.eal_args.size() && !out.lcores.empty(); ++i) {
            if (sets_lcores(out.eal_args[i])) {
                r.ctx().fail_at(r.element_path("eal_args", i),
                                "must not set lcores (-l/-c/--lcores) when lcores is set");
            }
        }
    }
    r.string_list("ports", out.ports, need::optional, &media_port);
    if (out.ports.size() > 8) {
        r.fail_value("ports", "at most 8 ports (dpdk_port 0-7)");
    }
    r.integer("port_pps", out.port_pps, 0, 100'000'000);
    r.integer("rx_stall_ms", out.rx_stall_ms, 1, 10'000);
    each_table(r, "neighbour", need::optional, out.neighbours, [](table_reader& n, auto& entry) {
        n.integer("dpdk_port", entry.dpdk_port, 0, 7, need::required);
        n.string("address", entry.address, need::required, &rules::ip_literal);
        n.string("mac", entry.mac, need::required, &rules::mac);
    });
}

}  // namespace

void read_system(table_reader& root, appliance& out) {
    with_table(root, "security", need::optional, [&](table_reader& security) {
        with_table(security, "dos", need::optional,
                   [&](table_reader& r) { read_dos(r, out.security.dos); });
    });
    with_table(root, "push", need::optional, [&](table_reader& r) { read_push(r, out.push); });
    with_table(root, "cloudlink", need::optional,
               [&](table_reader& r) { read_cloudlink(r, out.cloudlink); });
    with_table(root, "sip", need::optional, [&](table_reader& r) { read_sip(r, out.sip); });
    with_table(root, "calls", need::optional, [&](table_reader& r) {
        r.integer("max_sessions", out.calls.max_sessions, 1, 1000000);
        r.integer("retry_after_s", out.calls.retry_after_s, 1, 3600);
        r.integer("no_answer_timeout_s", out.calls.no_answer_timeout_s, 1, 3600);
        r.integer("orphan_flow_grace_s", out.calls.orphan_flow_grace_s, 0, 3600);
        r.integer("emergency_port_reserve", out.calls.emergency_port_reserve, 0, 32767);
        r.string("cdr_path", out.calls.cdr_path, need::optional, &rules::absolute_path);
    });
    with_table(root, "dataplane", need::optional,
               [&](table_reader& r) { read_dataplane(r, out.dataplane); });
    with_table(root, "mgmt", need::optional, [&](table_reader& r) {
        r.string("socket", out.mgmt.socket, need::optional, &socket_path);
        r.string("group", out.mgmt.group, need::optional, &rules::group_name);
        r.string("metrics_address", out.mgmt.metrics_address, need::optional, &rules::ip_literal);
        r.integer("metrics_port", out.mgmt.metrics_port, 0, 65535);
    });
    with_table(root, "log", need::optional,
               [&](table_reader& r) { r.enumeration("level", out.log.level); });
}

}  // namespace sbc::config::detail
