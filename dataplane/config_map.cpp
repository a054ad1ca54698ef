#include "dataplane/config_map.hpp"

#include "config/config.hpp"
#include "dataplane/cli.hpp"

namespace sbc::dp {

namespace {

std::string add_realm(const config::realm& r, settings& out) {
    if (r.media_address.empty()) {
        return {};
    }
    media_address m;
    std::string err;
    const std::string text = std::to_string(r.dpdk_port) + "," + r.media_address + "/" +
                             std::to_string(r.media_prefix_length) +
                             (r.media_port_min ? "," + std::to_string(r.media_port_min) + "-" +
                                                     std::to_string(r.media_port_max)
                                               : "");
    if (!parse_media(text, m, err)) {
        return "realm." + r.name + ".media_address: '" + r.media_address +
               "' is not usable by the dataplane";
    }
    out.media.push_back(m);
    if (!r.media_gateway.empty()) {
        gateway g;
        if (!parse_gateway(std::to_string(r.dpdk_port) + "," + r.media_gateway, g, err)) {
            return "realm." + r.name + ".media_gateway: '" + r.media_gateway +
                   "' is not usable by the dataplane";
        }
        out.gateways.push_back(g);
    }
    return {};
}

}  // namespace

std::string settings_from_config(const config::appliance& cfg, settings& out) {
    settings s;
    s.instance = cfg.instance;
    const auto& d = cfg.dataplane;
    s.lcores = d.lcores;
    s.workers = d.workers;
    s.burst = d.burst;
    s.cmd_ring_size = d.cmd_ring_size;
    s.evt_ring_size = d.evt_ring_size;
    s.mbuf_pool_size = d.mbuf_pool_size;
    s.max_flows = d.max_flows;
    s.srtp_engine = d.srtp_engine == config::srtp_engine_kind::libsrtp ? srtp_engine_kind::libsrtp
                                                                       : srtp_engine_kind::ipsec_mb;
    if (!d.eal_args.empty()) {
        s.eal_args = d.eal_args;
    }
    for (size_t i = 0; i < d.ports.size(); ++i) {
        media_port p;
        std::string err;
        if (!parse_media_port(d.ports[i], p, err)) {
            return "dataplane.ports[" + std::to_string(i) + "]: " + err;
        }
        s.ports.push_back(p);
    }
    s.port_pps = d.port_pps;
    s.rx_stall_ms = d.rx_stall_ms;
    for (const auto* r : {&cfg.realm.access, &cfg.realm.core}) {
        std::string err = add_realm(*r, s);
        if (!err.empty()) {
            return err;
        }
    }
    for (size_t i = 0; i < d.neighbours.size(); ++i) {
        static_neighbour n;
        std::string err;
        if (!parse_neighbour(std::to_string(d.neighbours[i].dpdk_port) + "," +
                                 d.neighbours[i].address + "," + d.neighbours[i].mac,
                             n, err)) {
            return "dataplane.neighbour[" + std::to_string(i) + "]: address or mac not usable";
        }
        s.neighbours.push_back(n);
    }
    out = s;
    return {};
}

std::string load_config_settings(const std::string& path, settings& out) {
    config::appliance cfg;
    if (path.empty()) {
        cfg = config::embedded_default();
    } else {
        config::load_options opts;
        opts.check_files = false;  // certificates are sbcd's business
        auto r = config::load_file(path, opts);
        if (!r.config) {
            std::string msg = r.errors.empty() ? path + ": cannot load" : r.errors[0].to_string();
            if (r.errors.size() > 1) {
                msg += " (and " + std::to_string(r.errors.size() - 1) + " more errors)";
            }
            return msg;
        }
        cfg = *r.config;
    }
    return settings_from_config(cfg, out);
}

}  // namespace sbc::dp
