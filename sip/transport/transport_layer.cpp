#include "sip/transport/transport_layer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "sip/transport/raw_answer.hpp"
#include "sip/transport/transport_listener.hpp"

namespace sbc::sip {

namespace {

std::string errno_text(std::string_view what, const socket_address& a, int err) {
    return std::string(what) + " " + a.to_string() + ": " + std::strerror(err);
}

void set_nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// An accepted socket until a connection takes it: closed on every other way out of on_accept(),
// an exception included.
class accepted_fd {
  public:
    explicit accepted_fd(int fd) : fd_(fd) {}
    ~accepted_fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    accepted_fd(const accepted_fd&) = delete;
    accepted_fd& operator=(const accepted_fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

}  // namespace

transport_layer::transport_layer(io_loop& loop, const transport_limits& limits, handlers h)
    : loop_(loop), limits_(limits), handlers_(std::move(h)) {}

transport_layer::~transport_layer() {
    loop_.cancel_timer(trim_timer_);
    for (auto& l : listeners_) {
        l->owner = nullptr;
        loop_.cancel(l->op);
    }
    auto connections = std::move(connections_);
    connections_.clear();
    for (auto& [id, c] : connections) {
        c->detach();
    }
}

result<socket_address, std::string> transport_layer::listen_udp(const socket_address& local) {
    return listen(transport_type::udp, local, nullptr);
}

result<socket_address, std::string> transport_layer::listen_tcp(const socket_address& local) {
    return listen(transport_type::tcp, local, nullptr);
}

result<socket_address, std::string> transport_layer::listen_tls(
    const socket_address& local, std::shared_ptr<tls_server_context> tls) {
    if (!tls) {
        return std::string("listen TLS " + local.to_string() + ": no TLS server context");
    }
    return listen(transport_type::tls, local, std::move(tls));
}

result<socket_address, std::string> transport_layer::listen(
    transport_type type, const socket_address& local, std::shared_ptr<tls_server_context> tls) {
    if (!local.valid()) {
        return std::string("listen: not an IPv4/IPv6 address");
    }
    const std::string what = "listen " + std::string(transport_name(type));
    const bool datagram = type == transport_type::udp;
    const int fd = ::socket(
        local.family(), (datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno_text(what, local, errno);
    }
    auto l = std::make_shared<listener>();
    l->fd = fd;
    l->owner = this;
    l->type = type;
    l->tls = std::move(tls);
    int one = 1;
    if (!datagram) {
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (local.family() == AF_INET6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (::bind(fd, local.sa(), local.size()) != 0) {
        return errno_text(what, local, errno);
    }
    if (!datagram && ::listen(fd, 1024) != 0) {
        return errno_text(what, local, errno);
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    l->local = socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    listeners_.push_back(l);
    if (datagram) {
        int rcvbuf = 4 * 1024 * 1024;  // ride out bursts; the kernel caps it at rmem_max
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        l->buf = std::make_unique<char[]>(listener::datagram_capacity);
        arm_datagram(l);
    } else {
        arm_accept(l);
    }
    return l->local;
}

const transport_layer::listener* transport_layer::find_listener(transport_type type,
                                                                int family) const {
    for (const auto& l : listeners_) {
        if (l->type == type && l->local.family() == family) {
            return l.get();
        }
    }
    return nullptr;
}

void transport_layer::arm_accept(const std::shared_ptr<listener>& l) {
    l->peer_len = sizeof l->peer;
    l->op = loop_.accept(
        l->fd, reinterpret_cast<sockaddr*>(&l->peer), &l->peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC,
        [l](int r) {
            l->op = {};
            if (l->owner == nullptr) {
                if (r >= 0) {
                    ::close(r);
                }
                return;
            }
            if (r < 0) {
                if (r == -ECANCELED) {
                    return;
                }
                // Out of fds or memory: back off instead of spinning.
                const bool starved = r == -EMFILE || r == -ENFILE || r == -ENOBUFS || r == -ENOMEM;
                if (starved) {
                    std::weak_ptr<listener> w = l;
                    l->owner->loop_.run_after(milliseconds(100), [w] {
                        auto again = w.lock();
                        if (again && again->owner != nullptr) {
                            again->owner->arm_accept(again);
                        }
                    });
                } else {
                    l->owner->arm_accept(l);
                }
                return;
            }
            transport_layer* self = l->owner;
            self->arm_accept(l);
            self->shielded(
                [&] {
                    return peer_label("accept", l->type,
                                      socket_address::from_sockaddr(
                                          reinterpret_cast<sockaddr*>(&l->peer), l->peer_len));
                },
                [&] { self->on_accept(*l, r); });
        });
}

void transport_layer::on_accept(listener& l, int accepted) {
    accepted_fd fd(accepted);
    const socket_address remote =
        socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&l.peer), l.peer_len);
    const std::string source = remote.ip_key();
    bool refuse = false;
    if (policy_ != nullptr) {
        auto it = per_source_.find(source);
        switch (policy_->on_connection(remote, it == per_source_.end() ? 0 : it->second)) {
            case source_verdict::drop:
                ++counters_.policy_dropped_connections;
                return;  // closed before a byte is read: no TLS handshake
            case source_verdict::refuse:
                ++counters_.policy_refused_connections;
                refuse = true;
                break;
            case source_verdict::accept:
                break;
        }
    }
    if (refuse) {
        // counted above
    } else if (connection_count() >= limits_.max_connections) {
        ++counters_.refused_total_limit;
        refuse = true;
    } else if (auto it = per_source_.find(source);
               it != per_source_.end() && it->second >= limits_.max_connections_per_source) {
        ++counters_.refused_source_limit;
        refuse = true;
    }
    if (refuse && refusing_ >= limits_.max_refusing_connections) {
        ++counters_.refused_dropped;
        return;
    }
    set_nodelay(fd.get());
    socket_address local = l.local;
    if (local.is_any()) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
            local = socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
        }
    }
    std::unique_ptr<tls_session> tls;
    if (l.tls) {
        std::shared_ptr<tls_server_context> chosen;
        if (tls_selector_) {
            chosen = tls_selector_(remote);
        }
        SSL* ssl = (chosen ? chosen : l.tls)->new_ssl();
        if (ssl == nullptr) {
            ++counters_.tls_handshake_failures;
            return;
        }
        tls = std::make_unique<tls_session>(ssl, true);
    }
    const connection_id id = next_id_++;
    auto c =
        std::make_shared<stream_connection>(loop_, static_cast<stream_owner*>(this), id, l.type,
                                            fd.get(), local, remote, true, limits_, std::move(tls));
    fd.release();  // the connection closes it
    connections_.emplace(id, c);
    if (refuse) {
        c->set_refusing();
        ++refusing_;
    } else {
        c->counted = true;
        ++per_source_[source];
        flows_[flow_key{l.type, remote}] = id;
        ++counters_.connections_accepted;
    }
    c->start_inbound();
}

void transport_layer::deliver(std::string_view bytes, framing how, const transport_context& ctx,
                              const std::function<void(std::string)>& answer) {
    auto parsed = parse(bytes, limits_.parse(how));
    if (parsed) {
        ++counters_.rx_messages;
        if (handlers_.on_message) {
            handlers_.on_message(std::move(parsed.value()), ctx);
        }
        return;
    }
    if (!looks_like_request(bytes)) {
        ++counters_.malformed_responses;
        malformed_from(ctx.remote);
        return;
    }
    ++counters_.malformed_requests;
    malformed_from(ctx.remote);
    // Every request that names where to answer (a Via) gets the parser's precise reason, even
    // when it lacks another mandatory header (`response_possible` is false then).
    // The answer copies what the parser read of the request (its fields point into `bytes`).
    const parse_error& e = parsed.error();
    if (auto a = answer_from_fields(e.fields, e.status(), e.reason_phrase()); !a.empty()) {
        answer(std::move(a));
    }
}

source_verdict transport_layer::admit(message_kind kind, transport_type type,
                                      const socket_address& from) {
    if (policy_ == nullptr) {
        return source_verdict::accept;
    }
    source_verdict v = policy_->on_message(from, type, kind);
    if (v == source_verdict::refuse && kind != message_kind::request) {
        v = source_verdict::drop;  // only a request can be answered
    }
    if (v == source_verdict::refuse) {
        ++counters_.policy_refused_requests;
    } else if (v == source_verdict::drop) {
        ++counters_.policy_dropped_messages;
    }
    return v;
}

std::string transport_layer::refusal(std::string_view request) const {
    const std::string retry =
        "Retry-After: " + std::to_string(policy_ ? policy_->retry_after_s() : 1) + "\r\n";
    return answer_from_raw(request, 503, "Service Unavailable", retry);
}

send_status transport_layer::send(connection_id id, std::string bytes, send_callback done) {
    if (bytes.empty()) {
        ++counters_.send_errors;
        return send_status::empty_message;
    }
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->refusing()) {
        ++counters_.send_errors;
        return send_status::no_connection;
    }
    const send_status st = it->second->send(std::move(bytes), std::move(done));
    if (st != send_status::ok) {
        ++counters_.send_errors;
    }
    return st;
}

send_status transport_layer::send(const destination& to, std::string bytes, send_callback done,
                                  connection_id* used) {
    if (!to.address.valid() || to.address.port() == 0) {
        ++counters_.send_errors;
        return send_status::invalid_destination;
    }
    if (bytes.empty()) {
        ++counters_.send_errors;
        return send_status::empty_message;
    }
    if (to.type == transport_type::udp) {
        const send_status st = send_datagram(socket_address{}, to.address, bytes);
        if (st == send_status::ok && done) {
            loop_.post([done = std::move(done)] { done(send_status::ok); });
        }
        return st;
    }
    if (auto f = flows_.find(flow_key{to.type, to.address}); f != flows_.end()) {
        auto c = connections_.find(f->second);
        if (c != connections_.end() && c->second->usable()) {
            if (used != nullptr) {
                *used = c->first;
            }
            return send(c->first, std::move(bytes), std::move(done));
        }
    }
    if (to.type == transport_type::tls && !tls_client_) {
        ++counters_.send_errors;
        return send_status::no_listener;
    }
    const std::string source = to.address.ip_key();
    if (connection_count() >= limits_.max_connections ||
        (per_source_.count(source) != 0 &&
         per_source_[source] >= limits_.max_connections_per_source)) {
        ++counters_.send_errors;
        return send_status::limit_reached;
    }
    const int fd = ::socket(to.address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ++counters_.send_errors;
        return send_status::io_error;
    }
    set_nodelay(fd);
    // Leave from the signalling address of this realm (a listener of the same family).
    const listener* l = find_listener(to.type, to.address.family());
    if (l == nullptr) {
        l = find_listener(transport_type::tcp, to.address.family());
    }
    socket_address local;
    if (l != nullptr && !l->local.is_any()) {
        local = l->local;
        local.set_port(0);
        int one = 1;
        ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (::bind(fd, local.sa(), local.size()) != 0) {
            ::close(fd);
            ++counters_.send_errors;
            return send_status::io_error;
        }
    }
    std::unique_ptr<tls_session> tls;
    if (to.type == transport_type::tls) {
        SSL* ssl = tls_client_->new_ssl(to.server_name, to.address);
        if (ssl == nullptr) {
            ::close(fd);
            ++counters_.send_errors;
            return send_status::tls_failed;
        }
        tls = std::make_unique<tls_session>(ssl, false);
    }
    const connection_id id = next_id_++;
    auto c =
        std::make_shared<stream_connection>(loop_, static_cast<stream_owner*>(this), id, to.type,
                                            fd, local, to.address, false, limits_, std::move(tls));
    connections_.emplace(id, c);
    c->counted = true;
    ++per_source_[source];
    flows_[flow_key{to.type, to.address}] = id;
    ++counters_.connections_opened;
    if (used != nullptr) {
        *used = id;
    }
    const send_status st = c->send(std::move(bytes), std::move(done));
    c->start_connect();
    return st;
}

send_status transport_layer::reply(const transport_context& ctx, std::string bytes,
                                   send_callback done) {
    if (bytes.empty()) {
        ++counters_.send_errors;
        return send_status::empty_message;
    }
    if (ctx.type == transport_type::udp) {
        const send_status st = send_datagram(ctx.local, ctx.remote, bytes);
        if (st == send_status::ok && done) {
            loop_.post([done = std::move(done)] { done(send_status::ok); });
        }
        return st;
    }
    return send(ctx.connection, std::move(bytes), std::move(done));
}

std::size_t transport_layer::close_source(const socket_address& remote) {
    const std::string source = remote.ip_key();
    std::vector<std::shared_ptr<stream_connection>> victims;
    for (const auto& [id, c] : connections_) {
        if (c->remote().ip_key() == source) {
            victims.push_back(c);
        }
    }
    for (auto& c : victims) {
        c->close(close_reason::local);
    }
    return victims.size();
}

void transport_layer::close(connection_id id) {
    if (auto it = connections_.find(id); it != connections_.end()) {
        auto c = it->second;
        c->close(close_reason::local);
    }
}

bool transport_layer::is_open(connection_id id) const {
    auto it = connections_.find(id);
    return it != connections_.end() && it->second->usable() && !it->second->refusing();
}

std::optional<connection_info> transport_layer::connection(connection_id id) const {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->refusing()) {
        return std::nullopt;
    }
    const stream_connection& c = *it->second;
    connection_info info;
    info.id = id;
    info.type = c.type();
    info.local = c.local();
    info.remote = c.remote();
    info.inbound = c.inbound();
    info.established = c.current_state() == stream_connection::state::open;
    if (const tls_peer_info* t = c.tls_info()) {
        info.tls = *t;
    }
    info.opened = c.opened_at();
    info.last_activity = c.last_activity();
    info.queued_bytes = c.queued_bytes();
    return info;
}

}  // namespace sbc::sip
