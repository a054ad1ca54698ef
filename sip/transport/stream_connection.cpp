#include "sip/transport/stream_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sbc::sip {

namespace {

// Receive sizes adapt: an idle registered client costs a few KB, a busy trunk gets large reads.
// A read that fills its buffer doubles the next one, up to max_recv_chunk.
constexpr std::size_t min_recv_chunk = std::size_t{4} * 1024;
constexpr std::size_t max_recv_chunk = std::size_t{64} * 1024;

send_status status_for(close_reason why) {
    switch (why) {
        case close_reason::connect_failed:
        case close_reason::connect_timeout:
            return send_status::connect_failed;
        case close_reason::tls_handshake_failed:
        case close_reason::tls_handshake_timeout:
            return send_status::tls_failed;
        case close_reason::io_error:
            return send_status::io_error;
        default:
            return send_status::closed;
    }
}

transport_counters& detached_counters() {
    thread_local transport_counters sink;
    return sink;
}

}  // namespace

stream_connection::stream_connection(io_loop& loop, stream_owner* owner, connection_id id,
                                     transport_type type, int fd, const socket_address& local,
                                     const socket_address& remote, bool inbound,
                                     const transport_limits& limits,
                                     std::unique_ptr<tls_session> tls)
    : loop_(loop),
      owner_(owner),
      id_(id),
      type_(type),
      fd_(fd),
      local_(local),
      remote_(remote),
      inbound_(inbound),
      limits_(limits),
      tls_(std::move(tls)),
      framer_(limits.stream()) {
    opened_ = last_activity_ = loop_.now();
    recv_chunk_ = min_recv_chunk;
}

stream_connection::~stream_connection() {
    cancel_timers();
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

transport_counters& stream_connection::counters() {
    return owner_ != nullptr ? owner_->stream_counters() : detached_counters();
}

void stream_connection::start_inbound() {
    if (tls_) {
        state_ = state::handshaking;
        handshake_timer_ = loop_.run_after(limits_.tls_handshake_timeout, [w = weak()] {
            auto self = w.lock();
            if (self && self->state_ == state::handshaking) {
                ++self->counters().tls_handshake_timeouts;
                self->close(close_reason::tls_handshake_timeout);
            }
        });
    } else {
        established();
    }
    if (refusing_) {
        const auto bound =
            limits_.linger + (tls_ ? limits_.tls_handshake_timeout : milliseconds(0));
        linger_timer_ = loop_.run_after(bound, [w = weak()] {
            if (auto self = w.lock()) {
                self->close(close_reason::refused);
            }
        });
    }
    arm_idle_timer(limits_.idle_timeout);
    arm_recv();
}

void stream_connection::start_connect() {
    state_ = state::connecting;
    connect_timer_ = loop_.run_after(limits_.connect_timeout, [w = weak()] {
        auto self = w.lock();
        if (self && self->state_ == state::connecting) {
            ++self->counters().connect_failures;
            self->close(close_reason::connect_timeout);
        }
    });
    connect_op_ =
        loop_.connect(fd_, remote_.sa(), remote_.size(), [self = shared_from_this()](int r) {
            self->connect_op_ = {};
            if (self->state_ != state::connecting) {
                return;
            }
            self->loop_.cancel_timer(self->connect_timer_);
            if (r < 0) {
                ++self->counters().connect_failures;
                self->close(close_reason::connect_failed, std::strerror(-r));
                return;
            }
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            if (::getsockname(self->fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
                self->local_ = socket_address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
            }
            self->last_activity_ = self->loop_.now();
            if (self->tls_) {
                self->start_inbound();    // handshake timer, idle timer, reads
                self->tls_->handshake();  // ClientHello
                self->flush_tls_output();
            } else {
                self->start_inbound();
            }
        });
}

void stream_connection::established() {
    state_ = state::open;
    arm_first_message_timer();
    if (tls_) {
        loop_.cancel_timer(handshake_timer_);
        peer_info_ = tls_->peer_info();
        ++counters().tls_handshakes;
        if (peer_info_->resumed) {
            ++counters().tls_resumed;
        }
    }
    auto backlog = std::move(backlog_);
    backlog_.clear();
    for (auto& o : backlog) {
        queue_plain(std::move(o.bytes), std::move(o.done), o.message);
    }
    if (!inbound_ && limits_.keepalive_interval.count() > 0) {
        arm_keepalive();
    }
}

void stream_connection::arm_recv() {
    if (reading_ || state_ == state::closed) {
        return;
    }
    char* buf;
    std::size_t len;
    if (tls_ && state_ != state::draining) {
        cipher_in_.resize(recv_chunk_);
        buf = cipher_in_.data();
        len = cipher_in_.size();
    } else {
        // Draining: bytes land here and are never committed (discarded).
        auto space = framer_.prepare(recv_chunk_);
        buf = space.data();
        len = space.size();
    }
    last_recv_size_ = len;
    reading_ = true;
    recv_op_ = loop_.recv(fd_, buf, len, 0, [self = shared_from_this()](int r) {
        // What threw left this connection in a state nobody can vouch for: it goes, the loop
        // and the other connections carry on.
        try {
            self->on_recv(r);
        } catch (const std::exception& e) {
            self->fail_internal(e.what());
        } catch (...) {
            self->fail_internal("an exception that is not a std::exception");
        }
    });
}

void stream_connection::fail_internal(std::string_view what) noexcept {
    ++counters().handler_faults;
    try {
        loop_.guard().fault(
            "connection " + std::string(transport_name(type_)) + " " + remote_.to_string(), what);
        close(close_reason::internal_error, std::string(what));
    } catch (...) {
        loop_.guard().fault("connection", what);
    }
}

void stream_connection::on_recv(int r) {
    reading_ = false;
    recv_op_ = {};
    if (state_ == state::closed) {
        return;
    }
    if (r <= 0) {
        if (state_ == state::draining) {
            finish_close(drain_reason_, drain_detail_);
        } else if (r == 0) {
            close(close_reason::peer_closed);
        } else {
            close(close_reason::io_error, std::strerror(-r));
        }
        return;
    }
    last_activity_ = loop_.now();
    if (state_ == state::draining) {
        arm_recv();
        return;
    }
    if (static_cast<std::size_t>(r) == last_recv_size_ && recv_chunk_ < max_recv_chunk) {
        recv_chunk_ *= 2;
    }
    if (tls_) {
        on_tls_bytes(static_cast<std::size_t>(r));
    } else {
        counters().rx_bytes += static_cast<std::uint64_t>(r);
        framer_.commit(static_cast<std::size_t>(r));
        track_partial_message(process_frames());
    }
    arm_recv();
}

void stream_connection::on_tls_bytes(std::size_t n) {
    tls_->feed(cipher_in_.data(), n);
    if (state_ == state::handshaking) {
        const auto st = tls_->handshake();
        flush_tls_output();
        if (st == tls_session::status::failed) {
            ++counters().tls_handshake_failures;
            close_after_flush(close_reason::tls_handshake_failed, tls_->error());
            return;
        }
        if (st != tls_session::status::ok) {
            return;
        }
        established();
    }
    bool framed = false;
    while (state_ == state::open) {
        auto space = framer_.prepare(recv_chunk_);
        std::size_t got = 0;
        const auto st = tls_->read(space, got);
        if (st == tls_session::status::ok) {
            counters().rx_bytes += got;
            framer_.commit(got);
            framed = process_frames() || framed;
            continue;
        }
        if (st == tls_session::status::want_more) {
            break;
        }
        flush_tls_output();
        if (st == tls_session::status::closed) {
            close(close_reason::peer_closed);
        } else {
            close(close_reason::io_error, tls_->error());
        }
        return;
    }
    track_partial_message(framed);
    flush_tls_output();
}

bool stream_connection::process_frames() {
    bool framed = false;
    while (state_ == state::open) {
        const stream_frame f = framer_.next();
        switch (f.kind) {
            case frame_kind::need_more:
                return framed;
            case frame_kind::message:
                framed = true;
                if (!message_seen_) {
                    message_seen_ = true;
                    loop_.cancel_timer(first_message_timer_);
                }
                if (owner_ != nullptr) {
                    owner_->on_stream_message(*this, f.bytes);
                }
                break;
            case frame_kind::ping:
                ++counters().keepalive_pings_rx;
                queue_plain("\r\n", {}, false);  // RFC 5626 §4.4.1 pong
                break;
            case frame_kind::pong:
                ++counters().keepalive_pongs_rx;
                break;
            case frame_kind::error:
                if (owner_ != nullptr) {
                    owner_->on_stream_framing_error(*this, f.error, f.head);
                }
                if (state_ == state::open) {
                    close_after_flush(close_reason::framing_error,
                                      std::string(frame_error_name(f.error)));
                }
                return framed;
        }
    }
    return framed;
}

send_status stream_connection::send(std::string bytes, send_callback done) {
    if (!usable()) {
        return send_status::closed;
    }
    std::size_t backlog_bytes = 0;
    for (const auto& o : backlog_) {
        backlog_bytes += o.bytes.size();
    }
    if (queued_bytes_ + backlog_bytes + bytes.size() > limits_.max_send_queue_bytes) {
        ++counters().send_queue_full;
        return send_status::queue_full;
    }
    if (state_ == state::open) {
        queue_plain(std::move(bytes), std::move(done), true);
    } else {
        backlog_.push_back({std::move(bytes), std::move(done), true});
    }
    return send_status::ok;
}

void stream_connection::queue_plain(std::string bytes, send_callback done, bool message) {
    if (tls_) {
        if (!tls_->write(bytes)) {
            if (done) {
                done(send_status::tls_failed);
            }
            return;
        }
        queue_wire(tls_->take_output(), std::move(done), message);
    } else {
        queue_wire(std::move(bytes), std::move(done), message);
    }
}

void stream_connection::flush_tls_output() {
    if (tls_ && tls_->has_output()) {
        queue_wire(tls_->take_output(), {}, false);
    }
}

void stream_connection::queue_wire(std::string bytes, send_callback done, bool message) {
    if (state_ == state::closed || bytes.empty()) {
        if (done) {
            done(bytes.empty() ? send_status::ok : send_status::closed);
        }
        return;
    }
    queued_bytes_ += bytes.size();
    queue_.push_back({std::move(bytes), std::move(done), message});
    flush();
}

void stream_connection::flush() {
    if (sending_ || queue_.empty() || state_ == state::closed || state_ == state::connecting) {
        return;
    }
    std::size_t n = 0;
    for (auto it = queue_.begin(); it != queue_.end() && n < iov_.size(); ++it, ++n) {
        const std::size_t skip = n == 0 ? front_offset_ : 0;
        iov_[n].iov_base = it->bytes.data() + skip;
        iov_[n].iov_len = it->bytes.size() - skip;
    }
    msg_ = msghdr{};
    msg_.msg_iov = iov_.data();
    msg_.msg_iovlen = n;
    sending_ = true;
    send_op_ = loop_.sendmsg(fd_, &msg_, MSG_NOSIGNAL,
                             [self = shared_from_this()](int r) { self->on_sent(r); });
}

void stream_connection::on_sent(int r) {
    sending_ = false;
    send_op_ = {};
    if (state_ == state::closed) {
        queue_.clear();  // the kernel is done with the buffers now
        return;
    }
    if (r < 0) {
        close(close_reason::io_error, std::strerror(-r));
        return;
    }
    last_activity_ = loop_.now();
    counters().tx_bytes += static_cast<std::uint64_t>(r);
    // Account first, run callbacks last: a callback may queue more and start the next send.
    std::vector<send_callback> done;
    auto left = static_cast<std::size_t>(r);
    while (left > 0 && !queue_.empty()) {
        outgoing& front = queue_.front();
        const std::size_t rest = front.bytes.size() - front_offset_;
        if (left < rest) {
            front_offset_ += left;
            break;
        }
        left -= rest;
        front_offset_ = 0;
        queued_bytes_ -= front.bytes.size();
        if (front.message) {
            ++counters().tx_messages;
        }
        if (front.done) {
            done.push_back(std::move(front.done));
        }
        queue_.pop_front();
    }
    if (state_ == state::draining && queue_.empty() && !write_shut_) {
        ::shutdown(fd_, SHUT_WR);
        write_shut_ = true;
    }
    flush();
    for (auto& fn : done) {
        fn(send_status::ok);
    }
}

void stream_connection::fail_pending(send_status why) {
    std::vector<send_callback> done;
    for (auto& o : backlog_) {
        if (o.done) {
            done.push_back(std::move(o.done));
        }
    }
    backlog_.clear();
    for (auto& o : queue_) {
        if (o.done) {
            done.push_back(std::move(o.done));
        }
    }
    // An in-flight sendmsg still points into the queue: keep the bytes until it completes.
    if (!sending_) {
        queue_.clear();
    }
    queued_bytes_ = 0;
    front_offset_ = 0;
    if (why != send_status::ok) {
        counters().send_errors += done.size();
    }
    for (auto& fn : done) {
        fn(why);
    }
}

void stream_connection::close_after_flush(close_reason why, std::string detail) {
    if (state_ == state::closed || state_ == state::draining) {
        return;
    }
    auto keep = shared_from_this();
    if (state_ == state::connecting) {
        finish_close(why, detail);
        return;
    }
    state_ = state::draining;
    drain_reason_ = why;
    drain_detail_ = std::move(detail);
    loop_.cancel_timer(idle_timer_);
    loop_.cancel_timer(keepalive_timer_);
    loop_.cancel_timer(handshake_timer_);
    loop_.cancel_timer(linger_timer_);
    loop_.cancel_timer(message_timer_);
    loop_.cancel_timer(first_message_timer_);
    linger_timer_ = loop_.run_after(limits_.linger, [w = weak()] {
        auto self = w.lock();
        if (self && self->state_ == state::draining) {
            self->finish_close(self->drain_reason_, self->drain_detail_);
        }
    });
    // Plaintext that never went out fails now; what is already queued still goes.
    std::vector<send_callback> failed;
    for (auto& o : backlog_) {
        if (o.done) {
            failed.push_back(std::move(o.done));
        }
    }
    backlog_.clear();
    if (tls_ && tls_->established()) {
        tls_->shutdown();  // close_notify after the queued records
        flush_tls_output();
    }
    flush();
    if (queue_.empty() && !sending_) {
        ::shutdown(fd_, SHUT_WR);
        write_shut_ = true;
    }
    arm_recv();
    for (auto& fn : failed) {
        fn(status_for(why));
    }
}

void stream_connection::close(close_reason why, const std::string& detail) {
    if (state_ == state::closed) {
        return;
    }
    finish_close(why, detail);
}

void stream_connection::detach() {
    owner_ = nullptr;
    if (state_ != state::closed) {
        finish_close(close_reason::shutdown, {});
    }
}

void stream_connection::finish_close(close_reason why, const std::string& detail) {
    auto keep = shared_from_this();  // the owner drops its reference below
    state_ = state::closed;
    cancel_timers();
    if (tls_ && tls_->established() && !write_shut_ && !sending_ && fd_ >= 0) {
        // Best-effort close_notify: besides being polite, a session closed without one is
        // marked not resumable by OpenSSL.
        tls_->shutdown();
        const std::string notify = tls_->take_output();
        ::send(fd_, notify.data(), notify.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    if (fd_ >= 0) {
        ::shutdown(fd_, SHUT_RDWR);  // completes a pending recv; the fd closes with us
    }
    loop_.cancel(recv_op_);
    loop_.cancel(send_op_);
    loop_.cancel(connect_op_);
    if (owner_ != nullptr) {
        stream_owner* owner = owner_;
        owner->on_stream_closed(*this, why, detail);
    }
    fail_pending(status_for(why));
}

}  // namespace sbc::sip
