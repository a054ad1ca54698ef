#include "controlplane/e911/ssp_policy.hpp"

#include "sip/headers.hpp"
#include "sip/ids.hpp"
#include "sip/multipart.hpp"
#include "sip/text.hpp"

namespace sbc::cp::e911 {

namespace {

// A part header's value ("" when absent); lines are "Name: value".
std::string part_header(std::string_view headers, std::string_view name) {
    while (!headers.empty()) {
        const std::size_t nl = headers.find('\n');
        std::string_view line = headers.substr(0, nl);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        const std::size_t colon = line.find(':');
        if (colon != std::string_view::npos &&
            sip::iequals(sip::trim_lws(line.substr(0, colon)), name)) {
            return std::string(sip::trim_lws(line.substr(colon + 1)));
        }
        if (nl == std::string_view::npos) {
            break;
        }
        headers.remove_prefix(nl + 1);
    }
    return {};
}

// Values fit for a header line: no control characters (a part's headers are body bytes, not
// checked by the SIP parser).
bool clean(std::string_view v) {
    for (char c : v) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

constexpr std::size_t max_location_parts = 4;

}  // namespace

std::vector<location_part> location_parts(const sip::message& m) {
    std::vector<location_part> out;
    const auto& ct = m.content_type();
    if (!ct.ok() || !sip::iequals(ct->type, "multipart")) {
        return out;
    }
    auto parts = sip::parse_multipart(m.body(), ct->boundary());
    if (!parts) {
        return out;
    }
    for (const sip::mime_part& p : *parts) {
        auto type = sip::parse_media_type(p.content_type);
        if (!type || !type->is("application", "pidf+xml")) {
            continue;
        }
        location_part lp;
        lp.content_type = std::string(p.content_type);
        lp.content_id = part_header(p.headers, "Content-ID");
        if (!clean(lp.content_type) || !clean(lp.content_id)) {
            continue;
        }
        lp.body = std::string(p.body);
        out.push_back(std::move(lp));
        if (out.size() == max_location_parts) {
            break;
        }
    }
    return out;
}

request_body body_with_location(std::string_view sdp, const std::vector<location_part>& parts) {
    if (parts.empty()) {
        return {"application/sdp", std::string(sdp)};
    }
    // RFC 2046 §5.1.1: a boundary that occurs in no part.
    std::string boundary = "sbc-" + sip::make_tag();
    request_body out;
    out.content_type = "multipart/mixed;boundary=" + boundary;
    auto part = [&](std::string_view type, std::string_view id, std::string_view body) {
        out.body.append("--").append(boundary).append("\r\nContent-Type: ").append(type);
        out.body.append("\r\n");
        if (!id.empty()) {
            out.body.append("Content-ID: ").append(id).append("\r\n");
        }
        out.body.append("\r\n").append(body).append("\r\n");
    };
    part("application/sdp", {}, sdp);
    for (const location_part& p : parts) {
        part(p.content_type, p.content_id, p.body);
    }
    out.body.append("--").append(boundary).append("--\r\n");
    return out;
}

void apply_ssp_profile(const config::ssp_profile& profile, const sip::message& in,
                       sip::outgoing_message& out) {
    if (!profile.add_p_asserted_identity) {
        out.remove("P-Asserted-Identity");
    } else if (in.find(sip::header_id::p_asserted_identity) == nullptr) {
        // RFC 3325 §9.1: the identity the trust domain asserts; OSV's From is the caller's
        // callback number when OSV asserted nothing.
        const auto& from = in.from();
        std::string value;
        if (!from.display_name.empty()) {
            value.append(from.display_name).append(1, ' ');
        }
        value.append(1, '<').append(from.uri_text).append(1, '>');
        out.add("P-Asserted-Identity", value);
    }
    if (profile.privacy != config::privacy_mode::none) {
        std::vector<std::string> values;
        if (const auto& p = in.privacy(); p.ok()) {
            for (std::string_view v : *p) {
                if (!sip::iequals(v, "none")) {
                    values.emplace_back(v);
                }
            }
        }
        const std::string mine(config::to_string(profile.privacy));
        bool present = false;
        for (const auto& v : values) {
            present = present || sip::iequals(v, mine);
        }
        if (!present) {
            values.push_back(mine);
        }
        std::string joined;
        for (const auto& v : values) {
            joined.append(joined.empty() ? "" : ";").append(v);
        }
        out.remove("Privacy");
        out.add("Privacy", joined);
    }
    if (!profile.geolocation_passthrough) {
        out.remove("Geolocation");
        out.remove("Geolocation-Routing");
        out.remove("Geolocation-Error");
    }
}

}  // namespace sbc::cp::e911
