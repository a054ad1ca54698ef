#include "controlplane/mgmt_server.hpp"

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "mgmt/protocol.hpp"

namespace sbc::cp {

mgmt_server::~mgmt_server() {
    close();
}

bool mgmt_server::open(const std::string& path, const std::string& group, std::string& error) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
        error =
            "mgmt.socket: path empty or longer than " + std::to_string(sizeof(addr.sun_path) - 1);
        return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        error = std::string("mgmt socket: ") + std::strerror(errno);
        return false;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) {
        error = "mgmt.socket " + path + ": cannot create its directory: " + ec.message();
        close();
        return false;
    }
    ::unlink(path.c_str());
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
        error = "mgmt.socket " + path + ": " + std::strerror(errno);
        ::close(listen_fd_);
        listen_fd_ = -1;
        return false;
    }
    path_ = path;
    gid_t gid = 0;
    if (group != "root") {
        struct group* g = ::getgrnam(group.c_str());
        if (g == nullptr) {
            error = "mgmt.group: no such group '" + group + "'";
            close();
            return false;
        }
        gid = g->gr_gid;
    }
    if (::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0 ||
        ::chmod(path.c_str(), 0660) != 0) {
        error = "mgmt.socket " + path + ": cannot set owner/mode: " + std::strerror(errno);
        close();
        return false;
    }
    listen_watch_ = loop_.watch(listen_fd_, POLLIN, [this](unsigned) { accept_ready(); });
    return true;
}

void mgmt_server::close() {
    while (!conns_.empty()) {
        drop(conns_.begin()->first);
    }
    if (listen_fd_ >= 0) {
        loop_.unwatch(listen_watch_);
        ::close(listen_fd_);
        listen_fd_ = -1;
        ::unlink(path_.c_str());
    }
}

void mgmt_server::accept_ready() {
    for (;;) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;  // EAGAIN: drained; other errors: nothing to do for this attempt
        }
        if (conns_.size() >= max_connections) {
            const std::string busy =
                mgmt::encode(mgmt::response{false, {}, "too many mgmt connections"});
            (void)!::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(fd);
            continue;
        }
        auto c = std::make_unique<connection>();
        c->fd = fd;
        c->watch = loop_.watch(fd, POLLIN, [this, fd](unsigned ev) { conn_ready(fd, ev); });
        conns_[fd] = std::move(c);
    }
}

void mgmt_server::conn_ready(int fd, unsigned revents) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) {
        return;
    }
    connection& c = *it->second;
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n > 0) {
            c.in.append(buf, static_cast<size_t>(n));
            if (c.in.size() > mgmt::max_line_bytes) {
                drop(fd);
                return;
            }
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            drop(fd);
            return;
        }
        if (errno == EAGAIN) {
            break;
        }
    }
    size_t nl;
    while ((nl = c.in.find('\n')) != std::string::npos) {
        std::string line = c.in.substr(0, nl);
        c.in.erase(0, nl + 1);
        c.out += answer(line);
    }
    // Answers are small; a client that does not read them is dropped rather than buffered for.
    while (!c.out.empty()) {
        ssize_t n = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) {
            if (n < 0 && errno == EAGAIN && c.out.size() < mgmt::max_line_bytes * 4) {
                pollfd p{fd, POLLOUT, 0};
                if (::poll(&p, 1, 100) == 1) {
                    continue;
                }
            }
            drop(fd);
            return;
        }
        c.out.erase(0, static_cast<size_t>(n));
    }
    if ((revents & (POLLHUP | POLLERR)) != 0U) {
        drop(fd);
    }
}

void mgmt_server::drop(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) {
        return;
    }
    loop_.unwatch(it->second->watch);
    ::close(fd);
    conns_.erase(it);
}

std::string mgmt_server::answer(const std::string& line) {
    mgmt::request req;
    mgmt::response resp;
    std::string error;
    if (!mgmt::decode(line, req, error)) {
        resp.error = error;
        return mgmt::encode(resp);
    }
    auto h = handlers_.find(req.command);
    if (h == handlers_.end()) {
        resp.error = "unknown command '" + req.command + "'";
        return mgmt::encode(resp);
    }
    try {
        resp.result = h->second(req.args);
        resp.ok = true;
    } catch (const std::exception& e) {
        resp.error = e.what();
    } catch (...) {
        resp.error = "command '" + req.command + "' failed";
    }
    return mgmt::encode(resp);
}

}  // namespace sbc::cp
