// UDP side of transport_layer: datagram receive (io_uring recvmsg, then a bounded drain with
// plain syscalls) and stateless sends.
#include <cerrno>

#include "sip/transport/raw_answer.hpp"
#include "sip/transport/transport_layer.hpp"
#include "sip/transport/transport_listener.hpp"

namespace sbc::sip {

namespace {

constexpr int datagram_drain_batch = 64;  // datagrams read per completion before re-arming

bool only_whitespace(std::string_view s) {
    for (char c : s) {
        if (c != '\r' && c != '\n' && c != ' ' && c != '\t' && c != '\0') {
            return false;
        }
    }
    return true;
}

}  // namespace

void transport_layer::arm_datagram(const std::shared_ptr<listener>& l) {
    l->iov.iov_base = l->buf.get();
    l->iov.iov_len = listener::datagram_capacity;
    l->msg = msghdr{};
    l->msg.msg_name = &l->from;
    l->msg.msg_namelen = sizeof l->from;
    l->msg.msg_iov = &l->iov;
    l->msg.msg_iovlen = 1;
    l->op = loop_.recvmsg(l->fd, &l->msg, 0, [l](int r) {
        l->op = {};
        transport_layer* self = l->owner;
        if (self == nullptr || r == -ECANCELED) {
            return;
        }
        // One datagram whose handling throws is dropped (counted); the listener reads on.
        auto receive = [&](std::size_t n) {
            const socket_address from = socket_address::from_sockaddr(
                reinterpret_cast<sockaddr*>(&l->from), l->msg.msg_namelen);
            self->shielded(
                [&] { return "datagram (UDP " + from.to_string() + ")"; },
                [&] { self->on_datagram(*l, n, (l->msg.msg_flags & MSG_TRUNC) != 0, from); });
        };
        if (r >= 0) {
            receive(static_cast<std::size_t>(r));
            // Drain what else is queued with plain syscalls before going back to the ring.
            for (int i = 0; i < datagram_drain_batch && l->owner != nullptr; ++i) {
                l->msg.msg_namelen = sizeof l->from;
                l->msg.msg_flags = 0;
                const ssize_t n = ::recvmsg(l->fd, &l->msg, MSG_DONTWAIT);
                if (n < 0) {
                    break;
                }
                receive(static_cast<std::size_t>(n));
            }
        }
        if (l->owner != nullptr) {
            l->owner->arm_datagram(l);
        }
    });
}

void transport_layer::on_datagram(listener& l, std::size_t n, bool truncated,
                                  const socket_address& from) {
    counters_.rx_bytes += n;
    const std::string_view bytes(l.buf.get(), n);
    // The source policy first: a flood costs a lookup per datagram, not a parse (nor an
    // allocation).
    const message_kind kind = only_whitespace(bytes)      ? message_kind::keepalive
                              : looks_like_request(bytes) ? message_kind::request
                                                          : message_kind::response;
    const source_verdict v = admit(kind, transport_type::udp, from);
    if (v == source_verdict::drop) {
        return;
    }
    const socket_address local = l.local;
    auto answer = [this, local, from](const std::string& a) {
        if (send_datagram(local, from, a) == send_status::ok) {
            ++counters_.rx_requests_answered;
        }
    };
    if (v == source_verdict::refuse) {
        if (auto a = refusal(bytes); !a.empty()) {
            answer(a);
        }
        return;
    }
    if (truncated || n > limits_.max_message_size) {
        ++counters_.oversize_datagrams;
        malformed_from(from);
        // RFC 3261 §21.5.14: 513 when enough of the request is there to answer.
        const auto end = bytes.find("\r\n\r\n");
        const auto head = end == std::string_view::npos ? bytes : bytes.substr(0, end + 4);
        if (auto a = answer_from_raw(head, 513, "Message Too Large"); !a.empty()) {
            answer(a);
        }
        return;
    }
    if (kind == message_kind::keepalive) {
        ++counters_.keepalive_pings_rx;  // CRLF keep-alives over UDP need no answer
        return;
    }
    transport_context ctx;
    ctx.type = transport_type::udp;
    ctx.local = local;
    ctx.remote = from;
    deliver(bytes, framing::datagram, ctx, answer);
}

send_status transport_layer::send_datagram(const socket_address& local, const socket_address& to,
                                           std::string_view bytes) {
    const listener* via = nullptr;
    for (const auto& l : listeners_) {
        if (l->type == transport_type::udp && l->local == local) {
            via = l.get();
            break;
        }
    }
    if (via == nullptr) {
        via = find_listener(transport_type::udp, to.family());
    }
    if (via == nullptr) {
        ++counters_.send_errors;
        return send_status::no_listener;
    }
    const ssize_t n = ::sendto(via->fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                               to.sa(), to.size());
    if (n < 0) {
        ++counters_.send_errors;
        return send_status::io_error;
    }
    ++counters_.tx_messages;
    counters_.tx_bytes += static_cast<std::uint64_t>(n);
    return send_status::ok;
}

}  // namespace sbc::sip
