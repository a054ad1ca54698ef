#pragma once
// In-test SIP peers: a transport_layer server that records what it gets (and answers 200),
// and plain-socket TCP/UDP clients driven from the same thread as the loop.

#include <string>
#include <vector>

#include "sip/builder.hpp"
#include "sip/transport/transport_layer.hpp"

namespace sbc::sip::test {

struct recorded {
    std::string bytes;
    transport_context ctx;  // ctx.tls is reset (only valid during the callback)
    std::optional<tls_peer_info> tls;
    bool request = false;
};

// A transport_layer that records messages and closes, and answers requests with 200 OK.
class recording_server {
  public:
    explicit recording_server(io_loop& loop, const transport_limits& limits = {});

    transport_layer layer;
    std::vector<recorded> messages;
    std::vector<connection_closed> closed;
    bool answer_requests = true;
};

class tcp_client {
  public:
    explicit tcp_client(const socket_address& to);
    ~tcp_client();
    tcp_client(const tcp_client&) = delete;
    tcp_client& operator=(const tcp_client&) = delete;

    bool connected() const { return connected_; }
    bool send(std::string_view bytes);  // false once the peer has gone
    // Reads whatever is available (non-blocking); sets eof() when the peer closed or reset.
    void pump();
    bool eof() const { return eof_; }
    const std::string& received() const { return received_; }
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    std::string received_;
};

class udp_client {
  public:
    udp_client();
    ~udp_client();
    bool send_to(const socket_address& to, std::string_view bytes);
    void pump();
    const std::vector<std::string>& received() const { return received_; }
    socket_address local() const;

  private:
    int fd_ = -1;
    std::vector<std::string> received_;
};

inline std::size_t count_of(const std::string& haystack, std::string_view needle) {
    std::size_t n = 0;
    for (auto pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

}  // namespace sbc::sip::test
