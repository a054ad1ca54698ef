#pragma once
// sbcd's side of the mgmt protocol (mgmt/protocol.hpp): a unix stream socket served on the
// io_loop. Each command name maps to a handler that returns its JSON result or a status with an
// operator-facing message (controlplane/result.hpp). Connections are bounded in number and in
// buffered bytes so a stuck or hostile client cannot grow sbcd.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "controlplane/result.hpp"
#include "sip/transport/io_loop.hpp"

namespace sbc::cp {

class mgmt_server {
  public:
    using handler = std::function<cp::result<nlohmann::json>(const nlohmann::json& args)>;

    explicit mgmt_server(sip::io_loop& loop) : loop_(loop) {}
    ~mgmt_server();
    mgmt_server(const mgmt_server&) = delete;
    mgmt_server& operator=(const mgmt_server&) = delete;

    // Binds and listens on `path` (a stale socket file is replaced), owned by `group` with mode
    // 0660 so members of the group can use sbcctl. False with `error` on failure.
    cp::status open(const std::string& path, const std::string& group);
    void close();

    void on(const std::string& command, handler h) { handlers_[command] = std::move(h); }

    size_t connections() const { return conns_.size(); }

  private:
    struct connection {
        int fd = -1;
        sip::op_id watch;
        std::string in;
        std::string out;
    };
    void accept_ready();
    void conn_ready(int fd, unsigned revents);
    void drop(int fd);
    std::string answer(const std::string& line);

    static constexpr size_t max_connections = 64;

    sip::io_loop& loop_;
    int listen_fd_ = -1;
    sip::op_id listen_watch_;
    std::string path_;
    std::map<std::string, handler> handlers_;
    std::map<int, std::unique_ptr<connection>> conns_;
};

}  // namespace sbc::cp
