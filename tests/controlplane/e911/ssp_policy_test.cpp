// The SSP profile's flags on the provider's INVITE (guide 12.1.2.1): P-Asserted-Identity per
// RFC 3325 §9.1, Privacy per RFC 3323 §4.2, location (Geolocation headers, PIDF-LO parts) per
// RFC 6442, and a body that keeps the location parts the way RFC 5621 lays them out.
#include <gtest/gtest.h>

#include "controlplane/e911/ssp_policy.hpp"
#include "sip/multipart.hpp"
#include "sip/text.hpp"

namespace sbc::cp::e911 {
namespace {

const std::string pidf =
    "<?xml version=\"1.0\"?>\r\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
    "entity=\"pres:alice@pbx.local\"><tuple id=\"t1\"/></presence>";
const std::string sdp =
    "v=0\r\no=- 1 1 IN IP4 10.2.0.1\r\ns=-\r\nc=IN IP4 10.2.0.1\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n";

// OSV's INVITE to the core_realm_port, with `extra` header lines and `body` of `type`.
sip::message invite(std::string_view extra, std::string_view type, std::string_view body) {
    std::string m =
        "INVITE sip:933@10.2.0.1:5070;transport=tcp SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 10.2.0.10;branch=z9hG4bK1\r\n"
        "Max-Forwards: 69\r\n"
        "From: \"Alice\" <sip:+15551230001@pbx.local>;tag=a\r\n"
        "To: <sip:933@10.2.0.1>\r\n"
        "Call-ID: e1@osv\r\nCSeq: 1 INVITE\r\n"
        "Contact: <sip:osv@10.2.0.10;transport=tcp>\r\n";
    m.append(extra);
    m.append("Content-Type: ").append(type).append("\r\n");
    m.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
    m.append(body);
    auto parsed = sip::parse(m);
    EXPECT_TRUE(parsed.ok()) << m;
    return std::move(parsed.value());
}

// The provider's INVITE as the B2BUA builds it: the crossing headers copied from `in`.
sip::outgoing_message provider_invite(const sip::message& in) {
    auto out = sip::outgoing_message::request("INVITE", "sip:933@10.1.0.10:5060");
    for (std::string_view h :
         {"P-Asserted-Identity", "Privacy", "Geolocation", "Geolocation-Routing"}) {
        for (const auto& f : in.headers()) {
            if (sip::iequals(f.name, h)) {
                out.add(h, f.value);
            }
        }
    }
    return out;
}

std::vector<std::string> values(const sip::outgoing_message& m, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [n, v] : m.headers()) {
        if (sip::iequals(n, name)) {
            out.push_back(v);
        }
    }
    return out;
}

config::ssp_profile profile(config::privacy_mode privacy, bool pai, bool geo) {
    config::ssp_profile p;
    p.name = "RedSky";
    p.privacy = privacy;
    p.add_p_asserted_identity = pai;
    p.geolocation_passthrough = geo;
    return p;
}

TEST(SspPolicy, OsvsAssertedIdentityCrossesAndTheFromIsTheFallback) {
    const auto with =
        invite("P-Asserted-Identity: <sip:+15559990000@pbx.local>\r\n", "application/sdp", sdp);
    auto out = provider_invite(with);
    apply_ssp_profile(profile(config::privacy_mode::none, true, true), with, out);
    EXPECT_EQ(values(out, "P-Asserted-Identity"),
              std::vector<std::string>{"<sip:+15559990000@pbx.local>"});

    // OSV asserted nothing: the caller's From is the callback number (RFC 3325 §9.1).
    const auto without = invite("", "application/sdp", sdp);
    auto out2 = provider_invite(without);
    apply_ssp_profile(profile(config::privacy_mode::none, true, true), without, out2);
    EXPECT_EQ(values(out2, "P-Asserted-Identity"),
              std::vector<std::string>{"\"Alice\" <sip:+15551230001@pbx.local>"});
}

TEST(SspPolicy, WithoutTheFlagNoIdentityIsAsserted) {
    const auto in =
        invite("P-Asserted-Identity: <sip:+15559990000@pbx.local>\r\n", "application/sdp", sdp);
    auto out = provider_invite(in);
    apply_ssp_profile(profile(config::privacy_mode::none, false, true), in, out);
    EXPECT_TRUE(values(out, "P-Asserted-Identity").empty());
}

TEST(SspPolicy, PrivacyNoneRelaysOsvsAndAModeIsAddedOnce) {
    const auto in = invite("Privacy: header\r\n", "application/sdp", sdp);
    auto relayed = provider_invite(in);
    apply_ssp_profile(profile(config::privacy_mode::none, true, true), in, relayed);
    EXPECT_EQ(values(relayed, "Privacy"), std::vector<std::string>{"header"});

    auto added = provider_invite(in);
    apply_ssp_profile(profile(config::privacy_mode::id, true, true), in, added);
    EXPECT_EQ(values(added, "Privacy"), std::vector<std::string>{"header;id"});

    auto same = provider_invite(in);
    apply_ssp_profile(profile(config::privacy_mode::header, true, true), in, same);
    EXPECT_EQ(values(same, "Privacy"), std::vector<std::string>{"header"});
}

TEST(SspPolicy, ACallersPrivacyNoneIsReplacedByTheProfilesValue) {
    // RFC 3323 §4.2: "none" cannot be combined with another value.
    const auto in = invite("Privacy: none\r\n", "application/sdp", sdp);
    auto out = provider_invite(in);
    apply_ssp_profile(profile(config::privacy_mode::user, true, true), in, out);
    EXPECT_EQ(values(out, "Privacy"), std::vector<std::string>{"user"});
}

TEST(SspPolicy, GeolocationHeadersCrossOnlyWithPassthrough) {
    const std::string geo =
        "Geolocation: <cid:target123@pbx.local>\r\n"
        "Geolocation-Routing: yes\r\n";
    const auto in = invite(geo, "application/sdp", sdp);
    auto kept = provider_invite(in);
    apply_ssp_profile(profile(config::privacy_mode::none, true, true), in, kept);
    EXPECT_EQ(values(kept, "Geolocation"), std::vector<std::string>{"<cid:target123@pbx.local>"});
    EXPECT_EQ(values(kept, "Geolocation-Routing"), std::vector<std::string>{"yes"});

    auto removed = provider_invite(in);
    apply_ssp_profile(profile(config::privacy_mode::none, true, false), in, removed);
    EXPECT_TRUE(values(removed, "Geolocation").empty());
    EXPECT_TRUE(values(removed, "Geolocation-Routing").empty());
}

std::string multipart(std::string_view boundary, std::string_view location_headers) {
    std::string b;
    b.append("--").append(boundary).append("\r\nContent-Type: application/sdp\r\n\r\n");
    b.append(sdp).append("\r\n--").append(boundary).append("\r\n");
    b.append(location_headers).append("\r\n").append(pidf).append("\r\n--");
    b.append(boundary).append("--\r\n");
    return b;
}

TEST(SspPolicy, PidfLoPartsAreFoundAndRebuiltAroundTheNewSdp) {
    const auto in =
        invite("Geolocation: <cid:target123@pbx.local>\r\n", "multipart/mixed;boundary=osv-b",
               multipart("osv-b",
                         "Content-Type: application/pidf+xml\r\n"
                         "Content-ID: <target123@pbx.local>\r\n"));
    const auto parts = location_parts(in);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].content_type, "application/pidf+xml");
    EXPECT_EQ(parts[0].content_id, "<target123@pbx.local>");
    EXPECT_EQ(parts[0].body, pidf);

    const std::string new_sdp = "v=0\r\ns=provider leg\r\n";
    const auto body = body_with_location(new_sdp, parts);
    ASSERT_EQ(body.content_type.rfind("multipart/mixed;boundary=", 0), 0u) << body.content_type;
    const std::string boundary = body.content_type.substr(25);
    auto rebuilt = sip::parse_multipart(body.body, boundary);
    ASSERT_TRUE(rebuilt.ok()) << body.body;
    ASSERT_EQ(rebuilt->size(), 2u);
    EXPECT_EQ((*rebuilt)[0].content_type, "application/sdp");  // RFC 5621 §3.1: SDP first
    EXPECT_EQ((*rebuilt)[0].body, new_sdp);
    EXPECT_EQ((*rebuilt)[1].content_type, "application/pidf+xml");
    EXPECT_EQ((*rebuilt)[1].body, pidf);
    EXPECT_NE((*rebuilt)[1].headers.find("Content-ID: <target123@pbx.local>"),
              std::string_view::npos);
}

TEST(SspPolicy, WithoutLocationPartsTheBodyIsTheSdpAlone) {
    const auto plain = invite("", "application/sdp", sdp);
    EXPECT_TRUE(location_parts(plain).empty());
    const auto body = body_with_location(sdp, {});
    EXPECT_EQ(body.content_type, "application/sdp");
    EXPECT_EQ(body.body, sdp);
}

TEST(SspPolicy, HostilePartsAreDroppedNotRelayed) {
    // A Content-ID with a bare CR would become a header line of our own body: dropped.
    const auto bare_cr = invite("", "multipart/mixed;boundary=osv-b",
                                multipart("osv-b",
                                          "Content-Type: application/pidf+xml\r\n"
                                          "Content-ID: <a\rInjected: x>\r\n"));
    EXPECT_TRUE(location_parts(bare_cr).empty());
    // Truncated multipart (no closing delimiter): nothing, not a partial part.
    std::string cut = multipart("osv-b", "Content-Type: application/pidf+xml\r\n");
    cut.resize(cut.size() - 12);
    const auto truncated = invite("", "multipart/mixed;boundary=osv-b", cut);
    EXPECT_TRUE(location_parts(truncated).empty());
    // More than 4 location parts: 4 cross.
    std::string many = "--osv-b\r\nContent-Type: application/sdp\r\n\r\n" + sdp + "\r\n";
    for (int i = 0; i < 6; ++i) {
        many += "--osv-b\r\nContent-Type: application/pidf+xml\r\n\r\n" + pidf + "\r\n";
    }
    many += "--osv-b--\r\n";
    const auto lots = invite("", "multipart/mixed;boundary=osv-b", many);
    EXPECT_EQ(location_parts(lots).size(), 4u);
}

}  // namespace
}  // namespace sbc::cp::e911
