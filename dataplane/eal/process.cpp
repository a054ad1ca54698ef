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
#include <deque>
#include <filesystem>
#include <memory>
#include <vector>

#include "dataplane/core/control.hpp"
#include "dataplane/core/notices.hpp"
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

// The events going to sbcd: straight into the ring, or into a bounded backlog while it is full
// (a snapshot of many flows is longer than the ring).
class event_out {
  public:
    event_out(shm::spsc_ring<shm::event> ring, shm::counters_block& ctr) : ring_(ring), ctr_(ctr) {}
    void emit(const shm::event& ev) {
        if (backlog_.empty() && ring_.push(ev)) {
            return;
        }
        if (backlog_.size() >= max_backlog) {
            ctr_.events_lost++;
            return;
        }
        backlog_.push_back(ev);
    }
    void flush() {
        while (!backlog_.empty() && ring_.push(backlog_.front())) {
            backlog_.pop_front();
        }
    }

  private:
    static constexpr size_t max_backlog = 1u << 20;
    shm::spsc_ring<shm::event> ring_;
    shm::counters_block& ctr_;
    std::deque<shm::event> backlog_;
};

struct launch_arg {
    worker* w;
};

int worker_main(void* arg) {
    static_cast<launch_arg*>(arg)->w->run(g_stop);
    return 0;
}

class dataplane {
  public:
    dataplane(const settings& s, shm::region& r, port_set& ports)
        : s_(s), region_(r), ports_(ports), out_(r.event_ring(), r.counters()) {}

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
        try {
            for (uint32_t i = 0; i < workers; ++i) {
                workers_.push_back(std::make_unique<worker>(i, *tables_, ports_, s_.burst,
                                                            &ctr.lcores[i], s_.idle_sleep_us));
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
        region_.header().state.store(static_cast<uint32_t>(shm::dataplane_state::running),
                                     std::memory_order_release);
        auto cmd = region_.command_ring();
        const uint64_t hz = rte_get_tsc_hz();
        uint64_t next_slow = 0;
        uint32_t idle = 0;
        if (s_.workers == 0) {
            tables_->rcu.online(0);
        }
        while (!g_stop.load(std::memory_order_relaxed)) {
            const uint64_t now = rte_rdtsc();
            shm::command batch[64];
            const uint32_t n = cmd.pop_burst(batch, 64);
            auto& ctr = region_.counters();
            for (uint32_t i = 0; i < n; ++i) {
                control_->apply(batch[i], now);
            }
            ctr.commands_done += n;
            ctr.flows_installed = control_->flows();
            uint32_t notices = 0;
            for (auto& w : workers_) {
                notices += drain_notices(*w);
            }
            out_.flush();
            control_->reclaim();
            region_.header().heartbeat_ns.store(monotonic_ns(), std::memory_order_release);
            if (now >= next_slow) {
                ports_.report(region_.counters().ports);
                control_->sweep_idle(now);
                next_slow = now + hz / 10;
            }
            uint32_t pkts = 0;
            if (s_.workers == 0) {
                pkts = workers_[0]->poll_once();
            }
            if (n == 0 && notices == 0 && pkts == 0) {
                if (++idle >= 64 && (s_.workers != 0 || s_.idle_sleep_us != 0)) {
                    if (s_.workers == 0) {
                        tables_->rcu.quiescent(0);
                    }
                    usleep(s_.workers == 0 ? s_.idle_sleep_us : 100);
                }
            } else {
                idle = 0;
            }
        }
        if (s_.workers == 0) {
            tables_->rcu.go_offline(0);
        }
        region_.header().state.store(static_cast<uint32_t>(shm::dataplane_state::stopping),
                                     std::memory_order_release);
    }

    void stop() {
        g_stop.store(true);
        rte_eal_mp_wait_lcore();
        ports_.report(region_.counters().ports);
        // Events already produced still reach sbcd if it reads the ring before we unlink.
        for (auto& w : workers_) {
            drain_notices(*w);
        }
        out_.flush();
    }

  private:
    uint32_t drain_notices(worker& w) {
        shm::event evs[64];
        const uint32_t n = w.notices().pop_burst(evs, 64);
        for (uint32_t i = 0; i < n; ++i) {
            if (evs[i].type == notice_neighbour_learned) {
                shm::mac_address mac;
                decode_neighbour_notice(evs[i], mac);
                tables_->neighbours.set(evs[i].key.dpdk_port, shm::ipv4_value(evs[i].addr.addr),
                                        mac, false);
            } else {
                out_.emit(evs[i]);
            }
        }
        return n;
    }

    const settings& s_;
    shm::region& region_;
    port_set& ports_;
    event_out out_;
    int socket_ = 0;
    const char* memory_ = "the heap";
    std::unique_ptr<tables> tables_;
    std::unique_ptr<control> control_;
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
        dataplane dp(s, region, ports);
        if (rte_lcore_count() < s.workers + 1) {
            error = "dataplane.workers = " + std::to_string(s.workers) + " needs " +
                    std::to_string(s.workers + 1) + " lcores, the EAL has " +
                    std::to_string(rte_lcore_count());
        }
        if (error.empty()) {
            error = ports.open(s.workers, s.mbuf_pool_size, s.burst);
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
