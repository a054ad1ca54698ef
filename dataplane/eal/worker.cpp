#include "dataplane/eal/worker.hpp"

#include "dataplane/core/path.hpp"
#include "dataplane/srtp/engine.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <unistd.h>

#include <cstdlib>
#include <new>

namespace sbc::dp {

namespace {
constexpr uint32_t notice_capacity = 4096;
constexpr uint32_t idle_loops_before_sleep = 1024;
}  // namespace

// The DPDK adapter of the packet path: mbufs in, pkt_desc views for the path, mbufs out per
// port on this lcore's tx queue.
class mbuf_path {
  public:
    mbuf_path(tables& t, srtp::engine& e, uint16_t lcore, shm::lcore_counters* ctr,
              shm::spsc_ring<shm::event>* notices)
        : t_(t), ctr_(ctr), path_(t, e, lcore, ctr, notices), txq_(lcore) {}

    void process(rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
        pkt_desc d[max_burst];
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = pkts[i];
            d[i].data = rte_pktmbuf_mtod(m, uint8_t*);
            // The path reads one segment; a chained mbuf is refused as bad_header.
            d[i].len = m->nb_segs == 1 ? m->data_len : 0;
            d[i].room = static_cast<uint16_t>(rte_pktmbuf_tailroom(m));
            d[i].port = m->port;
            d[i].offload = rx_offload(m->ol_flags);
            if (m->port < shm::max_ports && t_.ports[m->port].rx_ptype_udp4 &&
                (m->packet_type & (RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK)) ==
                    (RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP)) {
                d[i].offload |= rx_ptype_ipv4_udp;
            }
        }
        path_.process(d, n, now_tsc);
        finish(pkts, d, n);
    }

    void housekeeping(uint64_t now_tsc, rte_mempool* pool) {
        if (pool == nullptr) {
            return;
        }
        if (path_.solicits_pending()) {
            generate(pool,
                     [&](pkt_desc* d, uint16_t k) { return path_.send_solicits(d, k, now_tsc); });
        }
        if (path_.rtcp_scan_due(now_tsc)) {
            generate(pool,
                     [&](pkt_desc* d, uint16_t k) { return path_.generate_rtcp(d, k, now_tsc); });
        }
    }

    void set_handoff(std::vector<rte_ring*> rings) { handoff_ = std::move(rings); }

    void flush() {
        for (uint16_t p = 0; p < shm::max_ports; ++p) {
            const uint16_t k = txn_[p];
            if (k == 0) {
                continue;
            }
            const uint16_t sent = rte_eth_tx_burst(p, txq_, tx_[p], k);
            ctr_->tx_packets += sent;
            if (sent < k) {
                ctr_->drops[static_cast<size_t>(shm::drop_reason::tx_full)] += k - sent;
                rte_pktmbuf_free_bulk(tx_[p] + sent, k - sent);
            }
            txn_[p] = 0;
        }
    }

  private:
    // Packets the path makes itself: `fill(descs, k)` writes into k fresh mbufs and returns
    // how many it used; the rest go back to the pool.
    template <typename Fill>
    void generate(rte_mempool* pool, Fill fill) {
        constexpr uint16_t k = 8;
        rte_mbuf* bufs[k];
        if (rte_pktmbuf_alloc_bulk(pool, bufs, k) != 0) {
            ctr_->drops[static_cast<size_t>(shm::drop_reason::no_mbuf)]++;
            return;
        }
        pkt_desc d[k];
        for (uint16_t i = 0; i < k; ++i) {
            d[i] = pkt_desc{rte_pktmbuf_mtod(bufs[i], uint8_t*),
                            0,
                            static_cast<uint16_t>(rte_pktmbuf_tailroom(bufs[i])),
                            0,
                            0,
                            verdict::consumed,
                            0,
                            0};
        }
        const uint16_t used = fill(d, k);
        for (uint16_t i = used; i < k; ++i) {
            d[i].v = verdict::consumed;
        }
        finish(bufs, d, k);
    }

    static uint16_t rx_offload(uint64_t ol) {
        const uint64_t ip = ol & RTE_MBUF_F_RX_IP_CKSUM_MASK;
        const uint64_t l4 = ol & RTE_MBUF_F_RX_L4_CKSUM_MASK;
        if ((ip != RTE_MBUF_F_RX_IP_CKSUM_GOOD && ip != RTE_MBUF_F_RX_IP_CKSUM_BAD) ||
            (l4 != RTE_MBUF_F_RX_L4_CKSUM_GOOD && l4 != RTE_MBUF_F_RX_L4_CKSUM_BAD)) {
            return 0;  // not verified by the port: the path checks the IPv4 header itself
        }
        uint16_t r = rx_cksum_checked;
        if (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
            r |= rx_ip_cksum_bad;
        }
        if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
            r |= rx_l4_cksum_bad;
        }
        return r;
    }

    void finish(rte_mbuf** pkts, const pkt_desc* d, uint16_t n) {
        rte_mbuf* dead[max_burst];
        uint16_t ndead = 0;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = pkts[i];
            if (d[i].v == verdict::handoff) {
                if (d[i].drop < handoff_.size() && handoff_[d[i].drop] != nullptr &&
                    rte_ring_mp_enqueue(handoff_[d[i].drop], m) == 0) {
                    continue;
                }
                ctr_->drops[static_cast<size_t>(shm::drop_reason::wrong_lcore)]++;
                dead[ndead++] = m;
                continue;
            }
            if (d[i].v != verdict::transmit || d[i].port >= shm::max_ports) {
                dead[ndead++] = m;
                continue;
            }
            m->data_off = static_cast<uint16_t>(d[i].data - static_cast<uint8_t*>(m->buf_addr));
            m->data_len = d[i].len;
            m->pkt_len = d[i].len;
            m->ol_flags = 0;
            if (d[i].offload & (tx_ip_cksum | tx_udp_cksum)) {
                m->ol_flags |= RTE_MBUF_F_TX_IPV4;
                m->l2_len = 14;
                m->l3_len = 20;
                if (d[i].offload & tx_ip_cksum) {
                    m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
                }
                if (d[i].offload & tx_udp_cksum) {
                    m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
                }
            }
            const uint16_t port = d[i].port;
            tx_[port][txn_[port]++] = m;
            if (txn_[port] == max_burst) {
                flush();
            }
        }
        if (ndead != 0) {
            rte_pktmbuf_free_bulk(dead, ndead);
        }
    }

    const tables& t_;
    shm::lcore_counters* ctr_;
    path path_;
    uint16_t txq_;
    std::vector<rte_ring*> handoff_;
    rte_mbuf* tx_[shm::max_ports][max_burst];
    uint16_t txn_[shm::max_ports] = {};
};

worker::worker(uint32_t index, tables& t, const port_set& ports, uint32_t burst,
               shm::lcore_counters* counters, uint32_t idle_sleep_us, uint64_t quiet_tsc)
    : index_(index),
      t_(t),
      burst_(burst),
      ctr_(counters),
      idle_sleep_us_(idle_sleep_us),
      idle_(idle_loops_before_sleep, quiet_tsc),
      notice_mem_(static_cast<char*>(std::aligned_alloc(
          64, (shm::spsc_ring<shm::event>::bytes_for(notice_capacity) + 63) & ~size_t{63}))),
      engine_(std::make_unique<srtp::engine>(t.engine)),
      pool_(ports.pool()) {
    path_ =
        std::make_unique<mbuf_path>(t, *engine_, static_cast<uint16_t>(index), counters, &notices_);
    if (notice_mem_ == nullptr) {
        throw std::bad_alloc();
    }
    notices_ = shm::spsc_ring<shm::event>::format(notice_mem_.get(), notice_capacity);
    (void)t_;
    for (const auto& p : ports.ports()) {
        if (index < p.queues) {
            rxq_.push_back({p.id, static_cast<uint16_t>(index)});
        }
    }
}

worker::~worker() = default;

void worker::set_handoff(rte_ring* own, std::vector<rte_ring*> all) {
    handoff_own_ = own;
    path_->set_handoff(std::move(all));
}

uint32_t worker::poll_once() {
    uint32_t total = 0;
    const uint64_t start = rte_rdtsc();
    ctr_->loops++;
    if (t_.rx_enabled.load(std::memory_order_relaxed)) {
        rte_mbuf* pkts[64];
        if (handoff_own_ != nullptr) {
            const unsigned n = rte_ring_sc_dequeue_burst(
                handoff_own_, reinterpret_cast<void**>(pkts), burst_, nullptr);
            if (n != 0) {
                total += n;
                path_->process(pkts, static_cast<uint16_t>(n), rte_rdtsc());
            }
        }
        for (const auto& q : rxq_) {
            const uint16_t n =
                rte_eth_rx_burst(q.port, q.queue, pkts, static_cast<uint16_t>(burst_));
            if (n == 0) {
                continue;
            }
            total += n;
            path_->process(pkts, n, rte_rdtsc());
        }
        path_->housekeeping(rte_rdtsc(), pool_);
        path_->flush();
    }
    if (total != 0) {
        ctr_->rx_packets += total;
        ctr_->busy_loops++;
        ctr_->busy_cycles += rte_rdtsc() - start;
    }
    t_.rcu.quiescent(index_);
    return total;
}

void worker::run(const std::atomic<bool>& stop) {
    t_.rcu.online(index_);
    while (!stop.load(std::memory_order_relaxed)) {
        if (poll_once() != 0) {
            idle_.busy(rte_rdtsc());
            continue;
        }
        // Sleep only when every port has been empty for longer than its ring takes to fill at
        // the configured rate (core/idle_policy.hpp): never between the packets of live media.
        if (idle_sleep_us_ != 0 && idle_.may_sleep(rte_rdtsc())) {
            t_.rcu.quiescent(index_);
            usleep(idle_sleep_us_);
        }
    }
    t_.rcu.go_offline(index_);
}

}  // namespace sbc::dp
