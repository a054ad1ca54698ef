#include "sip/transaction/transport_binding.hpp"

namespace sbc::sip {

namespace {

std::uint16_t default_port(transport_type t) {
    return t == transport_type::tls ? 5061 : 5060;
}

}  // namespace

send_status transport_binding::send_request(const transport_target& to, std::string bytes,
                                            send_callback done, connection_id* used) {
    if (to.connection != 0 && transports_.is_open(to.connection)) {
        if (used != nullptr) {
            *used = to.connection;
        }
        return transports_.send(to.connection, std::move(bytes), std::move(done));
    }
    return transports_.send(destination{to.type, to.address, to.server_name}, std::move(bytes),
                            std::move(done), used);
}

send_status transport_binding::send_response(const transport_context& ctx, const via& top,
                                             std::string bytes, send_callback done) {
    const std::uint16_t sent_by_port =
        top.sent_by.has_port ? top.sent_by.port : default_port(ctx.type);
    if (is_reliable(ctx.type)) {
        if (transports_.is_open(ctx.connection)) {
            return transports_.send(ctx.connection, std::move(bytes), std::move(done));
        }
        // §18.2.2: the connection is gone: open one to the source IP and the sent-by port.
        destination d{ctx.type, ctx.remote, {}};
        d.address.set_port(sent_by_port);
        return transports_.send(d, std::move(bytes), std::move(done));
    }
    transport_context to = ctx;
    if (!symmetric_ && !top.has_rport()) {
        to.remote.set_port(sent_by_port);  // §18.2.2: received address, sent-by port
    }
    return transports_.reply(to, std::move(bytes), std::move(done));
}

}  // namespace sbc::sip
