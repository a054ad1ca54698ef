#pragma once
// The listening/receiving socket of a transport_layer, and helpers its files share (private to
// sip/transport).

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>

#include "sip/transport/transport_layer.hpp"

namespace sbc::sip {

// In-flight operations hold a shared_ptr to it, so its buffers live until the kernel is done;
// `owner` is cleared when the transport_layer goes away.
struct transport_layer::listener {
    static constexpr std::size_t datagram_capacity = 65536;

    transport_layer* owner = nullptr;
    transport_type type = transport_type::udp;
    int fd = -1;
    socket_address local;
    std::shared_ptr<tls_server_context> tls;
    op_id op;
    // accept
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    // UDP
    std::unique_ptr<char[]> buf;
    iovec iov{};
    msghdr msg{};
    sockaddr_storage from{};

    ~listener() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

// "what (TLS 192.0.2.1:5061)": what a fault report says was running.
inline std::string peer_label(std::string_view what, transport_type type,
                              const socket_address& peer) {
    return std::string(what) + " (" + std::string(transport_name(type)) + " " + peer.to_string() +
           ")";
}

}  // namespace sbc::sip
