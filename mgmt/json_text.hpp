#pragma once
// The one way sbcd and sbcctl turn JSON into text (mgmt answers, call records, sbcctl --json).
//
// Peer bytes reach JSON values as they came off the wire: a User-Agent, a display name, an SDP
// line, a Call-ID. nlohmann::json stores them unchecked and throws type_error 316 at dump time
// on a byte sequence that is not UTF-8 — thrown inside an event-loop callback, that ended sbcd
// (issue 10). Here invalid UTF-8 (0xFF, truncated and overlong sequences, surrogates) becomes
// U+FFFD and control characters are escaped by JSON itself (\r, \u0000), so any string a peer
// sent can be written. controlplane/README.md ("Peer bytes") states the rule; a source check
// (tests/mgmt/json_rule_test.sh) keeps every other dump() out of the tree.

#include <string>

#include <nlohmann/json.hpp>

namespace sbc::mgmt {

// Compact (indent < 0) or indented JSON text; never throws for string contents.
std::string json_text(const nlohmann::json& j, int indent = -1);

}  // namespace sbc::mgmt
