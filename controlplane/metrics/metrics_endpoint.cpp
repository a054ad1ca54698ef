#include "controlplane/metrics/metrics_endpoint.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "sip/transport/socket_address.hpp"

namespace sbc::cp::metrics {

namespace {

std::string http_answer(int code, std::string_view reason, std::string_view content_type,
                        std::string_view body) {
    std::string out = "HTTP/1.1 " + std::to_string(code) + " ";
    out.append(reason).append("\r\nContent-Type: ").append(content_type);
    out.append("\r\nContent-Length: ").append(std::to_string(body.size()));
    out.append("\r\nConnection: close\r\n\r\n").append(body);
    return out;
}

std::string plain(int code, std::string_view reason) {
    return http_answer(code, reason, "text/plain; charset=utf-8", std::string(reason).append("\n"));
}

}  // namespace

metrics_endpoint::metrics_endpoint(sip::io_loop& loop, render_fn render, endpoint_limits limits)
    : loop_(loop), render_(std::move(render)), limits_(limits) {}

metrics_endpoint::~metrics_endpoint() {
    close();
}

cp::status metrics_endpoint::open(const std::string& address, std::uint16_t port) {
    const auto where = sip::socket_address::from_ip(address, port);
    if (!where) {
        return cp::fail("mgmt.metrics_address: '" + address + "' is not an IP address");
    }
    listen_fd_ = ::socket(where->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        return cp::fail(std::string("metrics socket: ") + std::strerror(errno));
    }
    const int one = 1;
    (void)::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(listen_fd_, where->sa(), where->size()) != 0 || ::listen(listen_fd_, 16) != 0) {
        cp::status st =
            cp::fail("mgmt.metrics_port " + where->to_string() + ": " + std::strerror(errno));
        close();
        return st;
    }
    sip::socket_address bound;
    socklen_t len = sip::socket_address::capacity();
    if (::getsockname(listen_fd_, bound.sa(), &len) == 0) {
        port_ = sip::socket_address::from_sockaddr(bound.sa(), len).port();
    }
    listen_watch_ =
        loop_.watch(listen_fd_, POLLIN, life_.guard([this](unsigned) { accept_ready(); }));
    return cp::status::ok();
}

void metrics_endpoint::close() {
    while (!conns_.empty()) {
        drop(conns_.begin()->first);
    }
    if (listen_fd_ >= 0) {
        loop_.unwatch(listen_watch_);
        ::close(listen_fd_);
        listen_fd_ = -1;
    }
}

void metrics_endpoint::accept_ready() {
    for (;;) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;  // EAGAIN: drained; other errors: nothing to do for this attempt
        }
        if (conns_.size() >= limits_.max_connections) {
            ++counters_.refused_connections;
            ::close(fd);
            continue;
        }
        const std::uint64_t id = next_id_++;
        auto c = std::make_unique<connection>();
        c->fd = fd;
        c->watch = loop_.watch(fd, POLLIN, life_.guard([this, id](unsigned) { readable(id); }));
        c->deadline = loop_.run_after(limits_.request_timeout, life_.guard([this, id] {
            ++counters_.timeouts;
            drop(id);
        }));
        conns_[id] = std::move(c);
        counters_.connections = conns_.size();
    }
}

void metrics_endpoint::readable(std::uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) {
        return;
    }
    connection& c = *it->second;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
        if (n > 0) {
            if (!c.answered) {
                // Never more than the limit plus one read is held.
                c.in.append(buf, static_cast<std::size_t>(n));
            }
            if (!c.answered && (c.in.size() > limits_.max_request_bytes ||
                                c.in.find("\r\n\r\n") != std::string::npos)) {
                break;  // a whole head, or too much: answer now and read no further
            }
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        // Closed or failed before the answer went: nothing to answer to.
        drop(id);
        return;
    }
    if (c.answered) {
        return;  // the answer is being written; what else arrives is ignored
    }
    answer(c);
    if (c.answered) {
        // Wait for the socket to take the answer rather than read further.
        loop_.unwatch(c.watch);
        c.watch = loop_.watch(c.fd, POLLOUT, life_.guard([this, id](unsigned) { writable(id); }));
    }
}

void metrics_endpoint::answer(connection& c) {
    const std::size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos || head_end > limits_.max_request_bytes) {
        if (c.in.size() > limits_.max_request_bytes) {
            ++counters_.oversize_requests;
            c.out = plain(431, "Request Header Fields Too Large");
            c.answered = true;
        }
        return;  // the head is not whole yet: the deadline bounds the wait
    }
    c.answered = true;
    // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
    const std::string_view head(c.in.data(), head_end);
    const std::string_view line = head.substr(0, head.find("\r\n"));
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.substr(sp2 + 1).substr(0, 7) != "HTTP/1." ||
        line.size() != sp2 + 9) {
        ++counters_.bad_requests;
        c.out = plain(400, "Bad Request");
        return;
    }
    const std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    if (target != "/metrics") {
        ++counters_.bad_requests;
        c.out = plain(404, "Not Found");
        return;
    }
    if (method != "GET" && method != "HEAD") {
        ++counters_.bad_requests;
        c.out = plain(405, "Method Not Allowed");
        return;
    }
    std::string body;
    try {
        body = render_();
    } catch (const std::exception&) {
        c.out = plain(500, "Internal Server Error");
        return;
    }
    ++counters_.scrapes;
    c.out = http_answer(200, "OK", "text/plain; version=0.0.4; charset=utf-8", body);
    if (method == "HEAD") {
        c.out.resize(c.out.size() - body.size());
    }
}

void metrics_endpoint::writable(std::uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) {
        return;
    }
    connection& c = *it->second;
    while (c.sent < c.out.size()) {
        const ssize_t n =
            ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;  // the deadline bounds a reader that never drains
        }
        drop(id);
        return;
    }
    // Everything went: read what the client still sent so the close is a FIN, not a reset
    // that could discard the answer in its receive queue.
    // At most 64 KiB of it: a sender faster than this loop must not keep it here.
    char buf[4096];
    for (int i = 0; i < 16 && ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; ++i) {
    }
    ::shutdown(c.fd, SHUT_WR);
    drop(id);
}

void metrics_endpoint::drop(std::uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) {
        return;
    }
    loop_.unwatch(it->second->watch);
    loop_.cancel_timer(it->second->deadline);
    ::close(it->second->fd);
    conns_.erase(it);
    counters_.connections = conns_.size();
}

}  // namespace sbc::cp::metrics
