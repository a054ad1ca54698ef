#include "controlplane/b2bua/header_policy.hpp"

#include <array>

#include "sip/text.hpp"

namespace sbc::cp::b2bua {

namespace {

using sip::header_id;

constexpr std::array crossing_ids = {
    header_id::allow,
    header_id::supported,
    header_id::require,
    header_id::unsupported,
    header_id::accept,
    header_id::accept_encoding,
    header_id::accept_language,
    header_id::session_expires,
    header_id::min_se,
    header_id::subject,
    header_id::user_agent,
    header_id::server,
    header_id::organization,
    header_id::privacy,
    header_id::p_asserted_identity,
    header_id::p_preferred_identity,
    header_id::authorization,
    header_id::proxy_authorization,
    header_id::www_authenticate,
    header_id::proxy_authenticate,
    header_id::authentication_info,
    header_id::reason,
    header_id::retry_after,
    header_id::warning,
    header_id::date,
    header_id::timestamp,
    header_id::alert_info,
    header_id::call_info,
    header_id::rseq,
    header_id::event,
    header_id::allow_events,
    header_id::subscription_state,
    header_id::refer_to,
    header_id::referred_by,
    header_id::expires,
    header_id::min_expires,
    header_id::content_disposition,
    header_id::geolocation,
    header_id::geolocation_routing,
    header_id::history_info,
};

// Not in the parser's table; matched by name.
constexpr std::array<std::string_view, 7> crossing_names = {
    "P-Early-Media", "Diversion",        "Priority",     "Refer-Sub",
    "Error-Info",    "Content-Language", "MIME-Version",
};

}  // namespace

bool crosses(const sip::header_field& h) {
    if (h.id != header_id::other) {
        for (header_id id : crossing_ids) {
            if (h.id == id) {
                return true;
            }
        }
        return false;
    }
    for (std::string_view n : crossing_names) {
        if (sip::iequals(h.name, n)) {
            return true;
        }
    }
    return false;
}

void copy_crossing(const sip::message& from, sip::outgoing_message& to) {
    for (const auto& h : from.headers()) {
        if (crosses(h)) {
            const auto canonical = sip::header_name(h.id);
            to.add(canonical.empty() ? h.name : canonical, h.value);
        }
    }
}

std::string crossing_lines(const sip::message& from) {
    std::string out;
    for (const auto& h : from.headers()) {
        if (crosses(h)) {
            const auto canonical = sip::header_name(h.id);
            out.append(canonical.empty() ? h.name : canonical).append(": ").append(h.value);
            out.append("\r\n");
        }
    }
    return out;
}

bool body_is_relayable(const sip::message& invite) {
    if (invite.body().empty()) {
        return true;
    }
    const auto& ct = invite.content_type();
    return ct.ok() && ct->is("application", "sdp");
}

}  // namespace sbc::cp::b2bua
