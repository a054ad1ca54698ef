#include "sip/transport/transport_types.hpp"

namespace sbc::sip {

std::string_view transport_name(transport_type t) {
    switch (t) {
        case transport_type::udp:
            return "UDP";
        case transport_type::tcp:
            return "TCP";
        case transport_type::tls:
            return "TLS";
    }
    return "?";
}

std::string_view close_reason_name(close_reason r) {
    static constexpr std::string_view names[] = {
#define SBC_SIP_CLOSE_NAME(name, text) #name,
        SBC_SIP_CLOSE_REASONS(SBC_SIP_CLOSE_NAME)
#undef SBC_SIP_CLOSE_NAME
    };
    return names[static_cast<std::size_t>(r)];
}

std::string_view send_status_name(send_status s) {
    switch (s) {
        case send_status::ok:
            return "ok";
        case send_status::no_connection:
            return "no_connection";
        case send_status::no_listener:
            return "no_listener";
        case send_status::invalid_destination:
            return "invalid_destination";
        case send_status::queue_full:
            return "queue_full";
        case send_status::limit_reached:
            return "limit_reached";
        case send_status::connect_failed:
            return "connect_failed";
        case send_status::tls_failed:
            return "tls_failed";
        case send_status::io_error:
            return "io_error";
        case send_status::closed:
            return "closed";
        case send_status::refused:
            return "refused";
        case send_status::empty_message:
            return "empty_message";
    }
    return "?";
}

}  // namespace sbc::sip
