#include "bench/media/load_memif.hpp"

#include <arpa/inet.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

namespace sbc::bench {

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int max_batch = 64;

uint32_t ipv4_be(const std::string& text) {
    in_addr a{};
    inet_pton(AF_INET, text.c_str(), &a);
    return a.s_addr;
}

class memif_link final : public link {
  public:
    memif_link(uint16_t port, rte_mempool* pool, link_address a)
        : port_(port),
          pool_(pool),
          a_(std::move(a)),
          own_ip_(ipv4_be(a_.own_ip)),
          relay_ip_(ipv4_be(a_.relay_ip)) {}
    ~memif_link() override { release(); }

    std::string open() override {
        rte_eth_macaddr_get(port_, &own_mac_);
        // The dataplane's MAC: ask for the relay's address until it answers (the memif
        // connection comes up a moment after both ends exist).
        const auto deadline = clock_type::now() + std::chrono::seconds(20);
        auto next_ask = clock_type::now();
        while (!resolved_ && clock_type::now() < deadline) {
            if (clock_type::now() >= next_ask) {
                send_arp(RTE_ARP_OP_REQUEST, rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                         relay_ip_);
                next_ask = clock_type::now() + std::chrono::milliseconds(200);
            }
            rx_item items[max_batch];
            receive(items, max_batch);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return resolved_ ? ""
                         : "no ARP answer from " + a_.relay_ip + " on memif port " +
                               std::to_string(port_);
    }

    int send(const uint8_t* const* payloads, const uint16_t* lens, const uint16_t* ports,
             int n) override {
        rte_mbuf* m[max_batch];
        n = n > max_batch ? max_batch : n;
        if (rte_pktmbuf_alloc_bulk(pool_, m, static_cast<unsigned>(n)) != 0) {
            return 0;
        }
        for (int i = 0; i < n; ++i) {
            const uint16_t udp_len = static_cast<uint16_t>(sizeof(rte_udp_hdr) + lens[i]);
            const uint16_t ip_len = static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + udp_len);
            auto* eth = rte_pktmbuf_mtod(m[i], rte_ether_hdr*);
            eth->dst_addr = relay_mac_;
            eth->src_addr = own_mac_;
            eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
            auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
            std::memset(ip, 0, sizeof *ip);
            ip->version_ihl = 0x45;
            ip->total_length = rte_cpu_to_be_16(ip_len);
            ip->time_to_live = 64;
            ip->next_proto_id = IPPROTO_UDP;
            ip->src_addr = own_ip_;
            ip->dst_addr = relay_ip_;
            ip->hdr_checksum = rte_ipv4_cksum(ip);
            auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
            udp->src_port = rte_cpu_to_be_16(a_.own_port);
            udp->dst_port = rte_cpu_to_be_16(ports[i]);
            udp->dgram_len = rte_cpu_to_be_16(udp_len);
            udp->dgram_cksum = 0;  // RFC 768: no checksum (IPv4)
            std::memcpy(udp + 1, payloads[i], lens[i]);
            m[i]->data_len = m[i]->pkt_len = static_cast<uint32_t>(sizeof(rte_ether_hdr) + ip_len);
        }
        const uint16_t sent = rte_eth_tx_burst(port_, 0, m, static_cast<uint16_t>(n));
        if (sent < n) {
            rte_pktmbuf_free_bulk(m + sent, static_cast<unsigned>(n - sent));
        }
        return sent;
    }

    int receive(rx_item* items, int max) override {
        release();
        max = max > max_batch ? max_batch : max;
        const uint16_t n = rte_eth_rx_burst(port_, 0, held_, static_cast<uint16_t>(max));
        held_n_ = n;
        int out = 0;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = held_[i];
            auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
            const uint16_t type = rte_be_to_cpu_16(eth->ether_type);
            if (type == RTE_ETHER_TYPE_ARP) {
                on_arp(*reinterpret_cast<rte_arp_hdr*>(eth + 1));
                continue;
            }
            if (type != RTE_ETHER_TYPE_IPV4 || m->data_len < 14 + 20 + 8) {
                continue;
            }
            auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
            if (ip->next_proto_id != IPPROTO_UDP) {
                continue;
            }
            const size_t ihl = (ip->version_ihl & 0xf) * 4u;
            auto* udp = reinterpret_cast<rte_udp_hdr*>(reinterpret_cast<uint8_t*>(ip) + ihl);
            const size_t len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(rte_udp_hdr);
            items[out++] = {reinterpret_cast<const uint8_t*>(udp + 1), len,
                            rte_be_to_cpu_16(udp->src_port)};
        }
        return out;
    }

    void wait(std::chrono::nanoseconds t) override {
        // A poll-mode peer: spin for short waits, yield the CPU for longer ones.
        const auto until = clock_type::now() + t;
        while (clock_type::now() < until) {
            if (t > std::chrono::microseconds(50)) {
                std::this_thread::yield();
            }
        }
    }

    uint64_t receive_drops() const override {
        rte_eth_stats st{};
        rte_eth_stats_get(port_, &st);
        return st.imissed + st.rx_nombuf;
    }

  private:
    void release() {
        if (held_n_ != 0) {
            rte_pktmbuf_free_bulk(held_, held_n_);
            held_n_ = 0;
        }
    }

    void on_arp(const rte_arp_hdr& arp) {
        const uint16_t op = rte_be_to_cpu_16(arp.arp_opcode);
        if (op == RTE_ARP_OP_REPLY && arp.arp_data.arp_sip == relay_ip_) {
            relay_mac_ = arp.arp_data.arp_sha;
            resolved_ = true;
        } else if (op == RTE_ARP_OP_REQUEST && arp.arp_data.arp_tip == own_ip_) {
            send_arp(RTE_ARP_OP_REPLY, arp.arp_data.arp_sha, arp.arp_data.arp_sip);
        }
    }

    void send_arp(uint16_t op, const rte_ether_addr& to, uint32_t target_ip) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        if (m == nullptr) {
            return;
        }
        auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
        eth->dst_addr = to;
        eth->src_addr = own_mac_;
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
        auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
        arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
        arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        arp->arp_hlen = RTE_ETHER_ADDR_LEN;
        arp->arp_plen = 4;
        arp->arp_opcode = rte_cpu_to_be_16(op);
        arp->arp_data.arp_sha = own_mac_;
        arp->arp_data.arp_sip = own_ip_;
        arp->arp_data.arp_tha = op == RTE_ARP_OP_REPLY ? to : rte_ether_addr{};
        arp->arp_data.arp_tip = target_ip;
        m->data_len = m->pkt_len = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
        if (rte_eth_tx_burst(port_, 0, &m, 1) != 1) {
            rte_pktmbuf_free(m);
        }
    }

    uint16_t port_;
    rte_mempool* pool_;
    link_address a_;
    uint32_t own_ip_, relay_ip_;
    rte_ether_addr own_mac_{}, relay_mac_{};
    bool resolved_ = false;
    rte_mbuf* held_[max_batch] = {};
    uint16_t held_n_ = 0;
};

}  // namespace

std::unique_ptr<memif_peer> memif_peer::start(const std::string& access_socket,
                                              const std::string& core_socket,
                                              const link_address& acc, const link_address& core,
                                              std::string& error) {
    if (access_socket.empty() || core_socket.empty()) {
        error = "--memif needs ACCESS.sock,CORE.sock";
        return nullptr;
    }
    std::unique_ptr<memif_peer> p(new memif_peer());
    const std::string prefix = "sbc-memif-gen-" + std::to_string(getpid());
    p->runtime_dir_ = "/var/run/dpdk/" + prefix;
    std::vector<std::string> args = {
        "media_load",
        "--no-huge",
        "-m",
        "256",
        "--no-pci",
        "--no-telemetry",
        "-l",
        "0",
        "--file-prefix=" + prefix,
        "--log-level=lib.eal:warning",
        "--vdev=net_memif0,role=client,id=0,socket-abstract=no,rsize=12,socket=" + access_socket,
        "--vdev=net_memif1,role=client,id=0,socket-abstract=no,rsize=12,socket=" + core_socket};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
        error = std::string("EAL: ") + rte_strerror(rte_errno);
        return nullptr;
    }
    p->pool_ = rte_pktmbuf_pool_create("gen_mbufs", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                       static_cast<int>(rte_socket_id()));
    if (p->pool_ == nullptr || rte_eth_dev_count_avail() < 2) {
        error = "mbuf pool or memif ports missing";
        return nullptr;
    }
    for (uint16_t port = 0; port < 2; ++port) {
        rte_eth_conf conf{};
        uint16_t rxd = 4096, txd = 4096;
        if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
            rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd) != 0 ||
            rte_eth_rx_queue_setup(port, 0, rxd, rte_eth_dev_socket_id(port), nullptr, p->pool_) !=
                0 ||
            rte_eth_tx_queue_setup(port, 0, txd, rte_eth_dev_socket_id(port), nullptr) != 0 ||
            rte_eth_dev_start(port) != 0) {
            error = "memif port " + std::to_string(port) + " cannot start";
            return nullptr;
        }
    }
    p->addr_[0] = acc;
    p->addr_[1] = core;
    return p;
}

memif_peer::~memif_peer() {
    for (uint16_t port = 0; port < 2; ++port) {
        rte_eth_dev_stop(port);
        rte_eth_dev_close(port);
    }
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(runtime_dir_, ec);
}

std::unique_ptr<link> memif_peer::link_for(uint16_t port) {
    return std::make_unique<memif_link>(port, pool_, addr_[port]);
}

}  // namespace sbc::bench
