#include "dataplane/cli.hpp"

#include <boost/program_options.hpp>
#include <optional>

#include <sstream>
#include "dataplane/config_map.hpp"

namespace po = boost::program_options;

namespace sbc::dp {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

bool parse_u16(const std::string& s, uint16_t& out) {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    const unsigned long v = std::stoul(s);
    if (v > 65535) {
        return false;
    }
    out = static_cast<uint16_t>(v);
    return true;
}

}  // namespace

bool parse_media(const std::string& text, media_address& out, std::string& error) {
    // PORT,ADDR[/PREFIX][,MIN-MAX]
    const auto parts = split(text, ',');
    media_address m;
    if (parts.size() < 2 || parts.size() > 3 || !parse_u16(parts[0], m.dpdk_port)) {
        error = "--media '" + text + "': expected PORT,ADDR[/PREFIX][,MIN-MAX]";
        return false;
    }
    std::string addr = parts[1];
    const auto slash = addr.find('/');
    if (slash != std::string::npos) {
        uint16_t len = 0;
        if (!parse_u16(addr.substr(slash + 1), len) || len > 32) {
            error = "--media '" + text + "': bad prefix length";
            return false;
        }
        m.prefix_len = static_cast<uint8_t>(len);
        addr = addr.substr(0, slash);
    }
    if (!shm::parse_ip(addr, m.addr)) {
        error = "--media '" + text + "': '" + addr + "' is not an IP address";
        return false;
    }
    if (parts.size() == 3) {
        const auto range = split(parts[2], '-');
        if (range.size() != 2 || !parse_u16(range[0], m.port_min) ||
            !parse_u16(range[1], m.port_max) || m.port_min > m.port_max) {
            error = "--media '" + text + "': bad port range (MIN-MAX)";
            return false;
        }
    }
    out = m;
    return true;
}

bool parse_neighbour(const std::string& text, static_neighbour& out, std::string& error) {
    const auto parts = split(text, ',');
    static_neighbour n;
    if (parts.size() != 3 || !parse_u16(parts[0], n.dpdk_port) ||
        !shm::parse_ip(parts[1], n.addr) || !shm::parse_mac(parts[2], n.mac)) {
        error = "--neighbour '" + text + "': expected PORT,ADDR,aa:bb:cc:dd:ee:ff";
        return false;
    }
    out = n;
    return true;
}

bool parse_gateway(const std::string& text, gateway& out, std::string& error) {
    const auto parts = split(text, ',');
    gateway g;
    if (parts.size() != 2 || !parse_u16(parts[0], g.dpdk_port) ||
        !shm::parse_ip(parts[1], g.addr)) {
        error = "--gateway '" + text + "': expected PORT,ADDR";
        return false;
    }
    out = g;
    return true;
}

cli_result parse_command_line(int argc, const char* const* argv) {
    cli_result r;
    settings& s = r.values;
    std::string engine = "ipsec-mb";
    std::string lcores;
    std::vector<std::string> eal, vdevs, media, neighbours, gateways, ports;
    po::options_description opts("sbc-dataplane options");
    // clang-format off
    opts.add_options()
        ("help,h", "print this help")
        ("config", po::value<std::string>()->implicit_value(""), "appliance config FILE (no FILE: the embedded default); later flags override it")
        ("instance", po::value(&s.instance), "instance name: region /dev/shm/sbc-NAME, EAL prefix sbc-NAME (default 'default')")
        ("workers", po::value(&s.workers), "packet lcores; 0 = the main lcore polls too (default 1)")
        ("lcores", po::value(&lcores), "comma list: main lcore, then one per worker (default 0..workers)")
        ("burst", po::value(&s.burst), "packets per rx burst, 1..64 (default 32)")
        ("cmd-ring-size", po::value(&s.cmd_ring_size), "command ring slots, power of two (default 4096)")
        ("evt-ring-size", po::value(&s.evt_ring_size), "event ring slots, power of two (default 8192)")
        ("mbuf-pool-size", po::value(&s.mbuf_pool_size), "mbufs in the pool (default 8191)")
        ("max-flows", po::value(&s.max_flows), "flow legs (default 65536)")
        ("srtp-engine", po::value(&engine), "ipsec-mb | libsrtp (default ipsec-mb)")
        ("eal", po::value(&eal)->composing(), "one EAL argument (repeat); replaces the defaults --no-huge -m 512 --no-pci")
        ("vdev", po::value(&vdevs)->composing(), "a DPDK virtual device, e.g. net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap (repeat)")
        ("port", po::value(&ports)->composing(), "af_xdp:IFACE | af_packet:IFACE | memif:/SOCKET: a media port with sized rings, dpdk_port in order (repeat; replaces the config's)")
        ("port-pps", po::value(&s.port_pps), "packets/s one port is sized for; 0 = from the media port ranges (default 0)")
        ("rx-stall-ms", po::value(&s.rx_stall_ms), "absence of the worker the receive rings absorb (default 100)")
        ("media", po::value(&media)->composing(), "PORT,ADDR[/PREFIX][,MIN-MAX]: a media address (repeat)")
        ("gateway", po::value(&gateways)->composing(), "PORT,ADDR: next hop for peers outside the media prefix")
        ("neighbour", po::value(&neighbours)->composing(), "PORT,ADDR,MAC: a static neighbour (repeat)")
        ("hold-rx", po::bool_switch(&s.hold_rx), "do not poll the ports until sbcd sends rx_start")
        ("idle-sleep-us", po::value(&s.idle_sleep_us), "sleep of an idle worker in microseconds, 0 = pure poll (default 100)")
        ("idle-quiet-us", po::value(&s.idle_quiet_us), "how long every port must be empty before a worker sleeps; 0 = after 1024 empty polls; -1 = 0 with af_xdp/af_packet ports, else the time the smallest ring takes to fill at the configured rate (default -1)")
        ("relatch-idle-ms", po::value(&s.relatch_idle_ms), "RTP-only re-latch after this much silence (default 2000)")
        ("auth-fail-event-ms", po::value(&s.auth_fail_event_ms), "min interval of auth_fail_burst events per flow (default 1000)");
    // clang-format on
    po::variables_map vm;
    try {
        const auto parsed = po::command_line_parser(argc, argv).options(opts).run();
        // The config file first, so that the flags given with it override its values.
        for (const auto& o : parsed.options) {
            if (o.string_key == "config") {
                const std::string path = o.value.empty() ? std::string() : o.value.front();
                const std::string err = load_config_settings(path, s);
                if (!err.empty()) {
                    r.error = "--config: " + err;
                    return r;
                }
                engine = engine_name(s.srtp_engine);
            }
        }
        po::store(parsed, vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        r.error = e.what();
        return r;
    }
    if (vm.count("help")) {
        std::ostringstream os;
        os << "usage: sbc-dataplane [options]\n" << opts;
        r.message = os.str();
        r.exit_now = true;
        return r;
    }
    if (engine == "ipsec-mb" || engine == "ipsecmb") {
        s.srtp_engine = srtp_engine_kind::ipsec_mb;
    } else if (engine == "libsrtp") {
        s.srtp_engine = srtp_engine_kind::libsrtp;
    } else {
        r.error = "--srtp-engine: expected ipsec-mb or libsrtp, got '" + engine + "'";
        return r;
    }
    if (!lcores.empty()) {
        for (const auto& p : split(lcores, ',')) {
            uint16_t v = 0;
            if (!parse_u16(p, v)) {
                r.error = "--lcores: '" + lcores + "' is not a comma list of lcore ids";
                return r;
            }
            s.lcores.push_back(v);
        }
    }
    if (!eal.empty()) {
        s.eal_args = eal;
    }
    if (!ports.empty()) {
        s.ports.clear();
        for (const auto& text : ports) {
            media_port p;
            if (!parse_media_port(text, p, r.error)) {
                r.error = "--port " + r.error;
                return r;
            }
            s.ports.push_back(p);
        }
    }
    for (const auto& v : vdevs) {
        s.eal_args.push_back("--vdev=" + v);
    }
    for (const auto& m : media) {
        media_address a;
        if (!parse_media(m, a, r.error)) {
            return r;
        }
        s.media.push_back(a);
    }
    for (const auto& g : gateways) {
        gateway a;
        if (!parse_gateway(g, a, r.error)) {
            return r;
        }
        s.gateways.push_back(a);
    }
    for (const auto& n : neighbours) {
        static_neighbour a;
        if (!parse_neighbour(n, a, r.error)) {
            return r;
        }
        s.neighbours.push_back(a);
    }
    return r;
}

}  // namespace sbc::dp
