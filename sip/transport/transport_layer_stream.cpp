// The stream side of transport_layer: what it does with what its connections report (a framed
// message, a framing error, a close), each under a shield so that a throwing handler or policy
// costs that connection only.
#include <malloc.h>

#include "sip/transport/raw_answer.hpp"
#include "sip/transport/transport_layer.hpp"
#include "sip/transport/transport_listener.hpp"

namespace sbc::sip {

void transport_layer::on_stream_message(stream_connection& c, std::string_view bytes) {
    const bool handled = shielded([&] { return peer_label("message", c.type(), c.remote()); },
                                  [&] { stream_message(c, bytes); });
    if (!handled) {
        // What the owner made of this connection's state is unknown: it goes.
        c.close(close_reason::internal_error, "a message handler threw");
    }
}

void transport_layer::stream_message(stream_connection& c, std::string_view bytes) {
    if (c.refusing()) {
        // Over a connection limit: one request gets 503 + Retry-After, then the connection goes.
        const std::string retry =
            "Retry-After: " + std::to_string(limits_.retry_after_seconds) + "\r\n";
        if (auto a = answer_from_raw(bytes, 503, "Service Unavailable", retry); !a.empty()) {
            if (c.send(std::move(a), {}) == send_status::ok) {
                ++counters_.rx_requests_answered;
            }
        }
        c.close_after_flush(close_reason::refused);
        return;
    }
    transport_context ctx;
    ctx.type = c.type();
    ctx.local = c.local();
    ctx.remote = c.remote();
    ctx.connection = c.id();
    ctx.tls = c.tls_info();
    auto answer = [this, &c](std::string a) {
        if (c.send(std::move(a), {}) == send_status::ok) {
            ++counters_.rx_requests_answered;
        }
    };
    const message_kind kind =
        looks_like_request(bytes) ? message_kind::request : message_kind::response;
    // The policy may close this very connection (a blacklisted source): `c` stays alive for
    // the rest of this call (its reader holds it), and its state says closed.
    const source_verdict v = admit(kind, c.type(), c.remote());
    if (v == source_verdict::refuse && c.usable()) {
        if (auto a = refusal(bytes); !a.empty()) {
            answer(std::move(a));
        }
    }
    if (v != source_verdict::accept || !c.usable()) {
        return;
    }
    deliver(bytes, framing::stream, ctx, answer);
}

void transport_layer::on_stream_framing_error(stream_connection& c, frame_error e,
                                              std::string_view head) {
    // The connection closes after this whatever happens here.
    shielded([&] { return peer_label("framing error", c.type(), c.remote()); },
             [&] { stream_framing_error(c, e, head); });
}

void transport_layer::stream_framing_error(stream_connection& c, frame_error e,
                                           std::string_view head) {
    std::uint16_t code = 0;
    std::string_view reason;
    // A head over a limit is answered before the connection closes (issue 10 finding 5), from
    // the whole lines before the one that broke the limit: when the Via is among them.
    switch (e) {
        case frame_error::line_too_long:
            ++counters_.line_too_long;
            code = error_status(error_code::line_too_long);
            reason = error_reason(error_code::line_too_long);
            break;
        case frame_error::too_many_headers:
            ++counters_.too_many_headers;
            code = error_status(error_code::too_many_headers);
            reason = error_reason(error_code::too_many_headers);
            break;
        case frame_error::header_too_large:
            ++counters_.message_too_large;
            code = 513;  // RFC 3261 §21.5.14, as for a datagram over the limit
            reason = "Message Too Large";
            break;
        case frame_error::body_too_large:
            ++counters_.message_too_large;
            code = 413;
            reason = "Request Entity Too Large";
            break;
        case frame_error::missing_content_length:
            ++counters_.bad_content_length;
            code = error_status(error_code::missing_content_length);
            reason = error_reason(error_code::missing_content_length);
            break;
        case frame_error::bad_content_length:
            ++counters_.bad_content_length;
            code = error_status(error_code::malformed_content_length);
            reason = error_reason(error_code::malformed_content_length);
            break;
        case frame_error::pending_overflow:
            ++counters_.pending_overflow;
            break;
        case frame_error::none:
            break;
    }
    if (!c.refusing()) {
        malformed_from(c.remote());
    }
    if (code != 0 && !head.empty() && c.usable() && !c.refusing()) {
        if (auto a = answer_from_raw(head, code, reason); !a.empty()) {
            if (c.send(std::move(a), {}) == send_status::ok) {
                ++counters_.rx_requests_answered;
            }
        }
    }
}

void transport_layer::on_stream_closed(stream_connection& c, close_reason why,
                                       const std::string& detail) {
    auto it = connections_.find(c.id());
    if (it == connections_.end()) {
        return;
    }
    const bool notify = !c.refusing();
    if (c.refusing()) {
        --refusing_;
    } else if (c.counted) {
        auto src = per_source_.find(c.remote().ip_key());
        if (src != per_source_.end() && --src->second == 0) {
            per_source_.erase(src);
        }
        c.counted = false;
    }
    if (auto f = flows_.find(flow_key{c.type(), c.remote()});
        f != flows_.end() && f->second == c.id()) {
        flows_.erase(f);
    }
    ++counters_.connections_closed;
    note_closed();
    connection_closed info;
    info.id = c.id();
    info.type = c.type();
    info.local = c.local();
    info.remote = c.remote();
    info.reason = why;
    info.detail = detail;
    connections_.erase(it);
    if (notify && handlers_.on_closed) {
        shielded([&] { return peer_label("close handler", info.type, info.remote); },
                 [&] { handlers_.on_closed(info); });
    }
}

void transport_layer::note_closed() {
    if (limits_.trim_after_closes == 0 || ++closed_since_trim_ < limits_.trim_after_closes ||
        trim_timer_) {
        return;
    }
    // Once the burst of closes is over: a mass close (a network outage, a flood cut off) frees
    // thousands of small TLS and receive buffers that glibc would otherwise keep.
    trim_timer_ = loop_.run_after(milliseconds(1000), [this] {
        trim_timer_ = {};
        closed_since_trim_ = 0;
        ++counters_.memory_trims;
        ::malloc_trim(0);
    });
}

}  // namespace sbc::sip
