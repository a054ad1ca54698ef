#pragma once
// Registration bindings of remote subscribers, one per client flow: who (AOR, +sip.instance,
// reg-id), where (the client's Contact and the TLS/TCP connection or UDP address it registered
// from), what (User-Agent, RFC 8599 push parameters), until when (the expiry granted to the
// client, the expiry OSV granted us) and at which OSV node. OSV knows each binding only by its
// flow token: the user part of the Contact the SBC registers on the client's behalf.
//
// Keys: a binding is identified by (AOR, +sip.instance) when the client sends an instance
// (RFC 5626), else by (AOR, Contact URI). Several bindings per AOR are normal (a user's desktop
// and mobile clients). Indices hold views into the binding's own strings; the table owns the
// bindings. Memory per binding is what bench/controlplane measures (target <= 2 KiB).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/osv_trunk.hpp"
#include "controlplane/push_device.hpp"
#include "sip/transport/socket_address.hpp"
#include "sip/transport/timer_wheel.hpp"
#include "sip/transport/transport_types.hpp"

namespace sbc::cp {

struct subscriber_subnet;

enum class binding_state : std::uint8_t {
    pending,  // first REGISTER on its way to OSV: not routable, not listed
    active,   // OSV accepted it
};

struct binding {
    // identity
    std::string token;     // flow token toward OSV (sbcf + 20 base62)
    std::string aor;       // "sip:alice@pbx.local" (the To URI, scheme/user/host)
    std::string instance;  // +sip.instance value with its quotes, or ""
    std::string contact;   // the client's Contact URI (what requests to it are sent to)
    // client side
    std::string user_agent;
    push_device push;     // RFC 8599 pn-* parameters; empty for a client without push
    std::string call_id;  // the client's Call-ID
    std::string
        credentials;  // last Authorization/Proxy-Authorization lines, replayed to de-register
    // core side
    std::string core_call_id;
    std::string core_from_tag;
    // flow
    sip::socket_address remote;
    sip::connection_id connection = 0;  // 0: UDP, or no live flow (push client asleep)
    const subscriber_subnet* subnet = nullptr;
    sip::time_point client_expires_at{};
    sip::time_point osv_refreshed_at{};
    sip::time_point osv_expires_at{};
    sip::timer_id expiry_timer;
    std::uint32_t cseq = 0;       // the client's last CSeq
    std::uint32_t core_cseq = 0;  // ours toward OSV
    std::uint32_t reg_id = 0;     // 0 = none
    std::uint32_t relayed = 0;    // REGISTERs relayed to OSV for this binding
    std::uint32_t answered_locally = 0;
    sip::transport_type transport = sip::transport_type::tls;
    node_index node = 0;
    binding_state state = binding_state::pending;
    bool throttled = false;
    bool outbound = false;  // RFC 5626: the client asked for outbound (reg-id, instance)

    bool live_flow() const { return connection != 0 || transport == sip::transport_type::udp; }
    bool has_push() const { return !push.empty(); }
};

class binding_table {
  public:
    binding_table() = default;
    binding_table(const binding_table&) = delete;
    binding_table& operator=(const binding_table&) = delete;

    // A new pending binding with a fresh token. `id` is the instance, or the Contact URI.
    binding& create(std::string aor, std::string instance, std::string contact);
    // A binding of the sbcd before (issue 15), pending, with its own token; null when the token
    // or the (AOR, instance or Contact) key is taken already.
    binding* adopt(std::string token, std::string aor, std::string instance, std::string contact);
    void erase(binding& b);

    binding* find(std::string_view aor, std::string_view instance, std::string_view contact);
    binding* by_token(std::string_view token);
    std::vector<binding*> by_aor(std::string_view aor);
    std::vector<binding*> on_connection(sip::connection_id id);
    // Moves a binding to another connection (0 = none).
    void set_connection(binding& b, sip::connection_id id);

    // Where the client's flow comes from; keeps the per-source index of active bindings.
    void set_remote(binding& b, const sip::socket_address& remote);

    std::size_t size() const { return by_token_.size(); }
    std::size_t active() const { return active_; }
    void mark_active(binding& b);
    // Whether an active binding's flow comes from the IP of `remote` (port ignored): the DoS
    // guard's "known source".
    bool has_source(const sip::socket_address& remote) const {
        return active_by_source_.count(remote.ip_key()) != 0;
    }
    std::size_t on_node(node_index n) const;

    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (const auto& [k, b] : by_token_) {
            fn(*b);
        }
    }

    // "sbcf" + 20 base62: recognisable in a Request-URI, 119 bits of randomness.
    static std::string make_token();
    static bool looks_like_token(std::string_view user);

  private:
    struct key {
        std::string_view aor;
        std::string_view id;
        bool operator==(const key&) const = default;
    };
    struct key_hash {
        std::size_t operator()(const key& k) const {
            return std::hash<std::string_view>{}(k.aor) * 31 + std::hash<std::string_view>{}(k.id);
        }
    };
    static key key_of(const binding& b) {
        return {b.aor, b.instance.empty() ? std::string_view(b.contact) : b.instance};
    }

    binding& insert(std::string token, std::string aor, std::string instance, std::string contact);

    std::unordered_map<std::string_view, std::unique_ptr<binding>> by_token_;
    std::unordered_map<key, binding*, key_hash> by_key_;
    std::unordered_multimap<std::string_view, binding*> by_aor_;
    std::unordered_multimap<sip::connection_id, binding*> by_connection_;
    void count_source(const binding& b, int delta);

    std::size_t active_ = 0;
    std::unordered_map<std::string, std::size_t> active_by_source_;  // ip_key -> active bindings
};

}  // namespace sbc::cp
