#include "test_peers.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace sbc::sip::test {

recording_server::recording_server(io_loop& loop, const transport_limits& limits)
    : layer(loop, limits,
            transport_layer::handlers{
                [this](message&& m, const transport_context& ctx) {
                    recorded r;
                    r.bytes = std::string(m.data());
                    r.ctx = ctx;
                    r.ctx.tls = nullptr;
                    if (ctx.tls != nullptr) {
                        r.tls = *ctx.tls;
                    }
                    r.request = m.is_request();
                    messages.push_back(r);
                    if (answer_requests && m.is_request() && m.method() != "ACK") {
                        layer.reply(ctx, response_for(m, 200, {}, "srv").serialize());
                    }
                },
                [this](const connection_closed& c) { closed.push_back(c); }}) {}

tcp_client::tcp_client(const socket_address& to) {
    fd_ = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    connected_ = fd_ >= 0 && ::connect(fd_, to.sa(), to.size()) == 0;
}

tcp_client::~tcp_client() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool tcp_client::send(std::string_view bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    return true;
}

void tcp_client::pump() {
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            received_.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            eof_ = true;
        }
        return;
    }
}

udp_client::udp_client() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        throw std::runtime_error("udp_client: bind failed");
    }
}

udp_client::~udp_client() {
    ::close(fd_);
}

bool udp_client::send_to(const socket_address& to, std::string_view bytes) {
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, to.sa(), to.size()) ==
           static_cast<ssize_t>(bytes.size());
}

void udp_client::pump() {
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            return;
        }
        received_.emplace_back(buf, static_cast<std::size_t>(n));
    }
}

socket_address udp_client::local() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace sbc::sip::test
