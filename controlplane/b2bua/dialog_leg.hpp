#pragma once
// One side of a B2BUA call: the SIP dialog between the SBC and the peer on that leg (RFC 3261
// §12). The SBC is UAS on the caller's leg and UAC on the callee's leg; each leg has its own
// Call-ID, tags, CSeq space, remote target and route set, and its own next hop (the client's
// flow on the access realm, the OSV node on the core realm) that every request goes to.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/realm_edge.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"
#include "sip/transaction/transaction_types.hpp"

namespace sbc::cp::b2bua {

struct dialog_leg {
    realm_id realm = realm_id::access;
    std::string call_id;
    std::string local_tag;
    std::string remote_tag;
    std::string local_party;    // our From/To on this leg, without tag: "Alice" <sip:alice@x>
    std::string remote_party;   // the peer's
    uint32_t local_cseq = 0;    // last CSeq we sent
    uint32_t remote_cseq = 0;   // last CSeq the peer sent
    std::string remote_target;  // the peer's Contact URI
    std::vector<std::string> route_set;  // Route values for our requests, in order
    sip::transport_target next_hop;      // where every request on this leg goes
    std::string contact;                 // our Contact value on this leg: <sip:...>
    std::string user_agent;              // the peer's User-Agent (or Server)
    std::string remote_address;          // the peer's signalling address (for sbcctl)
    // The peer listed UPDATE in its Allow (or sent none): session refreshes by UPDATE can be
    // relayed to it. baresip, for one, does not take UPDATE.
    bool allows_update = true;
};

// name-addr of a From/To without its header parameters (the tag goes on per leg).
std::string party_of(const sip::name_addr& na);

// The dialog key a request on `realm` carries: Call-ID and the tag that is ours (To tag).
std::string dialog_key(realm_id realm, std::string_view call_id, std::string_view local_tag);

// UAS side from the dialog-creating request (RFC 3261 §12.1.1): Call-ID, the peer's tag and
// Contact, the Record-Route set in order.
void learn_uas(dialog_leg& leg, const sip::message& request);
// UAC side from a dialog-creating response (§12.1.2): the peer's tag and Contact, the
// Record-Route set reversed. Target refresh on later 2xx: Contact only.
void learn_uac(dialog_leg& leg, const sip::message& response, bool creating);
// A target refresh request from the peer (re-INVITE, UPDATE): its Contact.
void refresh_target(dialog_leg& leg, const sip::message& request);

// A request inside the leg's dialog (§12.2.1.1) with a fresh Via branch and CSeq `cseq`.
// `contact`: add our Contact (target refresh requests, RFC 3261 §12.2.1.1 and RFC 3311).
sip::outgoing_message dialog_request(const dialog_leg& leg, const realm_edge& edge,
                                     std::string_view method, uint32_t cseq, bool contact);

// Serializes and parses back (the transaction layer takes a parsed message).
std::optional<sip::message> reparse(const sip::outgoing_message& m);

}  // namespace sbc::cp::b2bua
