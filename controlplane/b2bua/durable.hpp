#pragma once
// An established call as the state store keeps it (issue 15, controlplane/state): its
// `call_data` (both legs' dialogs — Call-IDs, tags, CSeqs, route sets, remote targets, next hops
// — its OSV node by name, the session-timer deadline, the emergency mark and route, the record
// fields) and the dataplane flows of its media as they are installed (keys, ports, peers, SRTP
// keys, cookies). Written when the call is confirmed and erased when it ends; not on every
// transaction in it.
//
// The flows are kept as the dataplane contract's flow_spec bytes, under that contract's version:
// they are exactly what the dataplane holds, and a restarted sbcd owns them again by key and
// cookie without installing them anew (the ROC and replay state stay in the dataplane).
//
// Not kept: transactions in flight, held events, a pending offer (a call is written between
// transactions), the push wait of a call that never got past awaiting_push, the TCP/TLS
// connection of a leg's next hop (it died with the process).

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/b2bua/call.hpp"
#include "controlplane/result.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::cp::b2bua {

// The value's first byte; another version is refused (logged and skipped), never half-read.
inline constexpr uint8_t call_record_version = 1;

struct durable_call {
    call_data data;  // data.node unset: `node` names it
    std::string node;
    std::vector<shm::flow_spec> flows;  // at most one per leg
};

std::string encode_call(const durable_call& c);
// Errors say what is wrong and where; the caller logs and skips the record.
cp::result<durable_call> decode_call(std::string_view value);

// The store's id of a call: its leg a dialog (Call-ID and our tag), stable across restarts,
// unlike the call's number.
std::string call_record_id(const call_data& d);

}  // namespace sbc::cp::b2bua
