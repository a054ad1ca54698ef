#pragma once

#include <sys/uio.h>

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sip/transport/io_loop.hpp"
#include "sip/transport/stream_framer.hpp"
#include "sip/transport/tls_session.hpp"
#include "sip/transport/transport_types.hpp"

namespace sbc::sip {

class stream_connection;

// What a connection reports to the transport layer that owns it.
class stream_owner {
  public:
    virtual void on_stream_message(stream_connection& c, std::string_view bytes) = 0;
    virtual void on_stream_framing_error(stream_connection& c, frame_error e,
                                         std::string_view head) = 0;
    virtual void on_stream_closed(stream_connection& c, close_reason why,
                                  const std::string& detail) = 0;
    virtual transport_counters& stream_counters() = 0;

  protected:
    ~stream_owner() = default;
};

// One TCP or TLS connection: reads into the framer (through TLS when there is a session),
// writes a queue with gathered sendmsg, runs its timers (connect, handshake, idle, keep-alive,
// linger, and against slow senders: a message whole within message_read_timeout of its first
// byte, an accepted connection's first message within first_message_timeout). All I/O callbacks
// hold a shared_ptr to it, so it lives until the kernel is done with its buffers; the fd closes
// in the destructor. An exception while handling its bytes closes it (internal_error, counted).
class stream_connection : public std::enable_shared_from_this<stream_connection> {
  public:
    enum class state : std::uint8_t { connecting, handshaking, open, draining, closed };

    stream_connection(io_loop& loop, stream_owner* owner, connection_id id, transport_type type,
                      int fd, const socket_address& local, const socket_address& remote,
                      bool inbound, const transport_limits& limits,
                      std::unique_ptr<tls_session> tls);
    ~stream_connection();
    stream_connection(const stream_connection&) = delete;
    stream_connection& operator=(const stream_connection&) = delete;

    void start_inbound();  // accepted: read (TLS: handshake under its timer)
    void start_connect();  // outbound: connect under its timer, then as inbound

    // Queues `bytes` (plaintext). Before the connection is up it waits in a backlog. `done`
    // runs once, later, when the status returned here is ok.
    send_status send(std::string bytes, send_callback done);
    // Closes now: pending sends fail, the owner hears `why`.
    void close(close_reason why, const std::string& detail = {});
    // Stops reading messages, flushes what is queued, half-closes, waits (bounded by linger)
    // for the peer to close, then closes with `why`.
    void close_after_flush(close_reason why, std::string detail = {});
    // The owner is going away: no more calls to it; the socket closes quietly.
    void detach();

    connection_id id() const { return id_; }
    transport_type type() const { return type_; }
    const socket_address& local() const { return local_; }
    const socket_address& remote() const { return remote_; }
    bool inbound() const { return inbound_; }
    state current_state() const { return state_; }
    bool usable() const { return state_ != state::draining && state_ != state::closed; }
    const tls_peer_info* tls_info() const { return peer_info_ ? &*peer_info_ : nullptr; }
    time_point opened_at() const { return opened_; }
    time_point last_activity() const { return last_activity_; }
    std::size_t queued_bytes() const { return queued_bytes_; }
    // A connection over a limit: it may deliver one request, which gets a 503.
    bool refusing() const { return refusing_; }
    void set_refusing() { refusing_ = true; }
    // Counted against its source address (refusing connections are not).
    bool counted = false;

  private:
    struct outgoing {
        std::string bytes;
        send_callback done;
        bool message = true;  // a SIP message (not a pong, ping or TLS record of our own)
    };

    void established();
    void arm_recv();
    void on_recv(int result);
    void on_tls_bytes(std::size_t n);
    // Frames and hands over what the framer holds; true when a message was among it.
    bool process_frames();
    // After the framer took bytes: times the message they started, or stops timing one that
    // completed (message_read_timeout).
    void track_partial_message(bool framed);
    void arm_first_message_timer();
    // An exception while handling this connection: count, report, close.
    void fail_internal(std::string_view what) noexcept;
    void queue_wire(std::string bytes, send_callback done, bool message);
    void queue_plain(std::string bytes, send_callback done, bool message);
    void flush_tls_output();
    void flush();
    void on_sent(int result);
    void fail_pending(send_status why);
    void arm_idle_timer(milliseconds after);
    void arm_keepalive();
    void cancel_timers();
    void finish_close(close_reason why, const std::string& detail);
    std::weak_ptr<stream_connection> weak() { return weak_from_this(); }
    transport_counters& counters();

    io_loop& loop_;
    stream_owner* owner_;
    const connection_id id_;
    const transport_type type_;
    int fd_;
    socket_address local_;
    socket_address remote_;
    const bool inbound_;
    transport_limits limits_;
    std::unique_ptr<tls_session> tls_;
    std::optional<tls_peer_info> peer_info_;
    stream_framer framer_;
    state state_ = state::connecting;
    bool refusing_ = false;
    bool message_seen_ = false;     // a whole message arrived (ends first_message_timeout)
    bool partial_message_ = false;  // bytes of an unfinished message are held (and timed)
    bool reading_ = false;
    bool sending_ = false;
    bool write_shut_ = false;
    close_reason drain_reason_ = close_reason::local;
    std::string drain_detail_;

    std::vector<char> cipher_in_;  // TLS: ciphertext receive buffer
    std::size_t recv_chunk_ = 0;
    std::size_t last_recv_size_ = 0;
    std::deque<outgoing> backlog_;  // plaintext waiting for connect/handshake
    std::deque<outgoing> queue_;    // wire bytes
    std::size_t queued_bytes_ = 0;
    std::size_t front_offset_ = 0;  // bytes of queue_.front() already sent
    std::array<iovec, 32> iov_{};
    msghdr msg_{};

    op_id recv_op_, send_op_, connect_op_;
    timer_id connect_timer_, handshake_timer_, idle_timer_, keepalive_timer_, linger_timer_;
    timer_id message_timer_, first_message_timer_;
    time_point opened_;
    time_point last_activity_;
};

}  // namespace sbc::sip
