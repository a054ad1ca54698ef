#include "mgmt/sbcctl/render.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "common/hex.hpp"

namespace sbc::mgmt {

std::string terminal_text(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto b = static_cast<unsigned char>(utf8[i]);
        if (b < 0x20 || b == 0x7f) {
            append_escaped_byte(out, b);
        } else if (b == 0xc2 && i + 1 < utf8.size() &&
                   static_cast<unsigned char>(utf8[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(utf8[i + 1]) <= 0x9f) {
            const auto c1 = static_cast<unsigned char>(utf8[++i]);
            out.append("\\u00");
            append_hex(out, c1);
        } else {
            out.push_back(static_cast<char>(b));
        }
    }
    return out;
}

std::string scalar_text(const nlohmann::json& v) {
    if (v.is_null()) {
        return "-";
    }
    if (v.is_string()) {
        return terminal_text(v.get_ref<const std::string&>());
    }
    if (v.is_boolean()) {
        return v.get<bool>() ? "yes" : "no";
    }
    return terminal_text(json_text(v));
}

std::string text_of(const nlohmann::json& j, const char* key, const char* none) {
    if (!j.is_object() || !j.contains(key) || j[key].is_null() || j[key] == "") {
        return none;
    }
    return scalar_text(j[key]);
}

const nlohmann::json& object_of(const nlohmann::json& j, const char* key) {
    static const nlohmann::json empty = nlohmann::json::object();
    return j.is_object() && j.contains(key) && j[key].is_object() ? j[key] : empty;
}

const nlohmann::json& array_of(const nlohmann::json& j, const char* key) {
    static const nlohmann::json empty = nlohmann::json::array();
    return j.is_object() && j.contains(key) && j[key].is_array() ? j[key] : empty;
}

namespace {

const nlohmann::json& field(const nlohmann::json& j, const char* key) {
    static const nlohmann::json null_value;
    return j.is_object() && j.contains(key) ? j[key] : null_value;
}

}  // namespace

std::string render_table(const nlohmann::json& table) {
    const auto& cols = field(table, "columns");
    const auto& rows = field(table, "rows");
    if (!cols.is_array() || !rows.is_array()) {
        return "(malformed table)\n";
    }
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> width(cols.size(), 0);
    cells.emplace_back();
    for (size_t c = 0; c < cols.size(); ++c) {
        cells.back().push_back(scalar_text(cols[c]));
    }
    for (const auto& r : rows) {
        cells.emplace_back();
        for (size_t c = 0; c < cols.size(); ++c) {
            cells.back().push_back(r.is_array() && c < r.size() ? scalar_text(r[c]) : "-");
        }
    }
    for (const auto& row : cells) {
        for (size_t c = 0; c < row.size(); ++c) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    std::ostringstream os;
    for (const auto& row : cells) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size()) {
                line += std::string(width[c] - row[c].size() + 2, ' ');
            }
        }
        os << line << "\n";
    }
    if (rows.empty()) {
        os << "(none)\n";
    }
    return os.str();
}

std::string render_status(const nlohmann::json& st) {
    std::ostringstream os;
    os << "sbcd        running, pid " << scalar_text(field(st, "pid")) << ", up "
       << scalar_text(field(st, "uptime_s")) << " s, instance "
       << scalar_text(field(st, "instance")) << ", config "
       << scalar_text(field(st, "config_source")) << "\n";
    const auto& dp = field(st, "dataplane");
    if (scalar_text(field(dp, "attached")) == "yes") {
        os << "dataplane   attached, pid " << scalar_text(field(dp, "pid")) << ", "
           << scalar_text(field(dp, "state")) << ", heartbeat "
           << scalar_text(field(dp, "heartbeat_age_ms")) << " ms ago, contract v"
           << scalar_text(field(dp, "contract_version")) << "\n";
        const auto& ports = field(dp, "ports");
        if (ports.is_array()) {
            for (const auto& p : ports) {
                os << "  port " << scalar_text(field(p, "id")) << "      "
                   << scalar_text(field(p, "mac")) << " "
                   << (scalar_text(field(p, "up")) == "yes" ? "up" : "down") << "  rx "
                   << scalar_text(field(p, "rx_packets")) << " pkts  tx "
                   << scalar_text(field(p, "tx_packets"))
                   << " pkts  lost before the SBC: kernel ring "
                   << scalar_text(field(p, "rx_kernel_drops")) << ", port "
                   << scalar_text(field(p, "rx_missed")) << "; rx ring "
                   << scalar_text(field(p, "rx_ring_frames")) << "\n";
            }
        }
    } else {
        os << "dataplane   NOT attached: " << scalar_text(field(dp, "error")) << "\n";
    }
    const auto& realms = field(st, "realms");
    if (realms.is_array()) {
        for (const auto& r : realms) {
            const std::string name = scalar_text(field(r, "name"));
            os << "realm " << name << std::string(name.size() < 6 ? 6 - name.size() : 1, ' ')
               << scalar_text(field(r, "signalling_address")) << " udp "
               << scalar_text(field(r, "sip_udp_port")) << " tcp "
               << scalar_text(field(r, "sip_tcp_port")) << " tls "
               << scalar_text(field(r, "sip_tls_port")) << ", media "
               << scalar_text(field(r, "media_address")) << " ports "
               << scalar_text(field(r, "media_ports")) << " (dpdk port "
               << scalar_text(field(r, "dpdk_port")) << ")\n";
        }
    }
    const auto& sip_realms = field(st, "sip_realms");
    if (sip_realms.is_array()) {
        for (const auto& r : sip_realms) {
            os << "sip " << scalar_text(field(r, "name")) << "  ";
            const auto& listeners = field(r, "listeners");
            if (listeners.is_array()) {
                for (const auto& l : listeners) {
                    os << " " << scalar_text(field(l, "transport")) << " "
                       << scalar_text(field(l, "address"));
                }
            }
            os << ", " << scalar_text(field(r, "connections")) << " connections\n";
        }
    }
    const auto& trunk = field(st, "sip_server");
    if (trunk.is_object()) {
        os << "sip server  " << scalar_text(field(trunk, "comm_system_type")) << ", OPTIONS every "
           << scalar_text(field(trunk, "options_interval_s")) << " s\n";
        const auto& nodes = field(trunk, "nodes");
        if (nodes.is_array()) {
            for (const auto& n : nodes) {
                os << "  node " << scalar_text(field(n, "name")) << "  "
                   << scalar_text(field(n, "address")) << ":" << scalar_text(field(n, "port"))
                   << "/" << scalar_text(field(n, "transport")) << "  "
                   << scalar_text(field(n, "state"));
                if (n.contains("since_s")) {
                    os << " for " << scalar_text(field(n, "since_s")) << " s";
                }
                const std::string reason = scalar_text(field(n, "reason"));
                if (scalar_text(field(n, "state")) == "down" && reason != "-") {
                    os << " (" << reason << ")";
                }
                os << "\n";
            }
        }
    }
    for (const char* k : {"registrations", "calls"}) {
        if (st.contains(k)) {
            const std::size_t len = std::string_view(k).size();
            os << k << std::string(len < 12 ? 12 - len : 1, ' ') << scalar_text(st[k]) << "\n";
        }
    }
    // What this sbcd found at start in the dataplane (issue 15).
    const auto& restart = field(st, "restart");
    if (restart.is_object()) {
        // Calls are not restored yet (README, "sbcd restart"): only bindings are kept.
        os << "restart     ";
        if (field(restart, "state_store").is_string()) {
            os << "restored " << scalar_text(field(restart, "restored_bindings")) << " bindings, ";
        } else if (field(restart, "state_store").is_null() && restart.contains("state_store")) {
            os << "nothing kept (no --state-dir), ";
        }
        os << "removed " << scalar_text(field(restart, "orphan_flows_removed")) << " orphan flows";
        const std::string pending = scalar_text(field(restart, "orphan_flows_pending"));
        if (pending != "0" && pending != "-") {
            os << ", " << pending << " more in "
               << scalar_text(field(restart, "orphan_removal_in_s")) << " s";
        }
        const std::string unknown = scalar_text(field(restart, "unknown_flow_events"));
        if (unknown != "0" && unknown != "-") {
            os << ", " << unknown << " events for flows no call owns";
        }
        os << "\n";
    }
    const auto& sec = field(st, "security");
    if (sec.is_object()) {
        const std::string left = scalar_text(field(sec, "under_attack_remaining_s"));
        os << "security    "
           << (left == "0" || left == "-" ? "normal" : "UNDER ATTACK (" + left + " s left)") << ", "
           << scalar_text(field(sec, "blacklisted")) << " blacklisted\n";
    }
    // Exceptions caught at sbcd's entry points (each cost one message, not the process).
    const auto& exc = field(st, "exceptions");
    if (exc.is_object()) {
        const std::string total = scalar_text(field(exc, "total"));
        os << "exceptions  " << total << " caught";
        const std::string last = scalar_text(field(exc, "last"));
        if (total != "0" && last != "-" && !last.empty()) {
            os << ", last: " << last;
        }
        os << "\n";
    }
    return os.str();
}

std::string render_counter_line(std::string_view label, std::span<const counter_row> rows,
                                const nlohmann::json& values) {
    std::string out(label);
    out += ":";
    std::size_t line = out.size();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string name(rows[i].name);
        std::string item = " " + name + " " + scalar_text(values.value(name, nlohmann::json()));
        if (i + 1 < rows.size()) {
            item += ",";
        }
        if (line + item.size() > 100) {
            out += "\n ";
            line = 1;
        }
        out += item;
        line += item.size();
    }
    return out + "\n";
}

}  // namespace sbc::mgmt
