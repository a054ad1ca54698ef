#pragma once
// Requests from OSV to a registered client, routed by the flow token in the Request-URI down the
// client's live connection (the TLS connection it registered on): NOTIFY for message waiting,
// OPTIONS, and, until the B2BUA takes INVITE over (issue 6: route_to_client(invite, ...)), the
// INVITE of an incoming call at the signalling level.
//
// Transaction-stateful, not dialog-stateful: each request is relayed in its own client
// transaction on the access realm and its responses are mapped back to OSV's server
// transaction. Topology hiding at this level: OSV's Via, Route and Record-Route never reach the
// client (the client sees the SBC's Via and Contact only), the client's Via, Record-Route and
// Contact never reach OSV (OSV sees the token Contact). CANCEL follows its INVITE, and an ACK
// for a 2xx from OSV is forwarded down the flow. What needs dialog state (the client's own
// in-dialog requests, SDP and media) is the B2BUA's.

#include <string>
#include <unordered_map>

#include "common/lifetime.hpp"
#include "controlplane/request_dispatcher.hpp"

namespace sbc::cp {

class client_relay {
  public:
    client_relay(realm_edge& access, realm_edge& core, request_dispatcher& dispatcher);
    ~client_relay();
    client_relay(const client_relay&) = delete;
    client_relay& operator=(const client_relay&) = delete;

    // The dispatcher's route for core requests to a client (req.client is set).
    void on_request(const inbound_request& req);
    void on_ack(realm_id realm, sip::message&& ack, const sip::transport_context& ctx,
                binding* client);

    std::uint64_t relayed() const { return relayed_; }
    std::size_t in_flight() const { return pairs_.size(); }

  private:
    struct pair {
        sip::transaction_id access_txn = 0;
        std::string core_vias;  // OSV's Via values, in order, for the responses
        std::string token;
        sip::transport_type core_type = sip::transport_type::tcp;
    };

    sip::transport_target flow_of(const binding& b) const;
    std::string access_contact(const binding& b) const;
    void relay_response(sip::transaction_id core_txn, const sip::message& r);

    realm_edge& access_;
    realm_edge& core_;
    request_dispatcher& dispatcher_;
    std::unordered_map<sip::transaction_id, pair> pairs_;  // by core server transaction
    std::uint64_t relayed_ = 0;
    lifetime life_;  // last: callbacks stop first
};

}  // namespace sbc::cp
