// The kernel path's link: one UDP socket in a namespace, sendmmsg/recvmmsg batches.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "bench/media/load_link.hpp"

namespace sbc::bench {

namespace {

constexpr int max_batch = 64;

bool enter_netns(const std::string& name) {
    const int fd = open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool ok = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    return ok;
}

class socket_link final : public link {
  public:
    explicit socket_link(link_address a) : a_(std::move(a)) {}
    ~socket_link() override {
        if (fd_ >= 0) {
            close(fd_);
        }
    }

    std::string open() override {
        // The calling thread moves into the namespace; the socket stays in it.
        if (!a_.netns.empty() && !enter_netns(a_.netns)) {
            return "cannot enter network namespace " + a_.netns;
        }
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            return "socket: " + std::string(strerror(errno));
        }
        // 64 MiB each way (root may exceed rmem_max): the generator must not be the one losing.
        int big = 64 << 20;
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
        int on = 1;
        setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
        sockaddr_in own{};
        own.sin_family = AF_INET;
        own.sin_port = htons(a_.own_port);
        inet_pton(AF_INET, a_.own_ip.c_str(), &own.sin_addr);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&own), sizeof own) != 0) {
            return "bind " + a_.own_ip + ":" + std::to_string(a_.own_port) + ": " + strerror(errno);
        }
        inet_pton(AF_INET, a_.relay_ip.c_str(), &relay_);
        return {};
    }

    int send(const uint8_t* const* payloads, const uint16_t* lens, const uint16_t* ports,
             int n) override {
        mmsghdr msgs[max_batch];
        iovec iov[max_batch];
        sockaddr_in to[max_batch];
        n = n > max_batch ? max_batch : n;
        for (int i = 0; i < n; ++i) {
            iov[i] = {const_cast<uint8_t*>(payloads[i]), lens[i]};
            to[i] = sockaddr_in{};
            to[i].sin_family = AF_INET;
            to[i].sin_addr = relay_;
            to[i].sin_port = htons(ports[i]);
            msgs[i] = mmsghdr{};
            msgs[i].msg_hdr.msg_name = &to[i];
            msgs[i].msg_hdr.msg_namelen = sizeof to[i];
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int done = 0;
        for (int attempt = 0; done < n && attempt < 100; ++attempt) {
            const int r = sendmmsg(fd_, msgs + done, static_cast<unsigned>(n - done), 0);
            if (r > 0) {
                done += r;
            } else {
                usleep(10);
            }
        }
        return done;
    }

    int receive(rx_item* items, int max) override {
        mmsghdr msgs[max_batch];
        iovec iov[max_batch];
        sockaddr_in from[max_batch];
        alignas(cmsghdr) char control[max_batch][CMSG_SPACE(sizeof(uint32_t))];
        max = max > max_batch ? max_batch : max;
        for (int i = 0; i < max; ++i) {
            iov[i] = {buf_[i], sizeof buf_[i]};
            msgs[i] = mmsghdr{};
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof from[i];
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = control[i];
            msgs[i].msg_hdr.msg_controllen = sizeof control[i];
        }
        const int r = recvmmsg(fd_, msgs, static_cast<unsigned>(max), MSG_DONTWAIT, nullptr);
        if (r <= 0) {
            return 0;
        }
        for (int i = 0; i < r; ++i) {
            for (cmsghdr* cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm != nullptr;
                 cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t drops = 0;
                    std::memcpy(&drops, CMSG_DATA(cm), sizeof drops);
                    drops_ = drops;  // cumulative for the socket
                }
            }
            items[i] = {buf_[i], msgs[i].msg_len, ntohs(from[i].sin_port)};
        }
        return r;
    }

    void wait(std::chrono::nanoseconds t) override {
        pollfd p{fd_, POLLIN, 0};
        const timespec ts{static_cast<time_t>(t.count() / 1'000'000'000),
                          static_cast<long>(t.count() % 1'000'000'000)};
        ppoll(&p, 1, &ts, nullptr);
    }

    uint64_t receive_drops() const override { return drops_; }

  private:
    link_address a_;
    int fd_ = -1;
    in_addr relay_{};
    uint8_t buf_[max_batch][2048];
    uint64_t drops_ = 0;
};

}  // namespace

std::unique_ptr<link> make_socket_link(const link_address& a) {
    return std::make_unique<socket_link>(a);
}

}  // namespace sbc::bench
