#include "controlplane/b2bua/dialog_leg.hpp"

#include "sip/ids.hpp"

namespace sbc::cp::b2bua {

std::string party_of(const sip::name_addr& na) {
    std::string out;
    if (!na.display_name.empty()) {
        out.append(na.display_name).append(1, ' ');
    }
    out.append(1, '<').append(na.uri_text).append(1, '>');
    return out;
}

std::string dialog_key(realm_id realm, std::string_view call_id, std::string_view local_tag) {
    std::string k;
    k.reserve(call_id.size() + local_tag.size() + 2);
    k.append(1, realm == realm_id::access ? 'a' : 'c').append(call_id).append(1, '\n');
    k.append(local_tag);
    return k;
}

namespace {

std::string contact_uri_of(const sip::message& m) {
    const auto& c = m.contacts();
    if (!c.ok() || c->empty() || c->front().star) {
        return {};
    }
    return std::string(c->front().addr.uri_text);
}

void learn_allow(dialog_leg& leg, const sip::message& m) {
    const auto& allow = m.allow();
    if (!allow.ok()) {
        return;
    }
    leg.allows_update = false;
    for (auto method : *allow) {
        if (method == "UPDATE") {
            leg.allows_update = true;
        }
    }
}

}  // namespace

void learn_uas(dialog_leg& leg, const sip::message& request) {
    leg.call_id = std::string(request.call_id());
    leg.remote_tag = std::string(request.from().tag());
    leg.remote_party = party_of(request.from());
    leg.local_party = party_of(request.to());
    leg.remote_cseq = request.cseq().number;
    leg.remote_target = contact_uri_of(request);
    leg.route_set.clear();
    if (const auto& rr = request.record_routes(); rr.ok()) {
        for (const auto& r : *rr) {
            leg.route_set.emplace_back(r.text);
        }
    }
    leg.user_agent = std::string(request.user_agent());
    learn_allow(leg, request);
}

void learn_uac(dialog_leg& leg, const sip::message& response, bool creating) {
    if (response.status_code() >= 200 && response.status_code() < 300) {
        learn_allow(leg, response);
    }
    if (creating) {
        leg.remote_tag = std::string(response.to().tag());
        leg.route_set.clear();
        if (const auto& rr = response.record_routes(); rr.ok()) {
            for (auto it = rr->rbegin(); it != rr->rend(); ++it) {
                leg.route_set.emplace_back(it->text);
            }
        }
        if (leg.user_agent.empty()) {
            leg.user_agent = std::string(response.server());
            if (leg.user_agent.empty()) {
                leg.user_agent = std::string(response.user_agent());
            }
        }
    }
    if (auto t = contact_uri_of(response); !t.empty()) {
        leg.remote_target = std::move(t);
    }
}

void refresh_target(dialog_leg& leg, const sip::message& request) {
    if (auto t = contact_uri_of(request); !t.empty()) {
        leg.remote_target = std::move(t);
    }
}

sip::outgoing_message dialog_request(const dialog_leg& leg, const realm_edge& edge,
                                     std::string_view method, uint32_t cseq, bool contact) {
    auto m = sip::outgoing_message::request(method, leg.remote_target);
    m.add("Via", edge.make_via(leg.next_hop.type, sip::make_branch()));
    m.add("Max-Forwards", "70");
    for (const auto& r : leg.route_set) {
        m.add("Route", r);
    }
    std::string from = leg.local_party;
    from.append(";tag=").append(leg.local_tag);
    std::string to = leg.remote_party;
    if (!leg.remote_tag.empty()) {
        to.append(";tag=").append(leg.remote_tag);
    }
    m.add("From", from);
    m.add("To", to);
    m.add("Call-ID", leg.call_id);
    m.add("CSeq", std::to_string(cseq) + " " + std::string(method));
    if (contact) {
        m.add("Contact", leg.contact);
    }
    return m;
}

std::optional<sip::message> reparse(const sip::outgoing_message& m) {
    auto r = sip::parse(m.serialize());
    if (!r) {
        return std::nullopt;
    }
    return std::move(r.value());
}

}  // namespace sbc::cp::b2bua
