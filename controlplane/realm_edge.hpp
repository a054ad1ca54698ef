#pragma once
// One realm's SIP edge: a transport layer listening on the realm's signalling address and
// configured ports (0 disables a transport), limits from [sip], and the RFC 3261 transaction
// layer on top. It knows the realm's own addresses (for Via, Contact and Record-Route) and fans
// the transaction layer's events out to whoever sits above (the dispatcher, the registrar, the
// trunk, later the B2BUA). No policy here: what to do with a request is the dispatcher's.
//
// Three rules hold at the edge whatever sits above (controlplane/README.md): a message that
// arrives is checked against the ingress limits when set (the access realm: the limits toward
// the core, core_limits.hpp) before the transaction layer sees it; everything that leaves is
// checked against the egress limits when set (the core realm); and whatever a message's
// handlers throw is caught by the entry guard, counted, and costs that message only.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "controlplane/core_limits.hpp"
#include "controlplane/entry_guard.hpp"
#include "controlplane/realm_link.hpp"
#include "controlplane/result.hpp"
#include "controlplane/sip_message_counts.hpp"
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

// Sees every message a realm edge received (before admission, decrypted) and every one it sent
// (after the egress check), with the addresses on the wire: the SIP trace (sip_trace.hpp).
class message_tap {
  public:
    virtual ~message_tap() = default;
    virtual void on_message(realm_id realm, sip_direction direction, sip::transport_type transport,
                            const sip::socket_address& local, const sip::socket_address& remote,
                            std::string_view bytes) = 0;
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
               const sip::transaction_timers& timers, entry_guard& guard);
    ~realm_edge();
    realm_edge(const realm_edge&) = delete;
    realm_edge& operator=(const realm_edge&) = delete;

    // Builds a TLS server context for each certificate profile the realm may present, then
    // opens the listeners. False with one line naming the address, port or file at fault.
    cp::status open(const realm_listen& where,
                    const std::vector<config::certificate_profile>& profiles,
                    profile_for_source choose);
    // A TLS server context for each certificate profile, keyed by its name; fails naming the
    // first profile whose files do not make one (sbcctl config apply builds them all before it
    // changes anything).
    using tls_contexts = std::map<std::string, std::shared_ptr<sip::tls_server_context>>;
    static cp::result<tls_contexts> build_tls(
        const std::vector<config::certificate_profile>& profiles);
    // The contexts new handshakes use from now on (the listener's default profile among them).
    // An established connection keeps the SSL it was accepted with until it closes.
    void use_tls(tls_contexts contexts) { tls_contexts_ = std::move(contexts); }
    bool serves_tls() const { return !tls_contexts_.empty(); }
    // Outbound TLS (a TLS sip_server node): the client context, verifying against `profile.ca`.
    cp::status set_tls_client(const config::certificate_profile& profile);
    // One more listener on the realm's address after open(): a remote endpoint's own port (the
    // E911 core_realm_port, guide 12.1.2.2). `owner` names the setting in the error line.
    cp::status listen_extra(sip::transport_type t, std::uint16_t port, std::string_view owner);

    // Answers the server transaction `txn` whose request is `request`: RFC 3261 §8.2.6 (the
    // request's Via, From, To with the transaction's tag, Call-ID, CSeq), then `extra`. The one
    // way the control plane answers a request it does not relay.
    bool respond(sip::transaction_id txn, const sip::message& request, std::uint16_t code,
                 std::string_view reason, const sip::header_list& extra = {});

    void set_events(events e) { events_ = std::move(e); }
    // Several parts want to hear about closed connections (registrar flows, trunk nodes).
    void on_closed(closed_fn fn) { closed_.push_back(std::move(fn)); }

    // What arriving messages must fit (nullptr: no check); `refused` hears the source of each
    // message refused (the DoS guard counts it like a malformed one).
    void set_ingress_limits(const core_limits* limits,
                            std::function<void(const sip::socket_address&)> refused = {});
    // What leaving messages must fit and be (nullptr: no check).
    void set_egress_limits(const core_limits* limits) { egress_limits_ = limits; }
    // The SIP trace's tap (null: none).
    void set_tap(message_tap* tap) { tap_ = tap; }
    const limit_counters& refused_in() const { return refused_in_; }
    const limit_counters& refused_out() const { return refused_out_; }
    // Every message received (before admission) and every one that left, by method/status class.
    const sip_message_counts& messages() const { return messages_; }

    // The transport seam (realm_link.hpp): instead of open(), the realm's messages leave through
    // `link`, which stands for listeners on `where` (no socket is opened).
    void use_link(realm_link& link, const realm_listen& where);
    // A message that arrived, and a connection that closed: from the realm's transports, or
    // from the link that replaced them.
    void deliver(sip::message&& m, const sip::transport_context& ctx);
    void connection_closed(const sip::connection_closed& info);
    // Bytes outside any transaction (the ACK for a 2xx, RFC 3261 §17.1.1.3): down `to`'s
    // connection when it is open, else to its address. The egress limits apply.
    sip::send_status send_direct(const sip::transport_target& to, std::string bytes);
    bool is_open(sip::connection_id id) const { return link_->is_open(id); }
    std::size_t close_source(const sip::socket_address& remote) {
        return link_->close_source(remote);
    }

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
    // The realm's own transports as a realm_link.
    class transports_link final : public realm_link {
      public:
        explicit transports_link(sip::transport_layer& t) : transports_(t), binding_(t) {}
        sip::send_status send_request(const sip::transport_target& to, std::string bytes,
                                      sip::send_callback done, sip::connection_id* used) override {
            return binding_.send_request(to, std::move(bytes), std::move(done), used);
        }
        sip::send_status send_response(const sip::transport_context& ctx, const sip::via& top,
                                       std::string bytes, sip::send_callback done) override {
            return binding_.send_response(ctx, top, std::move(bytes), std::move(done));
        }
        bool is_open(sip::connection_id id) const override { return transports_.is_open(id); }
        std::size_t close_source(const sip::socket_address& remote) override {
            return transports_.close_source(remote);
        }

      private:
        sip::transport_layer& transports_;
        sip::transport_binding binding_;
    };
    // What the transaction layer sends through: the egress check, then the link.
    class egress final : public sip::transaction_transport {
      public:
        explicit egress(realm_edge& edge) : edge_(edge) {}
        sip::send_status send_request(const sip::transport_target& to, std::string bytes,
                                      sip::send_callback done, sip::connection_id* used) override;
        sip::send_status send_response(const sip::transport_context& ctx, const sip::via& top,
                                       std::string bytes, sip::send_callback done) override;

      private:
        realm_edge& edge_;
    };

    std::shared_ptr<sip::tls_server_context> tls_for(const sip::socket_address& remote);
    bool admitted(const sip::message& m, const sip::transport_context& ctx);
    bool may_leave(std::string_view bytes);

    sip::io_loop& loop_;
    realm_id id_;
    events events_;
    std::vector<closed_fn> closed_;
    tls_contexts tls_contexts_;
    profile_for_source choose_profile_;
    std::string default_profile_;
    std::map<sip::transport_type, sip::socket_address> listening_;
    std::vector<std::pair<sip::transport_type, sip::socket_address>> extra_;
    std::string address_;
    entry_guard& guard_;
    const core_limits* ingress_limits_ = nullptr;
    const core_limits* egress_limits_ = nullptr;
    std::function<void(const sip::socket_address&)> on_refused_;
    limit_counters refused_in_, refused_out_;
    sip_message_counts messages_;
    message_tap* tap_ = nullptr;
    log_limiter refusal_log_;
    sip::transport_layer transports_;
    transports_link own_link_;
    realm_link* link_ = &own_link_;
    egress egress_;
    sip::transaction_layer transactions_;
};

}  // namespace sbc::cp
