// The media load tool (issue 11): N calls programmed on a running sbc-dataplane the way sbcd
// programs them (bench/media/load_calls.hpp), then SRTP from the access namespace and RTP from
// the core namespace at a chosen rate (load_sockets.hpp), every payload checked. Reports what
// arrived, the loss by cause (the generator's own, the dataplane's drop counters by reason, the
// ports' kernel-ring drops, imissed and rx_nombuf), and the dataplane's CPU per packet relayed:
// from /proc/PID/task/*/schedstat (all its threads, kernel time of its syscalls included) and
// from the worker's busy cycles.
//
//   media_load --config FILE --instance NAME --acc NETNS --core NETNS --calls N
//              --pps PPS_EACH_WAY [--seconds S] [--direction both|a2c|c2a]
//   media_load --calls-file FILE --pid PID --acc NETNS --core NETNS --calls N --pps ...
//   media_load --config FILE --instance NAME --memif ACCESS.sock,CORE.sock --calls N ...
//
// --pps 0 means real G.711 timing: calls x 50 packets/s each way. The second form drives
// another relay (rtpengine, set up by media_bench.py over its ng protocol): the calls' ports
// and keys come from FILE (JSON lines: access_port, core_port, client_key, relay_key as hex of
// key + salt) and PID's CPU is measured. Prints one JSON object. Run by media_bench.py, and by
// the system test tests/system/test_media_load.py.

#include <dirent.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/media/load_calls.hpp"
#include "bench/media/load_link.hpp"
#include "bench/media/load_memif.hpp"
#include "bench/media/load_traffic.hpp"
#include "config/config.hpp"

using namespace sbc;
using namespace std::chrono_literals;

namespace {

// Nanoseconds on a CPU of every thread of `pid` (the first field of schedstat).
uint64_t process_cpu_ns(int pid) {
    uint64_t total = 0;
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
        return 0;
    }
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        std::ifstream f(dir + "/" + e->d_name + "/schedstat");
        uint64_t ns = 0;
        if (f >> ns) {
            total += ns;
        }
    }
    closedir(d);
    return total;
}

// Packets the kernel dropped from its per-CPU input backlog (netdev_max_backlog), all CPUs:
// on the veths this is where a burst the receiving namespace cannot take in time is lost
// (/proc/net/softnet_stat, second column). The machine's, so other traffic counts too.
uint64_t backlog_drops() {
    std::ifstream f("/proc/net/softnet_stat");
    std::string line;
    uint64_t total = 0;
    while (std::getline(f, line)) {
        const auto sp = line.find(' ');
        if (sp != std::string::npos) {
            total += std::stoull(line.substr(sp + 1, 8), nullptr, 16);
        }
    }
    return total;
}

struct snapshot {
    std::vector<shm::lcore_counters> lcores;
    std::vector<cp::port_stats> ports;
    uint64_t cpu_ns = 0;
    uint64_t backlog_drops = 0;
    std::chrono::steady_clock::time_point at;
};

snapshot take(const cp::dataplane_client& dp) {
    // The main lcore copies the port counters every 100 ms: wait for a fresh copy.
    std::this_thread::sleep_for(150ms);
    snapshot s;
    s.lcores = dp.lcores();
    s.ports = dp.ports();
    s.cpu_ns = process_cpu_ns(dp.dataplane_pid());
    s.backlog_drops = backlog_drops();
    s.at = std::chrono::steady_clock::now();
    return s;
}

bool key_from_hex(const std::string& hex, shm::srtp_key& k) {
    if (hex.size() != 60) {
        return false;
    }
    k = shm::srtp_key{};
    k.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    k.master_key_len = 16;
    k.master_salt_len = 14;
    for (size_t i = 0; i < 30; ++i) {
        const uint8_t b = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
        if (i < 16) {
            k.master_key[i] = b;
        } else {
            k.master_salt[i - 16] = b;
        }
    }
    return true;
}

// Calls set up on another relay (media_bench.py writes the file).
std::string read_calls_file(const std::string& path, int n, uint32_t run,
                            std::vector<bench::load_call>& out) {
    std::ifstream f(path);
    std::string line;
    while (static_cast<int>(out.size()) < n && std::getline(f, line)) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        bench::load_call c;
        if (j.is_discarded() || !key_from_hex(j.value("client_key", ""), c.client_key) ||
            !key_from_hex(j.value("relay_key", ""), c.sbc_key)) {
            return path + ": bad line " + std::to_string(out.size() + 1);
        }
        c.access_sbc_port = j.value("access_port", uint16_t{0});
        c.core_sbc_port = j.value("core_port", uint16_t{0});
        // A relay keeps per-SSRC SRTP state (index, replay window) across runs on the same
        // calls: each run (--run) sends fresh streams.
        c.access_ssrc = 0x10000000u + run * 0x100000u + static_cast<uint32_t>(out.size());
        c.core_ssrc = 0x20000000u + run * 0x100000u + static_cast<uint32_t>(out.size());
        out.push_back(c);
    }
    if (static_cast<int>(out.size()) < n) {
        return path + ": " + std::to_string(out.size()) + " calls, " + std::to_string(n) +
               " asked for";
    }
    return {};
}

uint64_t lcore_sum(const std::vector<shm::lcore_counters>& l, uint64_t shm::lcore_counters::*f) {
    uint64_t n = 0;
    for (const auto& c : l) {
        n += c.*f;
    }
    return n;
}

nlohmann::json side_json(const bench::side_stats& s) {
    return {{"sent", s.sent},
            {"send_failed", s.send_failed},
            {"received", s.received},
            {"bad", s.bad},
            {"unknown_source", s.unknown_source},
            {"decrypted_sample", s.decrypted},
            {"socket_drops", s.socket_drops}};
}

}  // namespace

int main(int argc, char** argv) {
    cp::dataplane_client dp;
    std::map<std::string, std::string> a;
    for (int i = 1; i + 1 < argc; i += 2) {
        a[argv[i]] = argv[i + 1];
    }
    const bool relay_file = a.count("--calls-file") != 0;
    if (a.count("--memif")) {
        a.emplace("--acc", "");
        a.emplace("--core", "");
    }
    for (const char* need : {"--acc", "--core", "--calls"}) {
        if (!a.count(need)) {
            std::cerr << "media_load: " << need << " is required\n";
            return 2;
        }
    }
    if (!relay_file && (!a.count("--config") || !a.count("--instance"))) {
        std::cerr << "media_load: --config and --instance (or --calls-file and --pid)\n";
        return 2;
    }
    const int calls = std::stoi(a["--calls"]);
    double pps = a.count("--pps") ? std::stod(a["--pps"]) : 0.0;
    if (pps <= 0) {
        pps = 50.0 * calls;  // G.711 at 20 ms: 50 packets/s per call each way
    }
    const std::string dir = a.count("--direction") ? a["--direction"] : "both";
    bench::traffic_plan plan;
    // The generator's addresses and the relay's media addresses: the virtual appliance's.
    const bench::link_address acc{a["--acc"], "10.1.1.2", 21000, "10.1.1.1"};
    const bench::link_address core{a["--core"], "10.2.1.2", 31000, "10.2.1.1"};
    std::unique_ptr<bench::memif_peer> memif;
    if (a.count("--memif")) {
        // Kernel-free: the generator is the memif client of the dataplane's two memif ports.
        const std::string sockets = a["--memif"];
        const auto comma = sockets.find(',');
        std::string err;
        memif = bench::memif_peer::start(
            sockets.substr(0, comma), comma == std::string::npos ? "" : sockets.substr(comma + 1),
            acc, core, err);
        if (!memif) {
            std::cerr << "memif: " << err << "\n";
            return 2;
        }
        plan.access_link = [&] { return memif->link_for(0); };
        plan.core_link = [&] { return memif->link_for(1); };
    } else {
        plan.access_link = [acc] { return bench::make_socket_link(acc); };
        plan.core_link = [core] { return bench::make_socket_link(core); };
    }
    plan.pps = pps;
    plan.seconds = a.count("--seconds") ? std::stod(a["--seconds"]) : 10.0;
    plan.access_to_core = dir != "c2a";
    plan.core_to_access = dir != "a2c";
    if (calls < 1 || calls > 100000 || plan.seconds <= 0 || plan.seconds > 600) {
        std::cerr << "media_load: --calls 1..100000, --seconds (0, 600]\n";
        return 2;
    }

    std::vector<bench::load_call> load;
    snapshot before, after;
    bench::traffic_result r;
    double program_s = 0;
    if (relay_file) {
        if (auto err = read_calls_file(
                a["--calls-file"], calls,
                static_cast<uint32_t>(std::stoul(a.count("--run") ? a["--run"] : "0")) & 0xff,
                load);
            !err.empty()) {
            std::cerr << err << "\n";
            return 2;
        }
        const int pid = a.count("--pid") ? std::stoi(a["--pid"]) : 0;
        auto cpu = [&](snapshot& s) {
            s.cpu_ns = process_cpu_ns(pid);
            s.backlog_drops = backlog_drops();
            s.at = std::chrono::steady_clock::now();
        };
        r = bench::run_traffic(
            plan, load, [&] { cpu(before); }, [&] { cpu(after); });
        if (!r.error.empty()) {
            std::cerr << "traffic: " << r.error << "\n";
            return 1;
        }
    } else {
        config::load_options lo;
        lo.check_files = false;
        auto loaded = config::load_file(a["--config"], lo);
        if (!loaded.config) {
            std::cerr << "config: " << loaded.errors.at(0).to_string() << "\n";
            return 2;
        }
        const config::appliance cfg = *loaded.config;
        if (auto st = dp.attach_with_retry(a["--instance"], {10ms, 200ms, 20s}); !st) {
            std::cerr << "attach: " << st.message << "\n";
            return 2;
        }
        cp::media::media_manager mm(cfg, dp);
        const auto t_prog = std::chrono::steady_clock::now();
        if (auto err = bench::program_calls(mm, dp, cfg, calls, acc.own_ip, core.own_ip, load);
            !err.empty()) {
            std::cerr << "programming: " << err << "\n";
            return 1;
        }
        program_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_prog).count();
        std::cerr << "media_load: " << calls << " calls programmed in " << program_s << " s\n";
        r = bench::run_traffic(
            plan, load, [&] { before = take(dp); }, [&] { after = take(dp); });
        bench::end_calls(mm, dp, calls);
        if (!r.error.empty()) {
            std::cerr << "traffic: " << r.error << "\n";
            return 1;
        }
    }

    nlohmann::json drops = nlohmann::json::object();
    uint64_t dp_drops = 0;
    for (size_t reason = 0; reason < shm::drop_reason_count; ++reason) {
        uint64_t d = 0;
        for (size_t i = 0; i < after.lcores.size(); ++i) {
            d += after.lcores[i].drops[reason] -
                 (i < before.lcores.size() ? before.lcores[i].drops[reason] : 0);
        }
        if (d != 0) {
            drops[shm::drop_reason_name[reason]] = d;
            dp_drops += d;
        }
    }
    nlohmann::json ports = nlohmann::json::array();
    uint64_t kernel = 0, missed = 0, nombuf = 0;
    for (size_t i = 0; i < after.ports.size() && i < before.ports.size(); ++i) {
        const auto& b = before.ports[i].counters;
        const auto& e = after.ports[i].counters;
        ports.push_back({{"id", after.ports[i].id},
                         {"rx_packets", e.rx_packets - b.rx_packets},
                         {"tx_packets", e.tx_packets - b.tx_packets},
                         {"rx_kernel_drops", e.rx_kernel_drops - b.rx_kernel_drops},
                         {"rx_missed", e.rx_missed - b.rx_missed},
                         {"rx_nombuf", e.rx_nombuf - b.rx_nombuf},
                         {"rx_ring_frames", e.rx_ring_frames}});
        kernel += e.rx_kernel_drops - b.rx_kernel_drops;
        missed += e.rx_missed - b.rx_missed;
        nombuf += e.rx_nombuf - b.rx_nombuf;
    }
    const uint64_t rx = lcore_sum(after.lcores, &shm::lcore_counters::rx_packets) -
                        lcore_sum(before.lcores, &shm::lcore_counters::rx_packets);
    const uint64_t tx = lcore_sum(after.lcores, &shm::lcore_counters::tx_packets) -
                        lcore_sum(before.lcores, &shm::lcore_counters::tx_packets);
    const uint64_t cycles = lcore_sum(after.lcores, &shm::lcore_counters::busy_cycles) -
                            lcore_sum(before.lcores, &shm::lcore_counters::busy_cycles);
    const double hz = relay_file ? 1.0 : static_cast<double>(dp.header()->tsc_hz_khz) * 1000.0;
    const double wall = std::chrono::duration<double>(after.at - before.at).count();
    const uint64_t cpu_ns = after.cpu_ns - before.cpu_ns;
    const uint64_t sent = r.access.sent + r.core.sent;
    const uint64_t received = r.core.received + r.access.received;
    const uint64_t lost = sent > received ? sent - received : 0;
    nlohmann::json out = {
        {"calls", calls},
        {"direction", dir},
        {"pps_each_way_offered", pps},
        {"seconds", plan.seconds},
        {"measured_seconds", r.measured_seconds},
        {"programming_seconds", program_s},
        {"access_to_core", {{"sent", r.access.sent}, {"received", r.core.received}}},
        {"core_to_access", {{"sent", r.core.sent}, {"received", r.access.received}}},
        {"generator", {{"access", side_json(r.access)}, {"core", side_json(r.core)}}},
        {"sent", sent},
        {"received", received},
        {"lost", lost},
        {"bad", r.access.bad + r.core.bad},
        {"loss_by_cause",
         {{"generator_send_failed", r.access.send_failed + r.core.send_failed},
          {"generator_socket_drops", r.access.socket_drops + r.core.socket_drops},
          {"kernel_ring_drops", kernel},
          {"kernel_backlog_drops", after.backlog_drops - before.backlog_drops},
          {"port_rx_missed", missed},
          {"port_rx_nombuf", nombuf},
          {"dataplane_drops", dp_drops},
          {"dataplane_drops_by_reason", drops}}},
        {"ports", ports},
        {"dataplane_rx_packets", rx},
        {"dataplane_tx_packets", tx},
        {"dataplane_busy_ns_per_packet", rx ? 1e9 * static_cast<double>(cycles) / hz / rx : 0.0},
        {"dataplane_cpu_ns_per_packet", rx ? static_cast<double>(cpu_ns) / rx : 0.0},
        {"dataplane_cpu_share", wall > 0 ? static_cast<double>(cpu_ns) / 1e9 / wall : 0.0},
        // The relay process's CPU over the packets that arrived: comparable between relays.
        {"cpu_ns_per_packet_delivered",
         received ? static_cast<double>(cpu_ns) / static_cast<double>(received) : 0.0},
    };
    std::cout << out.dump() << "\n";
    return 0;
}
