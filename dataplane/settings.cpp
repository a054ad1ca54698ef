#include "dataplane/settings.hpp"

#include <algorithm>

namespace sbc::dp {

namespace {

bool is_power_of_two(uint32_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

bool has_arg(const std::vector<std::string>& args, std::initializer_list<const char*> names) {
    for (const auto& a : args) {
        for (const char* n : names) {
            const std::string name(n);
            if (a == name || a.rfind(name + "=", 0) == 0) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace

const char* engine_name(srtp_engine_kind k) {
    return k == srtp_engine_kind::libsrtp ? "libsrtp" : "ipsec-mb";
}

std::string file_prefix(const settings& s) {
    return "sbc-" + s.instance;
}

std::string validate(const settings& s) {
    if (s.instance.empty() || s.instance.size() > 31 ||
        s.instance.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_.") != std::string::npos) {
        return "instance: must be 1-31 characters of [A-Za-z0-9._-], got '" + s.instance + "'";
    }
    if (s.workers > 15) {
        return "dataplane.workers: at most 15, got " + std::to_string(s.workers);
    }
    if (!s.lcores.empty() && s.lcores.size() != s.workers + 1) {
        return "dataplane.lcores: needs workers + 1 = " + std::to_string(s.workers + 1) +
               " entries (main lcore first), got " + std::to_string(s.lcores.size());
    }
    if (s.burst == 0 || s.burst > 64) {
        return "dataplane.burst: must be 1..64, got " + std::to_string(s.burst);
    }
    if (!is_power_of_two(s.cmd_ring_size) || s.cmd_ring_size < 16) {
        return "dataplane.cmd_ring_size: must be a power of two >= 16, got " +
               std::to_string(s.cmd_ring_size);
    }
    if (!is_power_of_two(s.evt_ring_size) || s.evt_ring_size < 16) {
        return "dataplane.evt_ring_size: must be a power of two >= 16, got " +
               std::to_string(s.evt_ring_size);
    }
    if (s.mbuf_pool_size < 1024) {
        return "dataplane.mbuf_pool_size: must be >= 1024, got " + std::to_string(s.mbuf_pool_size);
    }
    if (s.max_flows < 2 || s.max_flows > (1u << 24)) {
        return "dataplane.max_flows: must be 2..16777216, got " + std::to_string(s.max_flows);
    }
    if (s.ports.size() > shm::max_ports) {
        return "dataplane.ports: at most " + std::to_string(shm::max_ports) + " ports, got " +
               std::to_string(s.ports.size());
    }
    for (size_t i = 0; i < s.ports.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            if (s.ports[j] == s.ports[i]) {
                return std::string("dataplane.ports: ") + port_kind_name(s.ports[i].kind) + ":" +
                       s.ports[i].target + " is listed twice";
            }
        }
    }
    if (s.rx_stall_ms == 0 || s.rx_stall_ms > 10000) {
        return "dataplane.rx_stall_ms: must be 1..10000, got " + std::to_string(s.rx_stall_ms);
    }
    for (const auto& m : s.media) {
        if (m.addr.family != shm::addr_family::ipv4) {
            return "media address " + shm::to_string(m.addr) +
                   ": only IPv4 media addresses are implemented";
        }
        if (m.prefix_len > 32) {
            return "media address " + shm::to_string(m.addr) + ": prefix length over 32";
        }
        if (m.dpdk_port >= shm::max_ports) {
            return "media address " + shm::to_string(m.addr) + ": dpdk_port " +
                   std::to_string(m.dpdk_port) + " is over the limit of " +
                   std::to_string(shm::max_ports);
        }
    }
    for (const auto& g : s.gateways) {
        if (g.addr.family != shm::addr_family::ipv4) {
            return "gateway " + shm::to_string(g.addr) + ": only IPv4 is implemented";
        }
    }
    for (const auto& n : s.neighbours) {
        if (n.addr.family != shm::addr_family::ipv4) {
            return "dataplane.neighbour " + shm::to_string(n.addr) +
                   ": only IPv4 neighbours are implemented";
        }
        if (n.dpdk_port >= shm::max_ports) {
            return "dataplane.neighbour " + shm::to_string(n.addr) + ": dpdk_port " +
                   std::to_string(n.dpdk_port) + " is over the limit";
        }
    }
    return {};
}

std::vector<std::string> eal_argv(const settings& s, const std::string& program) {
    std::vector<std::string> argv{program};
    for (const auto& p : plan_ports(s).ports) {
        argv.push_back("--vdev=" + p.vdev);
    }
    argv.insert(argv.end(), s.eal_args.begin(), s.eal_args.end());
    if (!has_arg(s.eal_args, {"--file-prefix"})) {
        argv.push_back("--file-prefix=" + file_prefix(s));
    }
    if (!has_arg(s.eal_args, {"-l", "--lcores", "-c"})) {
        std::string list;
        if (s.lcores.empty()) {
            list = s.workers == 0 ? "0" : "0-" + std::to_string(s.workers);
        } else {
            for (size_t i = 0; i < s.lcores.size(); ++i) {
                list += (i ? "," : "") + std::to_string(s.lcores[i]);
            }
        }
        argv.push_back("-l");
        argv.push_back(list);
        if (!s.lcores.empty()) {
            argv.push_back("--main-lcore=" + std::to_string(s.lcores.front()));
        }
    }
    return argv;
}

}  // namespace sbc::dp
