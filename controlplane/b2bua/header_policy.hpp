#pragma once
// Which headers a B2BUA relays from one leg to the other. Topology hiding is a whitelist: the
// headers listed here carry end-to-end meaning (capabilities, identity, session timers,
// credentials and challenges, reasons, transfer); everything that names a hop, a dialog or a
// transaction (Via, Route, Record-Route, Contact, Call-ID, CSeq, From/To tags, Max-Forwards) is
// the B2BUA's own on each leg, and unknown headers stay where they were.

#include <string_view>

#include "sip/builder.hpp"
#include "sip/message.hpp"

namespace sbc::cp::b2bua {

bool crosses(const sip::header_field& h);

// Appends the headers of `from` that cross, in their order, to `to`.
void copy_crossing(const sip::message& from, sip::outgoing_message& to);

// "Name: value\r\n" of every crossing header (for edits on a built message).
std::string crossing_lines(const sip::message& from);

// An INVITE's body is an SDP offer (application/sdp) or nothing: that is what the B2BUA
// anchors and rewrites. Any other body (another type, multipart) would leave the SBC without
// its other parts — a silent change — so the INVITE is refused with 415 and the Accept header
// below instead (RFC 3261 §21.4.13).
bool body_is_relayable(const sip::message& invite);
inline constexpr std::string_view accepted_bodies = "application/sdp";

}  // namespace sbc::cp::b2bua
