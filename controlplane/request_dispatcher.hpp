#pragma once
// Where every request that reaches sbcd goes, and what is refused before anyone sees it.
//
// Access realm: the source must lie in a remote-subscriber subnet (else 403). Then: requests
// inside a dialog (To tag) go to the in-dialog handler; OPTIONS addressed to the SBC itself
// (no user part) are answered 200 here (client keep-alive); everything else goes to the handler
// routed for its method (REGISTER -> registrar relay; INVITE -> the B2BUA once it exists).
//
// An E911 provider (a location domain of a remote endpoint, on that endpoint's access realm) is
// let in on either realm before those checks: its requests inside a call go to the in-dialog
// handler, its OPTIONS to the SBC are answered, anything else is refused 403.
//
// Core realm: the source must be a sip_server node (else 403). A Request-URI whose user part is
// a flow token is for a registered client (the registrar put the token in the Contact it
// registered at OSV): those go to the client handlers (by method, default the client relay),
// with the binding. Then in-dialog, OPTIONS-to-us and by-method routing as on the access side.
//
// CANCEL goes to whoever takes INVITE on that path (the transaction layer matched it: 481 when
// it matched nothing). ACK for a 2xx (never a transaction) goes to the ACK handler of its path.
// A request without a handler gets 405 with the realm's Allow list. Every refusal is counted.

#include <array>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "controlplane/binding_table.hpp"
#include "controlplane/osv_trunk.hpp"
#include "controlplane/realm_edge.hpp"
#include "controlplane/subscriber_subnets.hpp"

namespace sbc::cp {

// X(name, status, reason phrase)
#define SBC_CP_DISPATCH_REFUSALS(X)                                                              \
    X(remote_subscribers_disabled, 403, "Forbidden (remote subscribers are disabled)")           \
    X(source_not_subscriber, 403, "Forbidden (source outside the remote-subscriber subnets)")    \
    X(source_not_sip_server, 403, "Forbidden (source is not a sip_server node)")                 \
    X(unknown_flow_token, 404, "Not Found (no registration for this flow token)")                \
    X(no_live_flow, 480, "Temporarily Unavailable (the client has no live connection)")          \
    X(no_transaction, 481, "Call/Transaction Does Not Exist")                                    \
    X(provider_out_of_dialog, 403, "Forbidden (a remote endpoint sends requests in calls only)") \
    X(method_not_allowed, 405, "Method Not Allowed")

enum class dispatch_refusal : std::uint8_t {
#define SBC_CP_DISPATCH_ENUM(name, code, reason) name,
    SBC_CP_DISPATCH_REFUSALS(SBC_CP_DISPATCH_ENUM)
#undef SBC_CP_DISPATCH_ENUM
        count_
};

// A request as handed to a handler. References are valid during the call only; the server
// transaction (txn) and its request live until it is answered.
struct inbound_request {
    realm_id realm;
    sip::transaction_id txn;
    const sip::message& msg;
    const sip::transport_context& ctx;
    sip::transaction_id cancelled = 0;          // CANCEL: the INVITE server transaction
    const subscriber_subnet* subnet = nullptr;  // access: the client's subnet
    std::optional<node_index> node;             // core: the sip_server node it came from
    binding* client = nullptr;                  // core: the binding named by the flow token
    bool from_provider = false;                 // an E911 provider's location domain
};

class request_dispatcher {
  public:
    using request_handler = std::function<void(const inbound_request& req)>;
    // An ACK for a 2xx; `client` is the binding named by a flow token (core realm) or nullptr.
    using ack_handler = std::function<void(realm_id realm, sip::message&& ack,
                                           const sip::transport_context& ctx, binding* client)>;
    // Whether a source on a realm is an E911 provider (controlplane/e911).
    using provider_check = std::function<bool(realm_id realm, const sip::socket_address& source)>;

    request_dispatcher(realm_edge& access, realm_edge& core, const subscriber_subnets& subnets,
                       osv_trunk& trunk, binding_table& bindings);

    // Out-of-dialog requests by method (CANCEL follows INVITE unless routed itself).
    void route(realm_id realm, sip::sip_method method, request_handler h);
    // Requests with a To tag not addressed to a flow token.
    void route_in_dialog(realm_id realm, request_handler h);
    // Core requests addressed to a client's flow token, by method, and for all other methods.
    void route_to_client(sip::sip_method method, request_handler h);
    void route_to_client_default(request_handler h);
    void route_acks(realm_id realm, ack_handler h);
    void route_client_acks(ack_handler h);
    void set_provider_check(provider_check fn) { is_provider_ = std::move(fn); }

    // Answers the request with the refusal's status and reason, and counts it.
    void refuse(const inbound_request& req, dispatch_refusal why);
    // Answers through the request's realm (status line from `code`/`reason`, transaction To tag).
    void respond(const inbound_request& req, std::uint16_t code, std::string_view reason,
                 const sip::header_list& extra = {});

    std::uint64_t refusals(dispatch_refusal why) const {
        return refused_[static_cast<std::size_t>(why)];
    }
    nlohmann::json counters() const;

  private:
    struct realm_routes {
        std::array<request_handler, static_cast<std::size_t>(sip::sip_method::other) + 1> by_method;
        request_handler in_dialog;
        ack_handler acks;
    };

    void on_request(realm_id realm, sip::transaction_id id, const sip::message& m,
                    const sip::transport_context& ctx, sip::transaction_id cancelled);
    void on_ack(realm_id realm, sip::message&& ack, const sip::transport_context& ctx);
    bool to_client(inbound_request& req);
    void by_method(realm_routes& routes, const inbound_request& req);
    realm_edge& edge(realm_id r) { return r == realm_id::access ? access_ : core_; }
    realm_routes& routes(realm_id r) { return routes_[static_cast<std::size_t>(r)]; }
    std::string allow(realm_id r) const;

    realm_edge& access_;
    realm_edge& core_;
    const subscriber_subnets& subnets_;
    osv_trunk& trunk_;
    binding_table& bindings_;
    std::array<realm_routes, 2> routes_;
    std::array<request_handler, static_cast<std::size_t>(sip::sip_method::other) + 1> client_;
    request_handler client_default_;
    ack_handler client_acks_;
    provider_check is_provider_;
    std::array<std::uint64_t, static_cast<std::size_t>(dispatch_refusal::count_)> refused_{};
    std::uint64_t requests_[2] = {0, 0};
    std::uint64_t options_answered_ = 0;
    std::uint64_t acks_dropped_ = 0;
};

// A binding whose flow token is the user part of `u`, or nullptr.
binding* client_of(binding_table& bindings, const sip::uri& u);

}  // namespace sbc::cp
