#pragma once
// What a client's REGISTER asks for, checked before anything is relayed or stored: the AOR, the
// one binding (or `*`), its expiry, instance, reg-id, User-Agent and push parameters. Every
// refusal has a precise response and a counter. Messages missing To/From/Call-ID/CSeq never get
// here: the transport's parser answers those 400 and counts them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/push_device.hpp"
#include "sip/message.hpp"

namespace sbc::cp {

// X(name, status, reason phrase)
#define SBC_CP_REGISTER_REFUSALS(X)                                                   \
    X(unsupported_uri_scheme, 416, "Unsupported URI Scheme")                          \
    X(too_many_hops, 483, "Too Many Hops")                                            \
    X(bad_extension, 420, "Bad Extension")                                            \
    X(bad_to, 400, "Bad Request (To is not a SIP address-of-record)")                 \
    X(bad_contact, 400, "Bad Request (malformed Contact)")                            \
    X(contact_not_sip, 400, "Bad Request (Contact is not a SIP URI)")                 \
    X(too_many_contacts, 400, "Bad Request (more than one Contact per REGISTER)")     \
    X(bad_star, 400, "Bad Request (Contact * needs Expires: 0 and no other Contact)") \
    X(bad_expires, 400, "Bad Request (malformed Expires)")                            \
    X(absurd_expires, 400, "Bad Request (absurd Expires: over 2^31-1 seconds)")       \
    X(cseq_out_of_order, 400, "Bad Request (CSeq out of order)")                      \
    X(bad_authorization, 400, "Bad Request (malformed Authorization)")                \
    X(bad_push, 400, "Bad Request (malformed pn-* push parameters)")                  \
    X(push_not_supported, 555, "Push Notification Service Not Supported")

enum class register_refusal : std::uint8_t {
#define SBC_CP_REFUSAL_ENUM(name, code, reason) name,
    SBC_CP_REGISTER_REFUSALS(SBC_CP_REFUSAL_ENUM)
#undef SBC_CP_REFUSAL_ENUM
        count_
};
std::string_view refusal_name(register_refusal r);
std::uint16_t refusal_status(register_refusal r);
std::string_view refusal_reason(register_refusal r);

// RFC 3261 §10.2.1.1: without Expires the registrar picks; 3600 s is what OSV does.
inline constexpr std::uint32_t default_register_expiry_s = 3600;
// Above this an expiry is absurd (68 years; the parser clamps values beyond 2^32-1 to 2^32-1,
// RFC 3261 §20.19) and refused. Anything up to it is capped at max_registration_expiry_s.
inline constexpr std::uint32_t absurd_expiry_s = 0x7fffffff;

enum class register_intent : std::uint8_t {
    bind,        // add or refresh one binding
    unbind,      // remove one binding (expires 0)
    unbind_all,  // Contact: * with Expires: 0
    query,       // no Contact: list the bindings
};

struct register_request {
    register_intent intent = register_intent::bind;
    std::string aor;               // "sip:user@host" (host lower-cased)
    std::string_view contact_uri;  // inside <>, as written
    std::string_view instance;     // +sip.instance, quotes removed: "<urn:uuid:...>"
    std::uint32_t reg_id = 0;      // 0 = none
    std::uint32_t expires = 0;     // what the client asked for (capping is the throttle's)
    std::string_view user_agent;
    push_device push;       // RFC 8599 pn-* parameters, checked; empty for non-push clients
    bool outbound = false;  // RFC 5626: instance + reg-id + Supported: outbound
    // RFC 8599 push query (pn-provider without pn-prid): the Feature-Caps value its 2xx carries,
    // naming the service asked about or, for an empty pn-provider, every service this SBC
    // pushes through; empty when not a query or push is disabled.
    std::string push_query_caps;
};

struct register_check_result {
    std::optional<register_request> request;
    register_refusal refusal = register_refusal::bad_contact;  // when !request
    std::string unsupported;   // 420: the option tags we do not support
    std::string push_problem;  // bad_push / push_not_supported: what was wrong
};

// Option tags a client may Require of us.
inline constexpr std::string_view supported_options = "outbound, path";

// `push_providers`: the push services this SBC pushes through ([push] providers, empty when
// push is disabled); a Contact naming another gets 555 (RFC 8599 §8.1, §5.6.1.1).
register_check_result check_register(const sip::message& m,
                                     const std::vector<std::string>& push_providers);

// "sip:user@host" for a SIP/SIPS URI (nullopt for other schemes or without a host).
std::optional<std::string> canonical_aor(const sip::uri& u);

}  // namespace sbc::cp
