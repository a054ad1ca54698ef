#pragma once
// The messages of the registration relay. Topology hiding is a whitelist: the core REGISTER is
// built new (our Via, Call-ID, From tag, CSeq and token Contact) and carries over only the
// Request-URI, From/To URIs, the credentials and the User-Agent; a response to the client is
// built from the client's request and carries over only what the client needs from OSV's
// (the challenge, Min-Expires, Retry-After, Unsupported, Date). Nothing with an address of one
// side reaches the other.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/binding_table.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"

namespace sbc::cp {

// Our side of a REGISTER toward OSV.
struct core_leg {
    std::string_view via;  // a whole Via value with a fresh branch
    std::string_view call_id;
    std::string_view from_tag;
    std::uint32_t cseq = 0;
    std::string_view contact;  // "<sip:TOKEN@10.2.0.1:5060;transport=tcp>", "*", or "" (query)
    std::optional<std::uint32_t> expires;
};

// A REGISTER for OSV from the client's `client` request.
std::string core_register(const sip::message& client, const core_leg& leg);
// A de-REGISTER (Expires: 0) for a binding that died, replaying its last credentials.
std::string core_unregister(const binding& b, const core_leg& leg);
// The client's Authorization and Proxy-Authorization header lines, to keep on the binding.
std::string credential_lines(const sip::message& client);

// The Contact value a client sees for one of its AOR's bindings.
std::string client_contact(const binding& b, std::uint32_t expires);

// The headers of our final response to the client beyond RFC 3261 §8.2.6's: `contacts` (client
// Contact values) and the whitelisted headers of OSV's response, if there is one.
sip::header_list client_headers(const sip::message* osv_response,
                                const std::vector<std::string>& contacts);

// RFC 8599 §5.6.1.1, §5.4: the 2xx to a push client's REGISTER says that this SBC will push
// through the client's service (`*;+sip.pns="apns"`); without it the client "MUST NOT assume"
// it will be woken (§4.1.1).
std::string push_feature_caps(const binding& b);

// The flow token of a Contact in OSV's response, if it is one of ours.
std::string_view token_of(const sip::contact& c);

}  // namespace sbc::cp
