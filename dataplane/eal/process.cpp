#include "dataplane/eal/process.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "dataplane/core/control.hpp"
#include "dataplane/core/event_out.hpp"
#include "dataplane/core/idle_policy.hpp"
#include "dataplane/core/main_loop.hpp"
#include "dataplane/core/tables.hpp"
#include "dataplane/eal/ports.hpp"
#include "dataplane/eal/worker.hpp"
#include "dataplane/shm/region.hpp"

namespace sbc::dp {

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
    g_stop.store(true, std::memory_order_relaxed);
}

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

void* hugepage_alloc(size_t bytes, size_t align, void* socket) {
    return rte_zmalloc_socket("sbc_tables", bytes, static_cast<unsigned>(align),
                              *static_cast<const int*>(socket));
}

void hugepage_free(void* p, void*) {
    rte_free(p);
}

// The core takes plain values, not the process's settings.
table_params table_params_of(const settings& s) {
    table_params p;
    p.max_flows = s.max_flows;
    p.engine = s.srtp_engine == srtp_engine_kind::libsrtp ? srtp::engine_kind::libsrtp
                                                          : srtp::engine_kind::ipsecmb;
    p.hold_rx = s.hold_rx;
    p.relatch_idle_ms = s.relatch_idle_ms;
    p.auth_fail_event_ms = s.auth_fail_event_ms;
    p.media = s.media;
    p.gateways = s.gateways;
    p.neighbours = s.neighbours;
    return p;
}

int fail(const std::string& msg) {
    std::fprintf(stderr, "sbc-dataplane: %s\n", msg.c_str());
    return 1;
}

struct launch_arg {
    worker* w;
};

int worker_main(void* arg) {
    static_cast<launch_arg*>(arg)->w->run(g_stop);
    return 0;
}

class dataplane {
  public:
    dataplane(const settings& s, shm::region& r, port_set& ports, uint32_t port_pps)
        : s_(s),
          region_(r),
          ports_(ports),
          out_(r.event_ring(), r.counters()),
          port_pps_(port_pps) {}

    std::string start() {
        const uint32_t workers = s_.workers == 0 ? 1 : s_.workers;
        table_params params = table_params_of(s_);
        if (rte_eal_has_hugepages() != 0) {
            // The index, the legs' records and the SRTP records on hugepages, on the ports' node.
            socket_ = ports_.socket();
            params.memory = table_memory{hugepage_alloc, hugepage_free, &socket_, "hugepages"};
        }
        memory_ = params.memory.name;
        try {
            tables_ = std::make_unique<tables>(params, workers, region_.flows());
        } catch (const std::bad_alloc&) {
            return "flow tables for dataplane.max_flows = " + std::to_string(s_.max_flows) +
                   " do not fit in " + memory_;
        }
        tables_->tsc_hz = rte_get_tsc_hz();
        {
            timespec ts{};
            clock_gettime(CLOCK_REALTIME, &ts);
            const uint64_t now_ns = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
                                    static_cast<uint64_t>(ts.tv_nsec);
            const uint64_t tsc_ns = static_cast<uint64_t>(
                static_cast<unsigned __int128>(rte_rdtsc()) * 1'000'000'000ULL / tables_->tsc_hz);
            tables_->unix_ns_at_tsc0 = now_ns - tsc_ns;
            tables_->mono_ns_at_tsc0 = monotonic_ns() - tsc_ns;
        }
        for (const auto& p : ports_.ports()) {
            if (p.id < shm::max_ports) {
                tables_->ports[p.id].present = true;
                tables_->ports[p.id].tx_ip_cksum = p.tx_ip_cksum;
                tables_->ports[p.id].tx_udp_cksum = p.tx_udp_cksum;
                tables_->ports[p.id].rx_ptype_udp4 = p.rx_ptype_udp4;
                std::memcpy(tables_->ports[p.id].mac.data(), p.mac.addr_bytes, 6);
            }
        }
        for (const auto& m : s_.media) {
            if (!tables_->ports[m.dpdk_port].present) {
                return "media address " + shm::to_string(m.addr) + ": dpdk_port " +
                       std::to_string(m.dpdk_port) + " does not exist (" +
                       std::to_string(ports_.ports().size()) + " ports probed)";
            }
        }
        control_ =
            std::make_unique<control>(*tables_, [this](const shm::event& ev) { out_.emit(ev); });
        auto& ctr = region_.counters();
        quiet_tsc_ = quiet_time(rte_get_tsc_hz());
        try {
            for (uint32_t i = 0; i < workers; ++i) {
                workers_.push_back(std::make_unique<worker>(
                    i, *tables_, ports_, s_.burst, &ctr.lcores[i], s_.idle_sleep_us, quiet_tsc_));
            }
        } catch (const std::exception& e) {
            return std::string("srtp engine ") + engine_name(s_.srtp_engine) + ": " + e.what();
        }
        if (workers_.size() > 1) {
            for (uint32_t i = 0; i < workers_.size(); ++i) {
                const std::string name = "sbc_handoff_" + std::to_string(i);
                rte_ring* r = rte_ring_create(name.c_str(), 1024, static_cast<int>(rte_socket_id()),
                                              RING_F_SC_DEQ);
                if (r == nullptr) {
                    return "handoff ring for worker " + std::to_string(i) + ": " +
                           rte_strerror(rte_errno);
                }
                handoff_.push_back(r);
            }
            for (uint32_t i = 0; i < workers_.size(); ++i) {
                workers_[i]->set_handoff(handoff_[i], handoff_);
            }
        }
        auto& h = region_.header();
        h.port_count = static_cast<uint32_t>(ports_.ports().size());
        h.lcore_count = workers;
        h.worker_count = s_.workers;
        h.tsc_hz_khz = static_cast<uint32_t>(rte_get_tsc_hz() / 1000);
        return {};
    }

    const char* table_memory_name() const { return memory_; }
    int socket() const { return socket_; }

    // How long every port must stay empty before a polling lcore may sleep: the time the
    // smallest receive ring takes to fill at the configured rate (core/idle_policy.hpp).
    // With kernel-backed ports (af_xdp, af_packet) the kernel does half of each packet's work
    // (veth NAPI, XDP, the socket rings) in softirq on these same CPUs, and a worker that never
    // sleeps starves it. On the oversubscribed 2-vCPU appliance 200 calls lost a median 21% of
    // their packets in the XDP rings with the worker spinning, 2.8% with it napping after 1024
    // empty polls (bench/media/RESULTS.md). There the quiet time is 0.
    uint64_t quiet_time(uint64_t hz) const {
        if (s_.idle_quiet_us >= 0) {
            return hz * static_cast<uint64_t>(s_.idle_quiet_us) / 1'000'000;
        }
        for (const auto& p : s_.ports) {
            if (p.kind != port_kind::memif) {
                return 0;
            }
        }
        uint64_t quiet = 0;
        for (const auto& p : ports_.ports()) {
            const uint64_t t = ring_fill_tsc(p.ring_frames, port_pps_, hz);
            quiet = quiet == 0 ? t : std::min(quiet, t);
        }
        return quiet;
    }

  public:
    uint64_t quiet_tsc() const { return quiet_tsc_; }

    std::string launch() {
        if (s_.workers == 0) {
            return {};
        }
        unsigned lcore = 0;
        uint32_t i = 0;
        RTE_LCORE_FOREACH_WORKER(lcore) {
            if (i >= workers_.size()) {
                break;
            }
            args_.push_back(std::make_unique<launch_arg>(launch_arg{workers_[i].get()}));
            if (rte_eal_remote_launch(worker_main, args_.back().get(), lcore) != 0) {
                return "cannot launch worker on lcore " + std::to_string(lcore);
            }
            ++i;
        }
        if (i < workers_.size()) {
            return "dataplane.workers = " + std::to_string(s_.workers) + " but only " +
                   std::to_string(i) + " worker lcores were given to the EAL";
        }
        return {};
    }

    void run_main() {
        std::vector<shm::spsc_ring<shm::event>*> notices;
        for (auto& w : workers_) {
            notices.push_back(&w->notices());
        }
        main_loop_params p;
        p.workers = s_.workers;
        p.tsc_hz = rte_get_tsc_hz();
        p.idle_sleep_us = s_.idle_sleep_us;
        p.quiet_tsc = quiet_tsc_;
        main_loop_hooks hooks;
        hooks.now_tsc = [] { return rte_rdtsc(); };
        hooks.monotonic_ns = monotonic_ns;
        hooks.report_ports = [this] { ports_.report(region_.counters().ports); };
        if (s_.workers == 0) {
            hooks.poll_ports = [this] { return workers_[0]->poll_once(); };
        }
        hooks.sleep_us = [](uint32_t us) { usleep(us); };
        loop_ = std::make_unique<main_loop>(*tables_, *control_, out_, region_.command_ring(),
                                            region_.counters(), region_.header(),
                                            std::move(notices), p, std::move(hooks));
        loop_->run(g_stop);
    }

    void stop() {
        g_stop.store(true);
        rte_eal_mp_wait_lcore();
        ports_.report(region_.counters().ports);
        // Events already produced still reach sbcd if it reads the ring before we unlink.
        if (loop_ != nullptr) {
            loop_->drain_notices();
        }
        out_.flush();
    }

  private:
    const settings& s_;
    shm::region& region_;
    port_set& ports_;
    event_out out_;
    int socket_ = 0;
    const char* memory_ = "the heap";
    std::unique_ptr<tables> tables_;
    std::unique_ptr<control> control_;
    std::unique_ptr<main_loop> loop_;
    uint64_t quiet_tsc_ = 0;
    uint32_t port_pps_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::vector<std::unique_ptr<launch_arg>> args_;
    std::vector<rte_ring*> handoff_;
};

void remove_runtime_dir(const std::string& dir) {
    if (dir.empty()) {
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

}  // namespace

int run_dataplane(const settings& s, const std::string& program) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    std::string error;
    const bool eal_lcores = std::any_of(
        s.eal_args.begin(), s.eal_args.end(),
        [](const std::string& a) { return a == "-l" || a == "-c" || a.rfind("--lcores", 0) == 0; });
    if (s.lcores.empty() && !eal_lcores) {
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (cpus > 0 && s.workers + 1 > static_cast<uint32_t>(cpus)) {
            return fail("dataplane.workers = " + std::to_string(s.workers) + " needs " +
                        std::to_string(s.workers + 1) + " lcores, this machine has " +
                        std::to_string(cpus) + " CPUs");
        }
    }
    shm::region region = shm::region::create(
        s.instance, shm::region_sizes{s.cmd_ring_size, s.evt_ring_size, s.max_flows}, error);
    if (!region.valid()) {
        return fail(error);
    }

    std::vector<std::string> args = eal_argv(s, program);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const std::string runtime_dir = "/var/run/dpdk/" + file_prefix(s);
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
        const std::string why = rte_strerror(rte_errno);
        remove_runtime_dir(runtime_dir);
        return fail("EAL init failed (dataplane.eal_args): " + why);
    }
    const std::string eal_dir = rte_eal_get_runtime_dir();

    int rc = 0;
    {
        port_set ports;
        const port_plan plan = plan_ports(s);
        dataplane dp(s, region, ports, plan.port_pps);
        if (rte_lcore_count() < s.workers + 1) {
            error = "dataplane.workers = " + std::to_string(s.workers) + " needs " +
                    std::to_string(s.workers + 1) + " lcores, the EAL has " +
                    std::to_string(rte_lcore_count());
        }
        if (error.empty()) {
            error = ports.open(s.workers, plan);
        }
        if (error.empty()) {
            error = dp.start();
        }
        if (error.empty()) {
            error = dp.launch();
        }
        if (error.empty()) {
            std::fprintf(stderr,
                         "sbc-dataplane: instance %s running: %zu ports, %u workers, srtp engine "
                         "%s, flow tables on %s, mbufs on NUMA node %d\n",
                         s.instance.c_str(), ports.ports().size(), s.workers,
                         engine_name(s.srtp_engine), dp.table_memory_name(), ports.socket());
            for (const auto& line : plan.describe()) {
                std::fprintf(stderr, "sbc-dataplane: %s\n", line.c_str());
            }
            if (dp.quiet_tsc() == 0) {
                std::fprintf(stderr,
                             "sbc-dataplane: %u mbufs; a polling lcore sleeps %u us per idle loop "
                             "after 1024 empty polls\n",
                             plan.mbufs, s.idle_sleep_us);
            } else {
                std::fprintf(stderr,
                             "sbc-dataplane: %u mbufs; a polling lcore sleeps %u us per idle loop "
                             "after %.1f ms without a packet on any port\n",
                             plan.mbufs, s.idle_sleep_us,
                             1000.0 * static_cast<double>(dp.quiet_tsc()) /
                                 static_cast<double>(rte_get_tsc_hz()));
            }
            dp.run_main();
        } else {
            rc = fail(error);
        }
        dp.stop();
        ports.close();
    }
    rte_eal_cleanup();
    remove_runtime_dir(eal_dir);
    remove_runtime_dir(runtime_dir);
    region.unlink();
    if (rc == 0) {
        std::fprintf(stderr, "sbc-dataplane: instance %s stopped\n", s.instance.c_str());
    }
    return rc;
}

}  // namespace sbc::dp
