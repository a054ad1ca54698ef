#include "dataplane/eal/ports.hpp"

#include <rte_errno.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

namespace sbc::dp {

namespace {

// Whether the port's packet types tell IPv4 without options from IPv4 with them and name UDP:
// then an mbuf that says Ethernet / IPv4 / UDP spares the path those checks.
bool reports_udp4(uint16_t pid) {
    constexpr uint32_t mask = RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK;
    uint32_t types[64];
    const int n = rte_eth_dev_get_supported_ptypes(pid, mask, types, 64);
    bool l2 = false, ipv4 = false, udp = false;
    for (int i = 0; i < n && i < 64; ++i) {
        l2 = l2 || types[i] == RTE_PTYPE_L2_ETHER;
        ipv4 = ipv4 || types[i] == RTE_PTYPE_L3_IPV4;
        udp = udp || types[i] == RTE_PTYPE_L4_UDP;
    }
    return l2 && ipv4 && udp;
}

}  // namespace

port_set::~port_set() {
    close();
}

namespace {

// The plan's entry for a probed port: the vdev name before the first ','.
const planned_port* planned(const port_plan& plan, uint16_t pid) {
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    if (rte_eth_dev_get_name_by_port(pid, name) != 0) {
        return nullptr;
    }
    for (const auto& p : plan.ports) {
        if (p.vdev.substr(0, p.vdev.find(',')) == name) {
            return &p;
        }
    }
    return nullptr;
}

}  // namespace

std::string port_set::open(uint32_t lcores, const port_plan& plan) {
    const uint32_t mbufs = plan.mbufs;
    const uint16_t n = rte_eth_dev_count_avail();
    if (n > shm::max_ports) {
        return std::to_string(n) + " DPDK ports probed, at most " + std::to_string(shm::max_ports) +
               " are supported";
    }
    const uint32_t cache = mbufs >= 4096 ? 256 : 32;
    // The mbufs (and the flow tables, process.cpp) on the NUMA node the NICs are attached to.
    socket_ = SOCKET_ID_ANY;
    uint16_t first = 0;
    RTE_ETH_FOREACH_DEV(first) {
        socket_ = rte_eth_dev_socket_id(first);
        break;
    }
    if (socket_ < 0) {
        socket_ = static_cast<int>(rte_socket_id());
    }
    pool_ =
        rte_pktmbuf_pool_create("sbc_mbufs", mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket_);
    if (pool_ == nullptr) {
        return "mbuf pool of " + std::to_string(mbufs) +
               " (dataplane.mbuf_pool_size): " + rte_strerror(rte_errno);
    }
    uint16_t pid = 0;
    RTE_ETH_FOREACH_DEV(pid) {
        port_state ps;
        ps.id = pid;
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(pid, &info) != 0) {
            return "port " + std::to_string(pid) + ": cannot read device info";
        }
        ps.driver = info.driver_name ? info.driver_name : "?";
        const uint32_t want = lcores == 0 ? 1 : lcores;
        if (info.max_rx_queues < want || info.max_tx_queues < want) {
            return "port " + std::to_string(pid) + " (" + ps.driver + ") has " +
                   std::to_string(info.max_rx_queues) + " rx / " +
                   std::to_string(info.max_tx_queues) + " tx queues, dataplane.workers needs " +
                   std::to_string(want);
        }
        ps.queues = static_cast<uint16_t>(want);
        rte_eth_conf conf{};
        const uint64_t rss = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
        if (ps.queues > 1 && rss != 0) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = rss;
        }
        if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
            conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
            ps.tx_ip_cksum = true;
        }
        if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
            conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
            ps.tx_udp_cksum = true;
        }
        if ((info.rx_offload_capa &
             (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) ==
            (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) {
            conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
            ps.rx_cksum = true;
        }
        ps.rx_ptype_udp4 = reports_udp4(pid);
        int rc = rte_eth_dev_configure(pid, ps.queues, ps.queues, &conf);
        if (rc != 0) {
            return "port " + std::to_string(pid) + " (" + ps.driver +
                   "): configure failed: " + rte_strerror(-rc);
        }
        const planned_port* pp = planned(plan, pid);
        if (pp != nullptr && pp->dpdk_port != pid) {
            return "dataplane.ports[" + std::to_string(pp->dpdk_port) + "] " + pp->vdev +
                   " was probed as dpdk port " + std::to_string(pid) +
                   " (a --vdev in eal_args came first?)";
        }
        if (pp != nullptr && pp->port.kind == port_kind::af_xdp) {
            // The XDP program hands a socket only the queue it is bound to; packets the kernel
            // puts on any other queue of the interface go to the kernel stack, unseen.
            const uint32_t kq = interface_rx_queues(pp->port.target);
            if (kq > ps.queues) {
                return "port " + std::to_string(pid) + " af_xdp:" + pp->port.target + " has " +
                       std::to_string(kq) + " rx queues in use and the dataplane reads " +
                       std::to_string(ps.queues) + " (dataplane.workers): set the interface to " +
                       std::to_string(ps.queues) + " (ethtool -L " + pp->port.target + " rx " +
                       std::to_string(ps.queues) + ")";
            }
        }
        uint16_t nb_rxd = 1024, nb_txd = 1024;
        if (pp != nullptr) {
            nb_rxd = static_cast<uint16_t>(std::min<uint32_t>(pp->rx_frames, 32768));
            nb_txd = static_cast<uint16_t>(std::min<uint32_t>(pp->tx_frames, 32768));
        }
        rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
        ps.rx_frames = nb_rxd;
        ps.ring_frames = pp != nullptr ? pp->rx_frames : nb_rxd;
        const std::vector<int> xdp_before = xdp_sockets();
        for (uint16_t q = 0; q < ps.queues; ++q) {
            rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, rte_eth_dev_socket_id(pid), nullptr, pool_);
            if (rc != 0) {
                return "port " + std::to_string(pid) + " rx queue " + std::to_string(q) + " (" +
                       std::to_string(nb_rxd) + " descriptors): " + rte_strerror(-rc);
            }
            rte_eth_txconf txconf = info.default_txconf;
            txconf.offloads = conf.txmode.offloads;
            rc = rte_eth_tx_queue_setup(pid, q, nb_txd, rte_eth_dev_socket_id(pid), &txconf);
            if (rc != 0) {
                return "port " + std::to_string(pid) + " tx queue " + std::to_string(q) + ": " +
                       rte_strerror(-rc);
            }
        }
        if (pp != nullptr && pp->port.kind == port_kind::af_xdp) {
            std::vector<int> added;
            for (int fd : xdp_sockets()) {
                if (std::find(xdp_before.begin(), xdp_before.end(), fd) == xdp_before.end()) {
                    added.push_back(fd);
                }
            }
            ps.kernel = kernel_ring(port_kind::af_xdp, std::move(added));
        } else if (pp != nullptr && pp->port.kind == port_kind::af_packet) {
            ps.kernel = kernel_ring(port_kind::af_packet, packet_sockets_on(pp->port.target));
        }
        if (pp != nullptr && pp->port.kind != port_kind::memif && ps.kernel.sockets() < ps.queues) {
            return "port " + std::to_string(pid) + " " + port_kind_name(pp->port.kind) + ":" +
                   pp->port.target + ": found " + std::to_string(ps.kernel.sockets()) +
                   " kernel sockets for " + std::to_string(ps.queues) +
                   " queues, cannot count the kernel's drops";
        }
        rc = rte_eth_dev_start(pid);
        if (rc != 0) {
            return "port " + std::to_string(pid) + " (" + ps.driver +
                   "): start failed: " + rte_strerror(-rc);
        }
        ps.started = true;
        rte_eth_macaddr_get(pid, &ps.mac);
        ports_.push_back(ps);
    }
    return {};
}

void port_set::close() {
    for (auto& p : ports_) {
        if (p.started) {
            rte_eth_dev_stop(p.id);
            p.started = false;
        }
        rte_eth_dev_close(p.id);
    }
    ports_.clear();
    if (pool_ != nullptr) {
        rte_mempool_free(pool_);
        pool_ = nullptr;
    }
}

void port_set::report(shm::port_counters* out) {
    for (auto& p : ports_) {
        if (p.id >= shm::max_ports) {
            continue;
        }
        rte_eth_stats st{};
        rte_eth_link link{};
        rte_eth_stats_get(p.id, &st);
        rte_eth_link_get_nowait(p.id, &link);
        shm::port_counters& c = out[p.id];
        c.rx_packets = st.ipackets;
        c.rx_bytes = st.ibytes;
        c.tx_packets = st.opackets;
        c.tx_bytes = st.obytes;
        c.rx_missed = st.imissed;
        c.rx_errors = st.ierrors;
        c.tx_errors = st.oerrors;
        c.rx_nombuf = st.rx_nombuf;
        c.rx_kernel_drops = p.kernel.drops();
        c.rx_ring_frames = p.ring_frames;
        std::memcpy(c.mac, p.mac.addr_bytes, 6);
        c.up = link.link_status ? 1 : 0;
    }
}

}  // namespace sbc::dp
