#include "controlplane/register_check.hpp"

#include <cctype>

namespace sbc::cp {

namespace {

struct refusal_row {
    std::string_view name;
    std::uint16_t status;
    std::string_view reason;
};

constexpr refusal_row refusal_rows[] = {
#define SBC_CP_REFUSAL_ROW(name, code, reason) {#name, code, reason},
    SBC_CP_REGISTER_REFUSALS(SBC_CP_REFUSAL_ROW)
#undef SBC_CP_REFUSAL_ROW
};

register_check_result refuse(register_refusal r) {
    register_check_result out;
    out.refusal = r;
    return out;
}

bool option_supported(std::string_view tag) {
    auto eq = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(a[i])) !=
                std::tolower(static_cast<unsigned char>(b[i]))) {
                return false;
            }
        }
        return true;
    };
    return eq(tag, "outbound") || eq(tag, "path");
}

}  // namespace

std::string_view refusal_name(register_refusal r) {
    return refusal_rows[static_cast<std::size_t>(r)].name;
}
std::uint16_t refusal_status(register_refusal r) {
    return refusal_rows[static_cast<std::size_t>(r)].status;
}
std::string_view refusal_reason(register_refusal r) {
    return refusal_rows[static_cast<std::size_t>(r)].reason;
}

std::optional<std::string> canonical_aor(const sip::uri& u) {
    if (!u.is_sip() || u.hp.host.empty()) {
        return std::nullopt;
    }
    std::string aor = "sip:";
    if (u.has_user) {
        aor.append(u.user).append(1, '@');
    }
    for (char c : u.hp.host) {
        aor.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return aor;
}

register_check_result check_register(const sip::message& m,
                                     const std::vector<std::string>& push_providers) {
    if (!m.request_uri().is_sip()) {
        return refuse(register_refusal::unsupported_uri_scheme);
    }
    if (const auto& mf = m.max_forwards(); mf.ok() && *mf == 0) {
        return refuse(register_refusal::too_many_hops);
    }
    if (const auto& req = m.require(); req.malformed()) {
        return refuse(register_refusal::bad_extension);
    } else if (req.ok()) {
        std::string unsupported;
        for (std::string_view tag : *req) {
            if (!option_supported(tag)) {
                unsupported.append(unsupported.empty() ? "" : ", ").append(tag);
            }
        }
        if (!unsupported.empty()) {
            register_check_result out = refuse(register_refusal::bad_extension);
            out.unsupported = std::move(unsupported);
            return out;
        }
    }
    auto aor = canonical_aor(m.to().uri);
    if (!aor || !m.to().uri.has_user) {
        return refuse(register_refusal::bad_to);
    }
    if (m.authorizations().malformed() || m.proxy_authorizations().malformed()) {
        return refuse(register_refusal::bad_authorization);
    }
    const auto& header_expires = m.expires();
    if (header_expires.malformed()) {
        return refuse(register_refusal::bad_expires);
    }
    const auto& contacts = m.contacts();
    if (contacts.malformed()) {
        return refuse(register_refusal::bad_contact);
    }

    register_request r;
    r.aor = std::move(*aor);
    r.user_agent = m.user_agent();
    if (contacts.absent() || contacts->empty()) {
        r.intent = register_intent::query;
        return {r, {}, {}, {}};
    }
    if (contacts->size() > 1) {
        for (const auto& c : *contacts) {
            if (c.star) {
                return refuse(register_refusal::bad_star);
            }
        }
        return refuse(register_refusal::too_many_contacts);
    }
    const sip::contact& c = contacts->front();
    if (c.star) {
        if (!header_expires.ok() || *header_expires != 0) {
            return refuse(register_refusal::bad_star);
        }
        r.intent = register_intent::unbind_all;
        return {r, {}, {}, {}};
    }
    if (!c.addr.uri.is_sip()) {
        return refuse(register_refusal::contact_not_sip);
    }
    // RFC 3261 §10.2.1.1: the Contact's expires parameter wins over the Expires header.
    std::uint32_t expires = default_register_expiry_s;
    if (c.addr.params.has("expires")) {
        auto e = c.expires();
        if (!e) {
            return refuse(register_refusal::bad_expires);
        }
        expires = *e;
    } else if (header_expires.ok()) {
        expires = *header_expires;
    }
    if (c.addr.params.has("reg-id")) {
        auto id = c.reg_id();
        if (!id || *id == 0) {
            return refuse(register_refusal::bad_contact);
        }
        r.reg_id = *id;
    }
    if (expires > absurd_expiry_s) {
        return refuse(register_refusal::absurd_expires);
    }
    r.expires = expires;
    r.intent = expires == 0 ? register_intent::unbind : register_intent::bind;
    r.contact_uri = c.addr.uri_text;
    r.instance = c.instance();
    r.outbound = !r.instance.empty() && r.reg_id != 0 && m.supports("outbound");
    push_check_result push = check_push(c, push_providers);
    if (push.result == push_check::malformed || push.result == push_check::unsupported) {
        register_check_result out =
            refuse(push.result == push_check::malformed ? register_refusal::bad_push
                                                        : register_refusal::push_not_supported);
        out.push_problem = std::move(push.why);
        return out;
    }
    r.push = std::move(push.device);
    if (push.result == push_check::query) {
        r.push_query_caps = push_query_feature_caps(push.query_provider, push_providers);
    }
    return {r, {}, {}, {}};
}

}  // namespace sbc::cp
