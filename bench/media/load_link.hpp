#pragma once
// How one side of the media load tool puts packets on the wire and takes them off: a UDP socket
// in a network namespace (the kernel path: af_packet, af_xdp and rtpengine on veths), or a
// memif port of the generator's own DPDK process (the kernel-free path, load_memif.cpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sbc::bench {

struct rx_item {
    const uint8_t* data = nullptr;  // UDP payload, valid until the next receive()
    size_t len = 0;
    uint16_t src_port = 0;  // the relay's leg
};

class link {
  public:
    virtual ~link() = default;
    // Empty, or why the link cannot be used.
    virtual std::string open() = 0;
    // Sends n UDP payloads to the relay's address on ports[i]; returns how many left.
    virtual int send(const uint8_t* const* payloads, const uint16_t* lens, const uint16_t* ports,
                     int n) = 0;
    // Up to max packets now (non-blocking).
    virtual int receive(rx_item* items, int max) = 0;
    // Waits up to `t` for something to receive.
    virtual void wait(std::chrono::nanoseconds t) = 0;
    // Packets the link itself dropped on receive (a full socket buffer), cumulative.
    virtual uint64_t receive_drops() const = 0;
};

struct link_address {
    std::string netns;   // socket links: the namespace to open the socket in
    std::string own_ip;  // the generator's address
    uint16_t own_port = 0;
    std::string relay_ip;  // the relay's media address on this side
};

std::unique_ptr<link> make_socket_link(const link_address& a);

}  // namespace sbc::bench
