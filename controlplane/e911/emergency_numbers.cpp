#include "controlplane/e911/emergency_numbers.hpp"

#include "sip/text.hpp"

namespace sbc::cp::e911 {

std::string_view dialled_number(const sip::uri& u) {
    if (u.scheme == sip::uri_scheme::other || !u.has_user) {
        return {};
    }
    std::string_view user = u.user;
    // RFC 3261 §19.1.6 / RFC 3966: "911;phone-context=+1" dials 911.
    if (const auto semi = user.find(';'); semi != std::string_view::npos) {
        user = user.substr(0, semi);
    }
    return user;
}

emergency_numbers::emergency_numbers(const std::vector<std::string>& patterns) {
    for (const auto& p : patterns) {
        rules_.push_back({p, std::regex(p, std::regex::ECMAScript | std::regex::optimize)});
    }
}

std::optional<std::string> emergency_numbers::match(const sip::uri& request_uri) const {
    // RFC 5031 §4.2: urn:service:sos (and sos.fire, sos.police...) is an emergency call.
    if (request_uri.scheme == sip::uri_scheme::other &&
        sip::iequals(request_uri.scheme_name, "urn")) {
        const std::string_view rest = request_uri.opaque;
        if (rest.size() >= 11 && sip::iequals(rest.substr(0, 11), "service:sos") &&
            (rest.size() == 11 || rest[11] == '.')) {
            return std::string("urn:service:sos");
        }
        return std::nullopt;
    }
    const std::string_view number = dialled_number(request_uri);
    if (number.empty() || number.size() > 64) {
        return std::nullopt;  // no emergency number is that long; regex work stays bounded
    }
    for (const rule& r : rules_) {
        if (std::regex_match(number.begin(), number.end(), r.re)) {
            return r.text;
        }
    }
    return std::nullopt;
}

}  // namespace sbc::cp::e911
