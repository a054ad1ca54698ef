#pragma once
// A narrow hook through which the owner of a transport_layer decides, per source address,
// whether a connection or a message is admitted before any parsing work (the SBC's DoS guard
// implements it in controlplane/). The transport only asks and obeys; it keeps no policy.

#include <cstdint>

#include "sip/transport/socket_address.hpp"
#include "sip/transport/transport_types.hpp"

namespace sbc::sip {

enum class source_verdict : std::uint8_t {
    accept,  // carry on as usual
    refuse,  // connection: serve it as over a limit (one request gets 503); request: 503
    drop,    // connection: close at once (before any TLS handshake); message: ignore it
};

// What a received message looks like from its first bytes (nothing is parsed).
enum class message_kind : std::uint8_t { request, response, keepalive };

class source_policy {
  public:
    // A TCP/TLS connection from `remote` came out of accept(); `open` connections from the same
    // IP are already up (refusing ones not counted).
    virtual source_verdict on_connection(const socket_address& remote, std::size_t open) = 0;
    // A UDP datagram or a framed stream message from `remote`, before it is parsed. `refuse`
    // of a request gets 503 + Retry-After: retry_after_s(); of anything else it is a drop.
    virtual source_verdict on_message(const socket_address& remote, transport_type type,
                                      message_kind kind) = 0;
    // A message from `remote` could not be framed or parsed (it got its 400/413/513 if any).
    virtual void on_malformed(const socket_address& remote) = 0;
    virtual std::uint32_t retry_after_s() const = 0;

  protected:
    ~source_policy() = default;
};

}  // namespace sbc::sip
