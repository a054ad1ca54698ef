// The timers of a stream_connection: idle, keep-alive, and against slow senders (issue 10) the
// time a message may take to arrive whole and the time an accepted connection may wait before
// its first message.
#include "sip/transport/stream_connection.hpp"

namespace sbc::sip {

void stream_connection::track_partial_message(bool framed) {
    if (state_ != state::open || limits_.message_read_timeout.count() <= 0) {
        return;
    }
    if (framer_.pending() == 0) {
        partial_message_ = false;
        loop_.cancel_timer(message_timer_);
        return;
    }
    if (partial_message_ && !framed) {
        return;  // the same message, still arriving: its clock keeps running
    }
    // A message started with these bytes (the first, or the next after one that completed).
    partial_message_ = true;
    loop_.cancel_timer(message_timer_);
    message_timer_ = loop_.run_after(limits_.message_read_timeout, [w = weak()] {
        auto self = w.lock();
        if (self && self->state_ == state::open && self->partial_message_) {
            ++self->counters().message_read_timeouts;
            self->close_after_flush(close_reason::message_read_timeout);
        }
    });
}

void stream_connection::arm_first_message_timer() {
    // Internet-facing servers bound how long an accepted connection may sit before it says
    // anything; connection_idle_timeout is for clients that did (registered flows).
    if (!inbound_ || refusing_ || message_seen_ || limits_.first_message_timeout.count() <= 0) {
        return;
    }
    first_message_timer_ = loop_.run_after(limits_.first_message_timeout, [w = weak()] {
        auto self = w.lock();
        if (self && self->state_ == state::open && !self->message_seen_) {
            ++self->counters().first_message_timeouts;
            self->close_after_flush(close_reason::first_message_timeout);
        }
    });
}

void stream_connection::arm_idle_timer(milliseconds after) {
    if (limits_.idle_timeout.count() <= 0) {
        return;
    }
    loop_.cancel_timer(idle_timer_);
    idle_timer_ = loop_.run_after(after, [w = weak()] {
        auto self = w.lock();
        if (!self || !self->usable()) {
            return;
        }
        const auto idle =
            std::chrono::duration_cast<milliseconds>(self->loop_.now() - self->last_activity_);
        if (idle >= self->limits_.idle_timeout) {
            ++self->counters().idle_timeouts;
            self->close(close_reason::idle_timeout);
        } else {
            self->arm_idle_timer(self->limits_.idle_timeout - idle);
        }
    });
}

void stream_connection::arm_keepalive() {
    keepalive_timer_ = loop_.run_after(limits_.keepalive_interval, [w = weak()] {
        auto self = w.lock();
        if (!self || self->state_ != state::open) {
            return;
        }
        ++self->counters().keepalive_pings_tx;
        self->queue_plain("\r\n\r\n", {}, false);  // RFC 5626 §4.4.1 ping
        self->arm_keepalive();
    });
}

void stream_connection::cancel_timers() {
    loop_.cancel_timer(connect_timer_);
    loop_.cancel_timer(handshake_timer_);
    loop_.cancel_timer(idle_timer_);
    loop_.cancel_timer(keepalive_timer_);
    loop_.cancel_timer(linger_timer_);
    loop_.cancel_timer(message_timer_);
    loop_.cancel_timer(first_message_timer_);
}

}  // namespace sbc::sip
