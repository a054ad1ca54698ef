#include "dataplane/eal/kernel_rings.hpp"

#include <dirent.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace sbc::dp {

namespace {

int socket_domain(int fd) {
    int domain = -1;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
        return -1;
    }
    return domain;
}

// Every socket descriptor open in this process of `domain`.
std::vector<int> sockets_of(int domain) {
    std::vector<int> out;
    DIR* d = opendir("/proc/self/fd");
    if (d == nullptr) {
        return out;
    }
    const int own = dirfd(d);
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == own) {
            continue;
        }
        if (socket_domain(static_cast<int>(fd)) == domain) {
            out.push_back(static_cast<int>(fd));
        }
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::vector<int> packet_sockets_on(const std::string& iface) {
    const unsigned index = if_nametoindex(iface.c_str());
    std::vector<int> out;
    if (index == 0) {
        return out;
    }
    for (int fd : sockets_of(AF_PACKET)) {
        sockaddr_ll sll{};
        socklen_t len = sizeof sll;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&sll), &len) == 0 &&
            sll.sll_ifindex == static_cast<int>(index)) {
            out.push_back(fd);
        }
    }
    return out;
}

std::vector<int> xdp_sockets() {
    return sockets_of(AF_XDP);
}

uint64_t kernel_ring::drops() {
    uint64_t xdp = 0;
    for (int fd : fds_) {
        if (kind_ == port_kind::af_packet) {
            tpacket_stats st{};
            socklen_t len = sizeof st;
            if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
                packet_drops_ += st.tp_drops;
            }
        } else if (kind_ == port_kind::af_xdp) {
            xdp_statistics st{};
            socklen_t len = sizeof st;
            if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0) {
                // rx_dropped: no fill buffer (the worker did not give frames back in time);
                // rx_ring_full: the rx ring was full. Invalid descriptors are our bug, also loss.
                xdp += st.rx_dropped + st.rx_ring_full + st.rx_invalid_descs;
            }
        }
    }
    return packet_drops_ + xdp;
}

uint32_t interface_rx_queues(const std::string& iface) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    ethtool_channels ch{};
    ch.cmd = ETHTOOL_GCHANNELS;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = reinterpret_cast<char*>(&ch);
    const int rc = ioctl(fd, SIOCETHTOOL, &ifr);
    close(fd);
    if (rc != 0) {
        return 0;
    }
    return ch.rx_count + ch.combined_count;
}

}  // namespace sbc::dp
