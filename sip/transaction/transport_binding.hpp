#pragma once

#include "sip/transaction/transaction_types.hpp"
#include "sip/transport/transport_layer.hpp"

namespace sbc::sip {

// The transaction layer's view of a transport_layer (RFC 3261 §18.1.1, §18.2.2).
class transport_binding final : public transaction_transport {
  public:
    // symmetric_responses: answer UDP requests to their source port even without rport
    // (what NATed clients need; RFC 3581 behaviour for everyone). Off: RFC 3261 §18.2.2 to the
    // sent-by port unless rport is present.
    explicit transport_binding(transport_layer& transports, bool symmetric_responses = true)
        : transports_(transports), symmetric_(symmetric_responses) {}

    send_status send_request(const transport_target& to, std::string bytes, send_callback done,
                             connection_id* used) override;
    send_status send_response(const transport_context& request_ctx, const via& request_top_via,
                              std::string bytes, send_callback done) override;

  private:
    transport_layer& transports_;
    bool symmetric_;
};

}  // namespace sbc::sip
