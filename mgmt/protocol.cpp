#include "mgmt/protocol.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mgmt/json_text.hpp"

namespace sbc::mgmt {

std::string encode(const request& r) {
    nlohmann::json j{{"v", protocol_version}, {"command", r.command}, {"args", r.args}};
    return json_text(j) + "\n";
}

std::string encode(const response& r) {
    nlohmann::json j{{"ok", r.ok}};
    if (r.ok) {
        j["result"] = r.result;
    } else {
        j["error"] = r.error;
    }
    return json_text(j) + "\n";
}

bool decode(std::string_view line, request& out, std::string& error) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        error = "request is not a JSON object";
        return false;
    }
    if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int>() != protocol_version) {
        error = "unsupported mgmt protocol version (this sbcd speaks v" +
                std::to_string(protocol_version) + ")";
        return false;
    }
    if (!j.contains("command") || !j["command"].is_string()) {
        error = "request has no \"command\" string";
        return false;
    }
    out.command = j["command"].get<std::string>();
    out.args = j.contains("args") ? j["args"] : nlohmann::json::object();
    if (!out.args.is_object()) {
        error = "\"args\" must be an object";
        return false;
    }
    return true;
}

bool decode(std::string_view line, response& out, std::string& error) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) {
        error = "malformed answer from sbcd";
        return false;
    }
    out.ok = j["ok"].get<bool>();
    if (out.ok) {
        out.result = j.contains("result") ? j["result"] : nlohmann::json();
    } else {
        out.error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                  : "unspecified error";
    }
    return true;
}

client::~client() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool client::connect(const std::string& socket_path, std::string& error) {
    path_ = socket_path;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof(addr.sun_path)) {
        error = "mgmt socket path too long: " + socket_path;
        return false;
    }
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        error = "cannot reach sbcd at " + socket_path + ": " + std::strerror(errno) +
                " (is sbcd running?)";
        ::close(fd_);
        fd_ = -1;
        return false;
    }
    return true;
}

bool client::call(const request& req, response& resp, std::string& error,
                  std::chrono::milliseconds timeout) {
    if (fd_ < 0) {
        error = "not connected";
        return false;
    }
    const std::string line = encode(req);
    size_t sent = 0;
    while (sent < line.size()) {
        ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error = "lost connection to sbcd at " + path_ + ": " + std::strerror(errno);
            return false;
        }
        sent += static_cast<size_t>(n);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto nl = pending_.find('\n');
        if (nl != std::string::npos) {
            std::string answer = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            return decode(answer, resp, error);
        }
        if (pending_.size() > max_line_bytes) {
            error = "answer from sbcd too long";
            return false;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            error = "sbcd at " + path_ + " did not answer within " +
                    std::to_string(timeout.count()) + " ms";
            return false;
        }
        pollfd p{fd_, POLLIN, 0};
        int rc = ::poll(&p, 1, static_cast<int>(left.count()));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            continue;  // the deadline check above reports the timeout
        }
        char buf[65536];
        ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error = "sbcd at " + path_ + " closed the connection";
            return false;
        }
        pending_.append(buf, static_cast<size_t>(n));
    }
}

}  // namespace sbc::mgmt
