#pragma once
// What an emergency call carries to the E911 provider besides its dialog: the SSP profile's
// "Privacy and Complementary Flags" (guide 12.1.2.1) and the caller's location.
//
//  * P-Asserted-Identity (RFC 3325 §9.1): with add_p_asserted_identity the provider gets the
//    callback number, OSV's P-Asserted-Identity, or the caller's From when OSV sent none;
//    without it none is sent.
//  * Privacy (RFC 3323 §4.2): `privacy = none` relays OSV's; id/header/user add that value
//    (a caller's `none` is replaced).
//  * Location (RFC 6442): Geolocation and Geolocation-Routing headers and the location parts of
//    the body (application/pidf+xml, RFC 4119) cross when geolocation_passthrough is set, and are
//    removed otherwise. The emergency call from a softphone to OSV always carries them on.

#include <string>
#include <string_view>
#include <vector>

#include "config/appliance.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"

namespace sbc::cp::e911 {

// One location part of a body, as it is relayed: its Content-Type, Content-ID and body.
struct location_part {
    std::string content_type;
    std::string content_id;  // "<target123@pbx.example.com>", "" when it had none
    std::string body;
};

// The location parts of `m`'s body (multipart/mixed with application/pidf+xml parts); none when
// the body is SDP alone or unreadable. At most 4 parts, nested multiparts not followed.
std::vector<location_part> location_parts(const sip::message& m);

// A body of `sdp` and `parts`: application/sdp alone when there are no parts, else
// multipart/mixed (RFC 5621 §3.1) with the SDP first.
struct request_body {
    std::string content_type;
    std::string body;
};
request_body body_with_location(std::string_view sdp, const std::vector<location_part>& parts);

// Applies `profile` to the provider's INVITE `out`, whose crossing headers (header_policy) are
// already in; `in` is OSV's INVITE.
void apply_ssp_profile(const config::ssp_profile& profile, const sip::message& in,
                       sip::outgoing_message& out);

}  // namespace sbc::cp::e911
