#include "controlplane/register_messages.hpp"

#include "sip/builder.hpp"

namespace sbc::cp {

namespace {

std::string from_value(const sip::name_addr& from, std::string_view tag) {
    std::string v;
    if (!from.display_name.empty()) {
        v.append(from.display_name).append(1, ' ');
    }
    v.append(1, '<').append(from.uri_text).append(">;tag=").append(tag);
    return v;
}

std::string to_value(const sip::name_addr& to) {
    std::string v;
    if (!to.display_name.empty()) {
        v.append(to.display_name).append(1, ' ');
    }
    v.append(1, '<').append(to.uri_text).append(1, '>');
    return v;
}

void common_leg(sip::outgoing_message& out, const core_leg& leg, std::string_view max_forwards) {
    out.add("Via", leg.via);
    out.add("Max-Forwards", max_forwards);
}

void leg_tail(sip::outgoing_message& out, const core_leg& leg) {
    out.add("Call-ID", leg.call_id);
    out.add("CSeq", std::to_string(leg.cseq) + " REGISTER");
    if (!leg.contact.empty()) {
        out.add("Contact", leg.contact);
    }
    if (leg.expires) {
        out.add("Expires", std::to_string(*leg.expires));
    }
}

}  // namespace

std::string core_register(const sip::message& client, const core_leg& leg) {
    auto out = sip::outgoing_message::request("REGISTER", client.request_uri_text());
    std::string mf = "70";
    if (const auto& m = client.max_forwards(); m.ok() && *m > 0) {
        mf = std::to_string(std::min<std::uint32_t>(*m - 1, 70));
    }
    common_leg(out, leg, mf);
    out.add("From", from_value(client.from(), leg.from_tag));
    out.add("To", to_value(client.to()));
    leg_tail(out, leg);
    // The digest passes through untouched (the SBC is not trusted at OSV).
    for (const sip::header_field& h : client.headers()) {
        if (h.id == sip::header_id::authorization) {
            out.add("Authorization", h.value);
        } else if (h.id == sip::header_id::proxy_authorization) {
            out.add("Proxy-Authorization", h.value);
        }
    }
    if (!client.user_agent().empty()) {
        out.add("User-Agent", client.user_agent());
    }
    return out.serialize();
}

std::string credential_lines(const sip::message& client) {
    std::string lines;
    for (const sip::header_field& h : client.headers()) {
        if (h.id == sip::header_id::authorization) {
            lines.append("Authorization: ").append(h.value).append("\r\n");
        } else if (h.id == sip::header_id::proxy_authorization) {
            lines.append("Proxy-Authorization: ").append(h.value).append("\r\n");
        }
    }
    return lines;
}

std::string core_unregister(const binding& b, const core_leg& leg) {
    // The digest covers the Request-URI the client used: take it from the credentials.
    std::string ruri;
    if (auto p = b.credentials.find("uri=\""); p != std::string::npos) {
        const auto start = p + 5;
        const auto end = b.credentials.find('"', start);
        if (end != std::string::npos) {
            ruri = b.credentials.substr(start, end - start);
        }
    }
    if (ruri.empty()) {
        const auto at = b.aor.find('@');
        ruri = "sip:" + (at == std::string::npos ? b.aor.substr(4) : b.aor.substr(at + 1));
    }
    auto out = sip::outgoing_message::request("REGISTER", ruri);
    common_leg(out, leg, "70");
    out.add("From", "<" + b.aor + ">;tag=" + std::string(leg.from_tag));
    out.add("To", "<" + b.aor + ">");
    leg_tail(out, leg);
    std::string_view rest = b.credentials;
    while (!rest.empty()) {
        const auto eol = rest.find("\r\n");
        const std::string_view line = rest.substr(0, eol);
        const auto colon = line.find(": ");
        if (colon != std::string_view::npos) {
            out.add(line.substr(0, colon), line.substr(colon + 2));
        }
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    }
    if (!b.user_agent.empty()) {
        out.add("User-Agent", b.user_agent);
    }
    return out.serialize();
}

std::string client_contact(const binding& b, std::uint32_t expires) {
    std::string v = "<" + b.contact + ">;expires=" + std::to_string(expires);
    if (!b.instance.empty()) {
        v.append(";+sip.instance=\"").append(b.instance).append(1, '"');
    }
    if (b.reg_id != 0) {
        v.append(";reg-id=").append(std::to_string(b.reg_id));
    }
    return v;
}

sip::header_list client_headers(const sip::message* osv_response,
                                const std::vector<std::string>& contacts) {
    sip::header_list out;
    for (const std::string& c : contacts) {
        out.emplace_back("Contact", c);
    }
    if (osv_response != nullptr) {
        for (const sip::header_field& h : osv_response->headers()) {
            switch (h.id) {
                case sip::header_id::www_authenticate:
                case sip::header_id::proxy_authenticate:
                case sip::header_id::min_expires:
                case sip::header_id::retry_after:
                case sip::header_id::unsupported:
                case sip::header_id::date:
                    out.emplace_back(sip::header_name(h.id), h.value);
                    break;
                default:
                    break;
            }
        }
    }
    return out;
}

std::string_view token_of(const sip::contact& c) {
    const sip::uri& u = c.addr.uri;
    if (c.star || !u.is_sip() || !u.has_user || !binding_table::looks_like_token(u.user)) {
        return {};
    }
    return u.user;
}

std::string push_feature_caps(const binding& b) {
    // The provider was checked at REGISTER (a token, RFC 8599 §8.7): the one service named.
    return push_query_feature_caps(b.push.provider(), {});
}

}  // namespace sbc::cp
