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

cp::status mgmt_server::open(const std::string& path, const std::string& group) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
        return cp::fail("mgmt.socket: path empty or longer than " +
                        std::to_string(sizeof(addr.sun_path) - 1));
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        return cp::fail(std::string("mgmt socket: ") + std::strerror(errno));
    }
    // The message is made before close(), which may change errno.
    auto failed = [this](std::string message) {
        cp::status st = cp::fail(std::move(message));
        close();
        return st;
    };
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) {
        return failed("mgmt.socket " + path + ": cannot create its directory: " + ec.message());
    }
    ::unlink(path.c_str());
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
        return failed("mgmt.socket " + path + ": " + std::strerror(errno));
    }
    path_ = path;
    gid_t gid = 0;
    if (group != "root") {
        struct group* g = ::getgrnam(group.c_str());
        if (g == nullptr) {
            return failed("mgmt.group: no such group '" + group + "'");
        }
        gid = g->gr_gid;
    }
    if (::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0 ||
        ::chmod(path.c_str(), 0660) != 0) {
        return failed("mgmt.socket " + path + ": cannot set owner/mode: " + std::strerror(errno));
    }
    listen_watch_ = loop_.watch(listen_fd_, POLLIN, [this](unsigned) { accept_ready(); });
    return cp::status::ok();
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
        auto r = h->second(req.args);
        if (r) {
            resp.result = std::move(*r);
            resp.ok = true;
        } else {
            resp.error = r.error().message();
        }
    } catch (const std::exception& e) {
        // Arguments of a type a handler did not check (nlohmann's type_error): answered like
        // any refusal, never thrown out of the loop's callback.
        resp.error = e.what();
    } catch (...) {
        resp.error = "command '" + req.command + "' failed";
    }
    return mgmt::encode(resp);
}

}  // namespace sbc::cp
