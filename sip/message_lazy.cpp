// Lazily parsed headers: parsed the first time they are asked for, cached in the message's
// allocation (message_storage.cpp).
#include "sip/message.hpp"
#include "sip/message_cache.hpp"
#include "sip/multipart.hpp"
#include "sip/parse_internal.hpp"
#include "sip/scan.hpp"
#include "sip/text.hpp"

namespace sbc::sip {

using detail::message_lazy_cache;
using detail::message_lazy_rest;

namespace {

// A lazy accessor's answer on a message that was not parsed.
template <class T>
const parsed<T>& absent() {
    static const parsed<T> none{};
    return none;
}

// One value from the first header with this id.
template <class T, class F>
const parsed<T>& single(lazy_slot<T>* cached, const message& m, header_id id, F parse_fn) {
    if (cached == nullptr) {
        return absent<T>();
    }
    lazy_slot<T>& slot = *cached;
    if (!slot.done) {
        slot.done = true;
        if (const header_field* h = m.find(id)) {
            auto r = parse_fn(h->value);
            if (r) {
                slot.p.value = std::move(*r);
                slot.p.state = field_state::ok;
            } else {
                slot.p.state = field_state::malformed;
            }
        }
    }
    return slot.p;
}

// Every comma-separated element of every header with this id, in order.
template <class T, class F>
const parsed<std::vector<T>>& list(lazy_slot<std::vector<T>>* cached, const message& m,
                                   header_id id, F parse_fn) {
    if (cached == nullptr) {
        return absent<std::vector<T>>();
    }
    lazy_slot<std::vector<T>>& slot = *cached;
    if (slot.done) {
        return slot.p;
    }
    slot.done = true;
    bool any = false;
    for (const header_field& h : m.headers()) {
        if (h.id != id) {
            continue;
        }
        any = true;
        // Unbalanced quotes or brackets leave an element that fails to parse below.
        for (std::string_view element : comma_list(h.value)) {
            auto r = parse_fn(element);
            if (!r) {
                slot.p.state = field_state::malformed;
                slot.p.value.clear();
                return slot.p;
            }
            slot.p.value.push_back(std::move(*r));
        }
    }
    if (any) {
        slot.p.state = field_state::ok;
    }
    return slot.p;
}

// As list(), parsing each element in place; the elements are views into the message's (padded)
// text.
template <class T>
const parsed<std::vector<T>>& list_into(lazy_slot<std::vector<T>>* cached, const message& m,
                                        header_id id,
                                        bool (*into)(T&, std::string_view, detail::bounds)) {
    if (cached == nullptr) {
        return absent<std::vector<T>>();
    }
    lazy_slot<std::vector<T>>& slot = *cached;
    if (slot.done) {
        return slot.p;
    }
    slot.done = true;
    const header_field* first = m.find(id);
    if (first == nullptr) {
        return slot.p;
    }
    const std::size_t lines = m.count(id);
    std::size_t seen = 0;
    for (const header_field* h = first; seen < lines; ++h) {
        if (h->id != id) {
            continue;
        }
        ++seen;
        // Unbalanced quotes or brackets leave an element that fails to parse below.
        std::string_view rest = h->value;
        std::string_view element;
        while (detail::next_element(rest, element, detail::bounds::padded)) {
            if (!into(slot.p.value.emplace_back(), element, detail::bounds::padded)) {
                slot.p.state = field_state::malformed;
                slot.p.value.clear();
                return slot.p;
            }
        }
    }
    slot.p.state = field_state::ok;
    return slot.p;
}

result<uint32_t> parse_u32(std::string_view v) {
    auto n = parse_uint(trim_lws(v), UINT32_MAX);
    return n ? result<uint32_t>(uint32_t(*n)) : result<uint32_t>(error_code::malformed_header);
}

// RFC 3261 §20.19: an Expires value too large to represent means 2^32-1 seconds.
result<uint32_t> parse_expires_value(std::string_view v) {
    v = trim_lws(v);
    if (v.size() > 10 && !v.empty()) {
        for (char c : v) {
            if (!is_digit(c)) {
                return error_code::malformed_expires;
            }
        }
        return uint32_t(UINT32_MAX);
    }
    auto n = parse_uint(v);
    if (!n) {
        return error_code::malformed_expires;
    }
    return *n > UINT32_MAX ? uint32_t(UINT32_MAX) : uint32_t(*n);
}

result<std::string_view> parse_option_tag(std::string_view v) {
    if (!is_token(v)) {
        return error_code::malformed_header;
    }
    return v;
}

}  // namespace

const parsed<std::vector<via>>& message::vias() const {
    return list_into(slot(&message_lazy_cache::vias), *this, header_id::via,
                     detail::parse_via_into);
}
const parsed<uint32_t>& message::max_forwards() const {
    // RFC 3261 §20.22: 0-255 in practice; any 32-bit value is accepted, the proxy caps it.
    return single(slot(&message_lazy_cache::max_forwards), *this, header_id::max_forwards,
                  parse_u32);
}
const parsed<std::vector<contact>>& message::contacts() const {
    auto* cached = slot(&message_lazy_cache::contacts);
    bool first = cached != nullptr && !cached->done;
    const auto& p = list_into(cached, *this, header_id::contact, detail::parse_contact_into);
    if (first && p.ok() && p.value.size() > 1) {
        // §10.3: "*" is only valid as the single Contact.
        for (const contact& c : p.value) {
            if (c.star) {
                cached->p.state = field_state::malformed;
                cached->p.value.clear();
                break;
            }
        }
    }
    return p;
}
const parsed<std::vector<name_addr>>& message::routes() const {
    return list_into(slot(&message_lazy_cache::routes), *this, header_id::route,
                     detail::parse_name_addr_into);
}
const parsed<std::vector<name_addr>>& message::record_routes() const {
    return list_into(slot(&message_lazy_cache::record_routes), *this, header_id::record_route,
                     detail::parse_name_addr_into);
}
const parsed<std::vector<name_addr>>& message::paths() const {
    return list_into(slot(&message_lazy_cache::paths), *this, header_id::path,
                     detail::parse_name_addr_into);
}
const parsed<uint32_t>& message::expires() const {
    return single(slot(&message_lazy_cache::expires), *this, header_id::expires,
                  parse_expires_value);
}
const parsed<uint32_t>& message::min_expires() const {
    return single(slot(&message_lazy_rest::min_expires), *this, header_id::min_expires, parse_u32);
}
const parsed<media_type>& message::content_type() const {
    return single(slot(&message_lazy_cache::content_type), *this, header_id::content_type,
                  parse_media_type);
}
// Credentials and challenges are one per header line: their params are comma-separated.
namespace {
const parsed<std::vector<auth_value>>& auth_list(lazy_slot<std::vector<auth_value>>* cached,
                                                 const message& m, header_id id) {
    if (cached == nullptr) {
        return absent<std::vector<auth_value>>();
    }
    lazy_slot<std::vector<auth_value>>& slot = *cached;
    if (!slot.done) {
        slot.done = true;
        for (const header_field& h : m.headers()) {
            if (h.id != id) {
                continue;
            }
            auto r = parse_auth(h.value);
            if (!r) {
                slot.p.state = field_state::malformed;
                slot.p.value.clear();
                return slot.p;
            }
            slot.p.value.push_back(*r);
            slot.p.state = field_state::ok;
        }
    }
    return slot.p;
}
}  // namespace
const parsed<std::vector<auth_value>>& message::authorizations() const {
    return auth_list(slot(&message_lazy_rest::authorizations), *this, header_id::authorization);
}
const parsed<std::vector<auth_value>>& message::proxy_authorizations() const {
    return auth_list(slot(&message_lazy_rest::proxy_authorizations), *this,
                     header_id::proxy_authorization);
}
const parsed<std::vector<auth_value>>& message::www_authenticates() const {
    return auth_list(slot(&message_lazy_rest::www_authenticates), *this,
                     header_id::www_authenticate);
}
const parsed<std::vector<auth_value>>& message::proxy_authenticates() const {
    return auth_list(slot(&message_lazy_rest::proxy_authenticates), *this,
                     header_id::proxy_authenticate);
}
std::string_view message::user_agent() const {
    const header_field* h = find(header_id::user_agent);
    return h ? h->value : std::string_view{};
}
std::string_view message::server() const {
    const header_field* h = find(header_id::server);
    return h ? h->value : std::string_view{};
}
const parsed<std::vector<std::string_view>>& message::supported() const {
    return list(slot(&message_lazy_rest::supported), *this, header_id::supported, parse_option_tag);
}
const parsed<std::vector<std::string_view>>& message::require() const {
    return list(slot(&message_lazy_rest::require), *this, header_id::require, parse_option_tag);
}
const parsed<std::vector<std::string_view>>& message::proxy_require() const {
    return list(slot(&message_lazy_rest::proxy_require), *this, header_id::proxy_require,
                parse_option_tag);
}
const parsed<std::vector<std::string_view>>& message::unsupported() const {
    return list(slot(&message_lazy_rest::unsupported), *this, header_id::unsupported,
                parse_option_tag);
}
const parsed<std::vector<std::string_view>>& message::allow() const {
    return list(slot(&message_lazy_rest::allow), *this, header_id::allow, parse_option_tag);
}
bool message::supports(std::string_view option_tag) const {
    const auto& s = supported();
    if (!s.ok()) {
        return false;
    }
    for (std::string_view t : s.value) {
        if (iequals(t, option_tag)) {
            return true;
        }
    }
    return false;
}
const parsed<sip::session_expires>& message::session_expires() const {
    return single(slot(&message_lazy_rest::session_expires), *this, header_id::session_expires,
                  parse_session_expires);
}
const parsed<delta_seconds>& message::min_se() const {
    return single(slot(&message_lazy_rest::min_se), *this, header_id::min_se, parse_delta_seconds);
}
const parsed<name_addr>& message::refer_to() const {
    return single(slot(&message_lazy_rest::refer_to), *this, header_id::refer_to, parse_name_addr);
}
const parsed<name_addr>& message::referred_by() const {
    return single(slot(&message_lazy_rest::referred_by), *this, header_id::referred_by,
                  parse_name_addr);
}
const parsed<std::vector<name_addr>>& message::p_asserted_identities() const {
    return list_into(slot(&message_lazy_rest::pai), *this, header_id::p_asserted_identity,
                     detail::parse_name_addr_into);
}
const parsed<std::vector<name_addr>>& message::p_preferred_identities() const {
    return list_into(slot(&message_lazy_rest::ppi), *this, header_id::p_preferred_identity,
                     detail::parse_name_addr_into);
}
const parsed<std::vector<std::string_view>>& message::privacy() const {
    auto* cached = slot(&message_lazy_rest::privacy);
    if (cached == nullptr) {
        return absent<std::vector<std::string_view>>();
    }
    auto& slot = *cached;
    if (!slot.done) {
        slot.done = true;
        for (const header_field& h : headers()) {
            if (h.id != header_id::privacy) {
                continue;
            }
            slot.p.state = field_state::ok;
            for (std::string_view v : parse_privacy(h.value)) {
                if (!is_token(v)) {
                    slot.p.state = field_state::malformed;
                    slot.p.value.clear();
                    return slot.p;
                }
                slot.p.value.push_back(v);
            }
        }
    }
    return slot.p;
}
const parsed<std::vector<name_addr>>& message::geolocations() const {
    return list_into(slot(&message_lazy_rest::geolocations), *this, header_id::geolocation,
                     detail::parse_name_addr_into);
}
const parsed<std::vector<sip::reason>>& message::reasons() const {
    return list(slot(&message_lazy_rest::reasons), *this, header_id::reason, parse_reason);
}
const parsed<uint32_t>& message::rseq() const {
    return single(slot(&message_lazy_rest::rseq), *this, header_id::rseq, parse_u32);
}
const parsed<sip::rack>& message::rack() const {
    return single(slot(&message_lazy_rest::rack), *this, header_id::rack, parse_rack);
}
const parsed<sip::event>& message::event() const {
    return single(slot(&message_lazy_rest::event), *this, header_id::event, parse_event);
}
const parsed<sip::subscription_state>& message::subscription_state() const {
    return single(slot(&message_lazy_rest::subscription_state), *this,
                  header_id::subscription_state, parse_subscription_state);
}
const parsed<sip::retry_after>& message::retry_after() const {
    return single(slot(&message_lazy_rest::retry_after), *this, header_id::retry_after,
                  parse_retry_after);
}

std::optional<std::string_view> message::sdp_body() const {
    if (s_->body.empty()) {
        return std::nullopt;
    }
    const auto& ct = content_type();
    if (!ct.ok()) {
        return std::nullopt;
    }
    if (ct->is("application", "sdp")) {
        return s_->body;
    }
    if (iequals(ct->type, "multipart")) {
        return find_part(s_->body, ct->boundary(), "application", "sdp");
    }
    return std::nullopt;
}

error_code message::parse_all() const {
    struct check {
        bool malformed;
        error_code code;
    };
    const check checks[] = {
        {vias().malformed(), error_code::malformed_via},
        {max_forwards().malformed(), error_code::malformed_max_forwards},
        {contacts().malformed(), error_code::malformed_contact},
        {routes().malformed(), error_code::malformed_route},
        {record_routes().malformed(), error_code::malformed_route},
        {paths().malformed(), error_code::malformed_route},
        {expires().malformed(), error_code::malformed_expires},
        {min_expires().malformed(), error_code::malformed_expires},
        {content_type().malformed(), error_code::malformed_content_type},
        {authorizations().malformed(), error_code::malformed_authorization},
        {proxy_authorizations().malformed(), error_code::malformed_authorization},
        {www_authenticates().malformed(), error_code::malformed_authorization},
        {proxy_authenticates().malformed(), error_code::malformed_authorization},
        {supported().malformed(), error_code::malformed_header},
        {require().malformed(), error_code::malformed_header},
        {proxy_require().malformed(), error_code::malformed_header},
        {unsupported().malformed(), error_code::malformed_header},
        {allow().malformed(), error_code::malformed_header},
        {session_expires().malformed(), error_code::malformed_header},
        {min_se().malformed(), error_code::malformed_header},
        {refer_to().malformed(), error_code::malformed_header},
        {referred_by().malformed(), error_code::malformed_header},
        {p_asserted_identities().malformed(), error_code::malformed_header},
        {p_preferred_identities().malformed(), error_code::malformed_header},
        {privacy().malformed(), error_code::malformed_header},
        {geolocations().malformed(), error_code::malformed_header},
        {reasons().malformed(), error_code::malformed_header},
        {rseq().malformed(), error_code::malformed_header},
        {rack().malformed(), error_code::malformed_header},
        {event().malformed(), error_code::malformed_header},
        {subscription_state().malformed(), error_code::malformed_header},
        {retry_after().malformed(), error_code::malformed_header},
    };
    for (const check& c : checks) {
        if (c.malformed) {
            return c.code;
        }
    }
    return error_code::none;
}

}  // namespace sbc::sip
