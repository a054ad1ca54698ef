#pragma once
// Why a call goes where it goes: every decision about a new call's route is made here, and the
// answer carries its reasons (kept with the call, shown by `sbcctl calls --detail`).
//
//  * Admission: Max-Forwards (483 at 0), the session limit (503 + calls.retry_after_s).
//  * The callee's leg: a softphone's call goes to the OSV node the trunk selects — the node of
//    the caller's registration when it has one, so a user's dialogs stay on one node (clustered
//    OSV); a call from OSV to a flow token goes down that client's live connection (480 without
//    one, unless it is a push client: then the call waits for it, guide 7.6).
//  * Media profiles: an access leg by the client's User-Agent, then its remote-subscriber subnet,
//    then the realm's; a core leg by the realm's (controlplane/media/profile_selector).
//
//  * An emergency call (an INVITE from OSV on a remote endpoint's core_realm_port, guide
//    12.2.1) goes to the endpoint's first location domain in location_domains::order(), with
//    the endpoint's media profile on the provider's leg. It is admitted over calls.max_sessions
//    (the policy: the limit does not apply to it; it takes no other call's place) and never
//    refused for health; only when no domain resolved at all is it refused (503, loudly).
//
//  * A softphone's call to an emergency number of its realm ([realm.access] emergency_numbers,
//    911 and 933 by default; guide 12.1.2) is call_kind::emergency_from_access: it goes to OSV
//    like any call (OSV routes it back to a remote endpoint's core_realm_port) and is admitted
//    over calls.max_sessions too. The bound: at the limit, a source with
//    emergency_calls_per_source_over_limit emergency calls in progress gets 503, so one
//    internet host dialling 911 in a loop cannot take every media port; several people behind
//    one office NAT calling at once still get through.
//
// New kinds of call (a call held for a push) are new cases here, with their own admission, next
// hop and profiles.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "controlplane/b2bua/b2bua_counters.hpp"
#include "controlplane/b2bua/call.hpp"
#include "controlplane/request_dispatcher.hpp"

namespace sbc::cp::b2bua {

// At calls.max_sessions, the emergency calls a source may have in progress before its next
// one is refused (see above).
inline constexpr std::size_t emergency_calls_per_source_over_limit = 8;

struct route {
    call_kind kind = call_kind::from_access;
    realm_id caller_realm = realm_id::access;
    realm_id callee_realm = realm_id::core;
    sip::transport_target next_hop;  // where leg b's requests go
    std::optional<node_index> node;  // the OSV node on the core leg
    std::string remote_target;       // leg b's Request-URI
    std::string callee_user_agent;   // known in advance for a registered client
    uint32_t max_forwards = 70;      // for leg b's INVITE
    media::leg_setup caller_media, callee_media;
    std::optional<emergency_route> emergency;  // call_kind::emergency
    std::string why;  // "OSV node osv1 (the node of the caller's registration)"
    // The callee is a push client without a live connection: hold the call and push
    // (guide 7.6); next_hop is where the client was, until its re-REGISTER says where it is.
    bool wait_for_push = false;
};

// Why a call is not taken: answered with this status, reason and headers, and counted in
// `counter` (a b2bua counter) or by the dispatcher (`dispatch`).
struct refusal {
    uint16_t code = 500;
    std::string reason;
    sip::header_list headers;
    uint64_t b2bua_counters::*counter = nullptr;
    std::optional<dispatch_refusal> dispatch;
};

class call_router {
  public:
    call_router(sip_service& sip, media::media_manager& media, const config::appliance& cfg)
        : sip_(sip), media_(media), cfg_(cfg) {}

    // `client`: the binding a core INVITE's flow token names (a call from OSV), else nullptr.
    // `retry_after_s` goes with a 503 for the session limit.
    std::variant<route, refusal> decide(const inbound_request& req, binding* client,
                                        uint32_t retry_after_s) const;

  private:
    media::leg_setup media_for(realm_id r, const inbound_request& req, const binding* client,
                               bool caller) const;
    std::variant<route, refusal> emergency(const inbound_request& req, std::size_t endpoint,
                                           route r) const;
    // A softphone's emergency call at calls.max_sessions: admitted (counted), or the 503 for a
    // source over emergency_calls_per_source_over_limit.
    std::optional<refusal> over_session_limit(const inbound_request& req,
                                              const std::string& dialled,
                                              uint32_t retry_after_s) const;

    sip_service& sip_;
    media::media_manager& media_;
    const config::appliance& cfg_;
};

}  // namespace sbc::cp::b2bua
