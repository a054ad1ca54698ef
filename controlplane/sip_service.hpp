#pragma once
// The SIP side of sbcd, wired from the config: the two realm edges (access: remote subscribers
// over TLS with each subnet's certificate; core: OSV over UDP/TCP), the access realm's DoS
// guard ([security.dos]), the dispatcher, the trunk to OSV, the bindings, the registrar relay
// and the client relay, and their mgmt commands.
//
// E911 (controlplane/e911): the remote endpoints' ports on both realms, their location domains'
// keep-alive, and the provider sources the dispatcher lets in and the DoS guard never lists.
//
// The B2BUA (issue 6) plugs in here: it takes the edges for sending, the dispatcher for its
// routes (access INVITE; route_to_client(INVITE) for calls from OSV; in-dialog requests and
// ACKs of both realms), the trunk for the node of a call (select(binding.node): a client's
// dialogs stay on its registration's node), and the bindings for the client's flow and subnet
// (media profile).

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "controlplane/binding_table.hpp"
#include "controlplane/client_relay.hpp"
#include "controlplane/core_limits.hpp"
#include "controlplane/dos_guard.hpp"
#include "controlplane/e911/e911_service.hpp"
#include "controlplane/osv_trunk.hpp"
#include "controlplane/realm_edge.hpp"
#include "controlplane/registrar_relay.hpp"
#include "controlplane/request_dispatcher.hpp"
#include "controlplane/sip_trace.hpp"
#include "controlplane/subscriber_subnets.hpp"

namespace sbc::cp {

class mgmt_server;

// Where the realms listen; by default what the config says (tests override ports).
struct sip_listen {
    realm_listen access;
    realm_listen core;
    static sip_listen from(const config::appliance& cfg) {
        return {realm_listen::from(cfg.realm.access), realm_listen::from(cfg.realm.core)};
    }
};

class sip_service {
  public:
    sip_service(sip::io_loop& loop, const config::appliance& cfg);
    ~sip_service();
    sip_service(const sip_service&) = delete;
    sip_service& operator=(const sip_service&) = delete;

    // Opens the listeners and starts the trunk keep-alive.
    cp::status start() { return start(sip_listen::from(cfg_)); }
    cp::status start(const sip_listen& where);
    // The same over links instead of sockets (realm_link.hpp; the whole-daemon fuzz target).
    // E911 is not started there: its ports and keep-alives are sockets of their own.
    cp::status start(realm_link& access, realm_link& core, const sip_listen& where);

    // `registrations`, `sip` (counters), `blacklist` and `security`; `status` takes status().
    void register_mgmt(mgmt_server& mgmt);
    nlohmann::json status() const;
    nlohmann::json counters() const;

    realm_edge& access() { return access_; }
    realm_edge& core() { return core_; }
    request_dispatcher& dispatcher() { return dispatcher_; }
    osv_trunk& trunk() { return trunk_; }
    binding_table& bindings() { return bindings_; }
    const binding_table& bindings() const { return bindings_; }
    registrar_relay& registrar() { return registrar_; }
    client_relay& clients() { return clients_; }
    const subscriber_subnets& subnets() const { return subnets_; }
    dos_guard& dos() { return dos_; }
    const sip_trace& trace() const { return trace_; }
    e911::e911_service& e911() { return e911_; }
    entry_guard& guard() { return guard_; }
    const core_limits& limits_toward_core() const { return core_limits_; }

  private:
    cp::result<nlohmann::json> trace_sip(const nlohmann::json& args) const;

    const config::appliance& cfg_;
    entry_guard guard_;  // before the edges: they run every message under it
    core_limits core_limits_;
    subscriber_subnets subnets_;
    dos_guard dos_;    // before the edges: the access transport points at it until it goes
    sip_trace trace_;  // before the edges: both tap into it
    realm_edge access_;
    realm_edge core_;
    osv_trunk trunk_;
    binding_table bindings_;
    request_dispatcher dispatcher_;
    registrar_relay registrar_;
    client_relay clients_;
    e911::e911_service e911_;
};

}  // namespace sbc::cp
