#pragma once
// Where a realm edge's messages leave and how it asks about its connections: the transaction
// layer's transport (RFC 3261 §18) plus the two questions the control plane asks of
// connections. sbcd uses the realm's own transports (realm_edge's default); the whole-daemon
// fuzz target (tests/fuzz/sbcd_fuzz.cpp) puts an in-memory link here, so that everything the
// daemon sends is seen and nothing touches a socket.

#include <cstddef>

#include "sip/transaction/transaction_types.hpp"

namespace sbc::cp {

class realm_link : public sip::transaction_transport {
  public:
    virtual bool is_open(sip::connection_id id) const = 0;
    // Closes every connection from the IP of `remote` (the DoS guard's blacklist); how many.
    virtual std::size_t close_source(const sip::socket_address& remote) = 0;
};

}  // namespace sbc::cp
