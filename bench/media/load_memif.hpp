#pragma once
// The kernel-free path of the media load tool (issue 11): the generator is a DPDK process of
// its own whose two net_memif ports are the clients of sbc-dataplane's memif ports (the
// dataplane is the server, `dataplane.ports = ["memif:/...", ...]`). Frames are built and parsed
// here (Ethernet, IPv4, UDP), ARP is answered and asked, so the dataplane sees what a NIC would
// give it and the process's own cost per packet is measured without the kernel.

#include <memory>
#include <string>

#include "bench/media/load_link.hpp"

struct rte_mempool;

namespace sbc::bench {

class memif_peer {
  public:
    // Starts the EAL (--no-huge, its own file prefix) with two memif client ports: 0 on
    // `access_socket` (addresses `acc`), 1 on `core_socket`. Null with `error` set.
    static std::unique_ptr<memif_peer> start(const std::string& access_socket,
                                             const std::string& core_socket,
                                             const link_address& acc, const link_address& core,
                                             std::string& error);
    ~memif_peer();
    memif_peer(const memif_peer&) = delete;
    memif_peer& operator=(const memif_peer&) = delete;

    // The link of port 0 (access) or 1 (core); one thread per link.
    std::unique_ptr<link> link_for(uint16_t port);

  private:
    memif_peer() = default;
    rte_mempool* pool_ = nullptr;
    link_address addr_[2];
    std::string runtime_dir_;
};

}  // namespace sbc::bench
