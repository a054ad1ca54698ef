#pragma once
// One realm's SIP edge: a transport layer listening on the realm's signalling address and
// configured ports (0 disables a transport), limits from [sip], and the RFC 3261 transaction
// layer on top. It knows the realm's own addresses (for Via, Contact and Record-Route) and fans
// the transaction layer's events out to whoever sits above (the dispatcher, the registrar, the
// trunk, later the B2BUA). No policy here: what to do with a request is the dispatcher's.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "sip/builder.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transaction/transport_binding.hpp"
#include "sip/transport/transport_layer.hpp"

namespace sbc::cp {

enum class realm_id : std::uint8_t { access, core };

// "<uri>" (built by appending: gcc 12 warns falsely on "<" + std::string&&).
inline std::string in_angles(std::string_view uri) {
    std::string s;
    s.reserve(uri.size() + 2);
    s.append(1, '<').append(uri).append(1, '>');
    return s;
}
std::string_view realm_name(realm_id r);

// The transport limits and transaction timers of [sip].
sip::transport_limits limits_from(const config::sip_section& s);
sip::transaction_timers timers_from(const config::sip_section& s);

// What the realm listens on; built from [realm.*] (tests pick free ports).
struct realm_listen {
    std::string address;
    std::uint16_t udp = 0, tcp = 0, tls = 0;  // 0 = disabled
    std::string certificate_profile;          // the listener's default TLS profile

    static realm_listen from(const config::realm& r) {
        return {r.signalling_address, r.sip_udp_port, r.sip_tcp_port, r.sip_tls_port,
                r.certificate_profile};
    }
};

class realm_edge {
  public:
    struct events {
        std::function<void(sip::transaction_id id, const sip::message& request,
                           const sip::transport_context& ctx, sip::transaction_id cancelled)>
            on_request;
        std::function<void(sip::message&& ack, const sip::transport_context& ctx)> on_ack;
        std::function<void(sip::message&& response, const sip::transport_context& ctx)>
            on_stray_response;
    };
    using closed_fn = std::function<void(const sip::connection_closed& info)>;
    // TLS: the certificate profile for a connection from `remote` ("" = the listener's).
    using profile_for_source = std::function<std::string(const sip::socket_address& remote)>;

    realm_edge(sip::io_loop& loop, realm_id id, const sip::transport_limits& limits,
               const sip::transaction_timers& timers);
    ~realm_edge();
    realm_edge(const realm_edge&) = delete;
    realm_edge& operator=(const realm_edge&) = delete;

    // Builds a TLS server context for each certificate profile the realm may present, then
    // opens the listeners. False with one line naming the address, port or file at fault.
    bool open(const realm_listen& where, const std::vector<config::certificate_profile>& profiles,
              profile_for_source choose, std::string& error);
    // Outbound TLS (a TLS sip_server node): the client context, verifying against `profile.ca`.
    bool set_tls_client(const config::certificate_profile& profile, std::string& error);
    // One more listener on the realm's address after open(): a remote endpoint's own port (the
    // E911 core_realm_port, guide 12.1.2.2). `owner` names the setting in the error line.
    bool listen_extra(sip::transport_type t, std::uint16_t port, std::string_view owner,
                      std::string& error);

    // Answers the server transaction `txn` whose request is `request`: RFC 3261 §8.2.6 (the
    // request's Via, From, To with the transaction's tag, Call-ID, CSeq), then `extra`. The one
    // way the control plane answers a request it does not relay.
    bool respond(sip::transaction_id txn, const sip::message& request, std::uint16_t code,
                 std::string_view reason, const sip::header_list& extra = {});

    void set_events(events e) { events_ = std::move(e); }
    // Several parts want to hear about closed connections (registrar flows, trunk nodes).
    void on_closed(closed_fn fn) { closed_.push_back(std::move(fn)); }

    realm_id id() const { return id_; }
    std::string_view name() const { return realm_name(id_); }
    sip::transaction_layer& transactions() { return transactions_; }
    sip::transport_layer& transports() { return transports_; }
    sip::io_loop& loop() { return loop_; }

    // The listening address of a transport: the realm's own port, else the first extra
    // listener of that transport (what the transport sends UDP from); nullopt when none.
    std::optional<sip::socket_address> local(sip::transport_type t) const;
    bool enabled(sip::transport_type t) const { return local(t).has_value(); }
    // "10.2.0.1:5060" for a Via sent-by or a Contact host-port on transport `t` (TCP falls back
    // to the UDP port when TCP is disabled and the other way round).
    std::string host_port(sip::transport_type t) const;
    // A Via header value with a fresh branch ("SIP/2.0/TCP 10.2.0.1:5060;branch=z9hG4bK..").
    std::string make_via(sip::transport_type t, std::string_view branch) const;
    // "sip:USER@10.2.0.1:5060;transport=tcp" (no user part when `user` is empty; TLS gets
    // ";transport=tls").
    std::string contact_uri(sip::transport_type t, std::string_view user) const;

    nlohmann::json status() const;

  private:
    std::shared_ptr<sip::tls_server_context> tls_for(const sip::socket_address& remote);

    sip::io_loop& loop_;
    realm_id id_;
    events events_;
    std::vector<closed_fn> closed_;
    std::map<std::string, std::shared_ptr<sip::tls_server_context>> tls_contexts_;
    profile_for_source choose_profile_;
    std::string default_profile_;
    std::map<sip::transport_type, sip::socket_address> listening_;
    std::vector<std::pair<sip::transport_type, sip::socket_address>> extra_;
    std::string address_;
    sip::transport_layer transports_;
    sip::transport_binding binding_;
    sip::transaction_layer transactions_;
};

}  // namespace sbc::cp
