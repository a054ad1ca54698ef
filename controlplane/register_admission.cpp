// Whether a client's REGISTER reaches the relay: decided here and nowhere else, in this order.
//  1. The DoS guard: while the access realm is under attack and security.dos says not to
//     process initial registrations, a REGISTER from a source without a live binding gets 503
//     with Retry-After (the time left under attack). Counted by the guard, not here: nothing of
//     the registrar's ran.
//  2. What the REGISTER asks for (register_check): 400/416/420/483 with the precise reason;
//     malformed RFC 8599 push parameters 400 and a push service not used here 555, each with
//     a Warning that says what was wrong.
//  3. CSeq order within the Call-ID of the binding it refreshes (RFC 3261 §10.3 step 7): 400.

#include "controlplane/registrar_relay.hpp"

namespace sbc::cp {

void registrar_relay::refuse(const inbound_request& req, register_refusal why,
                             const sip::header_list& extra) {
    ++counters_.refused;
    ++counters_.refusals[static_cast<std::size_t>(why)];
    access_.respond(req.txn, req.msg, refusal_status(why), refusal_reason(why), extra);
}

std::optional<registrar_relay::admitted> registrar_relay::admit(const inbound_request& req) {
    if (auto retry = dos_.refuse_initial_register(req.ctx.remote)) {
        access_.respond(req.txn, req.msg, 503, "Service Unavailable",
                        {{"Retry-After", std::to_string(*retry)}});
        return std::nullopt;
    }
    ++counters_.registers;
    register_check_result checked = check_register(req.msg, push_providers_);
    if (!checked.request) {
        sip::header_list extra;
        if (checked.refusal == register_refusal::bad_extension && !checked.unsupported.empty()) {
            extra.emplace_back("Unsupported", checked.unsupported);
        }
        if (!checked.push_problem.empty()) {
            // The client learns what was wrong (RFC 3261 §20.43); the text is printable ASCII
            // (check_push), quotes and backslashes are kept out of the quoted-string.
            std::string why = checked.push_problem;
            for (char& c : why) {
                c = c == '"' || c == '\\' ? '\'' : c;
            }
            extra.emplace_back("Warning", "399 sbc \"" + why + "\"");
        }
        refuse(req, checked.refusal, extra);
        return std::nullopt;
    }
    admitted a{std::move(*checked.request), nullptr};
    const register_request& r = a.request;
    if (r.intent == register_intent::bind || r.intent == register_intent::unbind) {
        a.existing = bindings_.find(r.aor, r.instance, r.contact_uri);
    }
    if (r.intent == register_intent::bind && a.existing != nullptr &&
        a.existing->call_id == req.msg.call_id() && req.msg.cseq().number <= a.existing->cseq) {
        refuse(req, register_refusal::cseq_out_of_order);
        return std::nullopt;
    }
    return a;
}

}  // namespace sbc::cp
