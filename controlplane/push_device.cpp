#include "controlplane/push_device.hpp"

#include <array>
#include <cctype>

#include "sip/text.hpp"

namespace sbc::cp {

namespace {

constexpr std::array<std::string_view, 3> pn_names{"pn-provider", "pn-prid", "pn-param"};

// RFC 3261 §25.1 paramchar = param-unreserved / unreserved / escaped.
bool paramchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("[]/:&+$-_.!~*'()").find(c) != std::string_view::npos;
}

// %-decodes a pvalue (RFC 3261 §25.1: paramchar or a %HH escape); nullopt when a character
// or an escape is broken, the value is too long, or a decoded byte is not printable ASCII.
std::optional<std::string> decode(std::string_view v, std::size_t max) {
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%') {
            if (i + 2 >= v.size() || !std::isxdigit(static_cast<unsigned char>(v[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
                return std::nullopt;
            }
            i += 2;
        } else if (!paramchar(v[i])) {
            return std::nullopt;
        }
    }
    std::string out = sip::unescape(v);
    if (out.size() > max) {
        return std::nullopt;
    }
    for (char c : out) {
        if (c <= ' ' || c > '~') {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace

push_device::push_device(std::string_view provider, std::string_view prid, std::string_view param)
    : provider_(static_cast<std::uint16_t>(provider.size())),
      prid_(static_cast<std::uint16_t>(prid.size())) {
    text_.reserve(provider.size() + prid.size() + param.size() + 2);
    text_.append(provider).append(1, '\n').append(prid).append(1, '\n').append(param);
}

std::string push_device::summary() const {
    if (empty()) {
        return "-";
    }
    std::string out(provider());
    out.append(" ").append(prid().substr(0, 8));
    if (prid().size() > 8) {
        out.append("…");
    }
    return out;
}

push_check_result check_push(const sip::contact& c, const std::vector<std::string>& providers) {
    push_check_result out;
    std::array<std::optional<std::string_view>, 3> raw;
    auto fail = [&out](std::string why) {
        out.result = push_check::malformed;
        out.why = std::move(why);
        return out;
    };
    // Each pn-* once, in the URI or (fallback) in the header parameters, never in both.
    for (const sip::param_list* list : {&c.addr.uri.params, &c.addr.params}) {
        for (const sip::param& p : *list) {
            for (std::size_t i = 0; i < pn_names.size(); ++i) {
                if (!sip::iequals(p.name, pn_names[i])) {
                    continue;
                }
                if (raw[i]) {
                    return fail(std::string(pn_names[i]) + " given twice");
                }
                std::string_view v = p.value;
                if (list == &c.addr.params && v.size() >= 2 && v.front() == '"' &&
                    v.back() == '"') {
                    v = v.substr(1, v.size() - 2);
                }
                // RFC 8599 §8.7: pn-prid and pn-param always carry a value; pn-provider may
                // be bare (a query for every service, §4.1.5).
                if (i != 0 && (!p.has_value || v.empty())) {
                    return fail(std::string(pn_names[i]) + " without a value");
                }
                raw[i] = p.has_value ? v : std::string_view();
            }
        }
    }
    if (!raw[0]) {
        // RFC 8599 §5.6.1: without pn-provider the push procedures do not apply and the
        // REGISTER is an ordinary one (the SBC's own Contact toward OSV carries none of it).
        return out;
    }
    std::optional<std::string> provider = std::string();
    if (!raw[0]->empty()) {
        provider = decode(*raw[0], max_pn_provider_bytes);
        if (!provider) {
            return fail("pn-provider is not a push service name");
        }
        for (char& ch : *provider) {
            ch = sip::ascii_lower(ch);
        }
    }
    bool known = false;
    for (const auto& p : providers) {
        known = known || p == *provider;
    }
    if (!raw[1]) {
        // RFC 8599 §4.1.5, §5.6.1.2: pn-provider without pn-prid asks which services the
        // network supports; it requests no pushes. A named service we know nothing of gets
        // 555, which §5.6.1.2 allows because the SBC knows from its configuration that no
        // proxy behind it (OSV) pushes.
        if (!provider->empty() && !known) {
            out.result = push_check::unsupported;
            out.why = "pn-provider '" + *provider + "' is not a push service of this SBC";
            return out;
        }
        out.result = push_check::query;
        out.query_provider = *provider;
        return out;
    }
    if (provider->empty()) {
        // RFC 8599 §4.1.1: a request for pushes names its service.
        return fail("pn-prid with an empty pn-provider");
    }
    auto prid = decode(*raw[1], max_pn_prid_bytes);
    if (!prid) {
        return fail("pn-prid is malformed or longer than " + std::to_string(max_pn_prid_bytes) +
                    " bytes");
    }
    std::optional<std::string> param = std::string();
    if (raw[2]) {
        param = decode(*raw[2], max_pn_param_bytes);
        if (!param) {
            return fail("pn-param is malformed or longer than " +
                        std::to_string(max_pn_param_bytes) + " bytes");
        }
    }
    out.device = push_device(*provider, *prid, *param);
    if (!known) {
        // RFC 8599 §5.6.1.1: a proxy that knows by configuration that nothing between it and
        // the registrar supports the service may answer 555 (§8.1) instead of forwarding.
        out.result = push_check::unsupported;
        out.why = "pn-provider '" + *provider + "' is not a push service of this SBC";
        return out;
    }
    out.result = push_check::ok;
    return out;
}

std::string push_query_feature_caps(std::string_view asked,
                                    const std::vector<std::string>& providers) {
    // Services are tokens (checked at REGISTER, or from the validated config): no quoting.
    std::string list(asked);
    if (list.empty()) {
        for (const auto& p : providers) {
            list.append(list.empty() ? "" : ",").append(p);
        }
    }
    return list.empty() ? std::string() : "*;+sip.pns=\"" + list + "\"";
}

}  // namespace sbc::cp
