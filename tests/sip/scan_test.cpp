// The parser reads a message's text 16 bytes at a time and past the end of a view (the text is
// padded); the public functions read a plain string exactly. For URIs, name-addrs, Vias, Contacts
// and hosts, both must find the same things, wherever the 16-byte chunks fall. Every value below
// is also mutated at every position, deterministically, to reach the edges of each fast path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/parse_internal.hpp"
#include "sip/text.hpp"

namespace sbc::sip {
namespace {

using detail::bounds;

const std::vector<std::string> seeds = {
    "sip:alice@atlanta.example.com",
    "sips:1001@10.20.30.40:52344;transport=tls;ob;pn-provider=apns;pn-prid=3a8e6f7c2b1d4e5f;"
    "pn-param=ABCDE12345.us.zoom.videomeetings.voip",
    "sip:sbc.example.com:5061;lr;transport=tls",
    "sip:user:pa%20ss@host.example.com;x=%41b?subject=hi&h=%20",
    "sip:[2001:db8::10]:5070;transport=tcp",
    "sip:a;b@c.example.com",
    "tel:+1-201-555-0123;phone-context=example.com",
    "urn:service:sos",
    "sip:999.1.1.1",
    "sip:256.1.1.1",
    "sip:a-.b.com",
    "sip:a.-b.com",
    "sip:host.example.com.",
    "\"Alice Example\" <sips:1001@pbx.example.com>;tag=8d2TfA3b1",
    "Bob <sip:bob@biloxi.example.com;user=phone>;tag=a;expires=60;q=0.5",
    "<sip:x@y.com>;+sip.instance=\"<urn:uuid:4b2c8a1e-9f3d-4c6b>\";reg-id=1;expires=3600",
    "sip:bob@biloxi.example.com;tag=1",
    "\"a\\\"b\" <sip:c@d>",
    "*",
    "SIP/2.0/TLS 10.20.30.40:52344;branch=z9hG4bK.Zk1uYbR7s;rport;alias",
    "SIP/2.0/UDP [2001:db8::9:1]:5060;received=2001:db8::9:255;rport=5060",
    "SIP / 2.0 / UDP host.example.com ; branch = z9hG4bK1 ; ttl=16",
};

// Mutations of `s`: each byte removed, doubled, or replaced by a delimiter.
std::vector<std::string> variants(const std::string& s) {
    std::vector<std::string> out{s};
    const std::string specials = ";:@=<>\".-%[] ,?\r";
    for (std::size_t i = 0; i < s.size(); ++i) {
        out.push_back(s.substr(0, i) + s.substr(i + 1));
        out.push_back(s.substr(0, i + 1) + s.substr(i));
        for (char c : specials) {
            std::string t = s;
            t[i] = c;
            out.push_back(t);
        }
    }
    return out;
}

// `s` at offset `shift` of a zero-padded buffer, as the parser's text would be.
struct padded_copy {
    std::string buffer;
    std::string_view view;
    padded_copy(const std::string& s, std::size_t shift)
        : buffer(std::string(shift, 'x') + s + std::string(detail::text_padding, '\0')),
          view(buffer.data() + shift, s.size()) {}
};

bool same(std::string_view a, const char* ba, std::string_view b, const char* bb) {
    return (a.empty() && b.empty()) || (a.size() == b.size() && a.data() - ba == b.data() - bb);
}

void expect_same_uri(const uri& a, const char* ba, const uri& b, const char* bb,
                     const std::string& what) {
    EXPECT_EQ(a.scheme, b.scheme) << what;
    EXPECT_TRUE(same(a.user, ba, b.user, bb)) << what;
    EXPECT_TRUE(same(a.password, ba, b.password, bb)) << what;
    EXPECT_TRUE(same(a.hp.host, ba, b.hp.host, bb)) << what;
    EXPECT_EQ(a.hp.kind, b.hp.kind) << what;
    EXPECT_EQ(a.hp.port, b.hp.port) << what;
    EXPECT_TRUE(same(a.params.text(), ba, b.params.text(), bb)) << what;
    EXPECT_TRUE(same(a.headers, ba, b.headers, bb)) << what;
    EXPECT_EQ(a.transport(), b.transport()) << what;
}

void expect_same_params(const param_list& a, const char* ba, const param_list& b, const char* bb,
                        const std::string& what) {
    EXPECT_TRUE(same(a.text(), ba, b.text(), bb)) << what;
    for (const char* name :
         {"tag", "TAG", "branch", "expires", "q", "rport", "x", "+sip.instance"}) {
        auto va = a.find(name);
        auto vb = b.find(name);
        ASSERT_EQ(va.has_value(), vb.has_value()) << what << " " << name;
        if (va) {
            EXPECT_TRUE(same(va->name, ba, vb->name, bb)) << what << " " << name;
            EXPECT_TRUE(same(va->value, ba, vb->value, bb)) << what << " " << name;
            EXPECT_EQ(va->has_value, vb->has_value) << what << " " << name;
        }
    }
}

TEST(PaddedScans, AgreeWithExactReads) {
    std::size_t cases = 0;
    for (const std::string& seed : seeds) {
        for (const std::string& s : variants(seed)) {
            for (std::size_t shift : {0u, 5u, 15u}) {
                const padded_copy p(s, shift);
                const char* bp = p.view.data();
                const char* be = s.data();
                ++cases;

                uri ua, ub;
                const bool uri_a = detail::parse_uri_into(ua, p.view, bounds::padded);
                const bool uri_b = detail::parse_uri_into(ub, s, bounds::exact);
                ASSERT_EQ(uri_a, uri_b) << s;
                if (uri_a) {
                    expect_same_uri(ua, bp, ub, be, s);
                    expect_same_params(ua.params, bp, ub.params, be, s);
                }

                contact ca, cb;
                const bool c_a = detail::parse_contact_into(ca, p.view, bounds::padded);
                const bool c_b = detail::parse_contact_into(cb, s, bounds::exact);
                ASSERT_EQ(c_a, c_b) << s;
                if (c_a && !ca.star) {
                    EXPECT_TRUE(same(ca.addr.display_name, bp, cb.addr.display_name, be)) << s;
                    expect_same_uri(ca.addr.uri, bp, cb.addr.uri, be, s);
                    expect_same_params(ca.addr.params, bp, cb.addr.params, be, s);
                    // The first parameter remembered by the parse answers like a plain list.
                    expect_same_params(ca.addr.params, bp, param_list(ca.addr.params.text(), ';'),
                                       bp, s);
                }

                via va, vb;
                const bool v_a = detail::parse_via_into(va, p.view, bounds::padded);
                const bool v_b = detail::parse_via_into(vb, s, bounds::exact);
                ASSERT_EQ(v_a, v_b) << s;
                if (v_a) {
                    EXPECT_TRUE(same(va.transport, bp, vb.transport, be)) << s;
                    EXPECT_EQ(va.sent_by.kind, vb.sent_by.kind) << s;
                    EXPECT_EQ(va.sent_by.port, vb.sent_by.port) << s;
                    expect_same_params(va.params, bp, vb.params, be, s);
                    expect_same_params(va.params, bp, param_list(va.params.text(), ';'), bp, s);
                }
            }
        }
    }
    EXPECT_GT(cases, 10000u);
}

TEST(PaddedScans, HostsAndDottedQuads) {
    const std::vector<std::string> hosts = {
        "10.20.30.40", "255.255.255.255", "256.1.1.1",   "1.2.3",
        "1.2.3.4.5",   "01.002.3.4",      "1..2.3",      ".1.2.3",
        "1.2.3.4.",    "1234.1.1.1",      "a.b.c",       "a-b.c-d.com",
        "-a.com",      "a-.com",          "a..com",      "com.",
        "a.com..",     "9a.com",          "a.9com",      "x",
        "0.0.0.0",     "1.2.3.4a",        "example.com", "sub_domain.example.com",
    };
    for (const std::string& h : hosts) {
        for (std::size_t shift : {0u, 3u, 12u}) {
            const padded_copy p(h, shift);
            EXPECT_EQ(detail::classify_host_chars(p.view, bounds::padded),
                      detail::classify_host_chars(h, bounds::exact))
                << h;
        }
        const bool quad = is_ipv4(h);
        EXPECT_EQ(quad, detail::classify_host_chars(h, bounds::exact) == host_kind::ipv4) << h;
    }
    EXPECT_TRUE(is_ipv4("10.20.30.40"));
    EXPECT_FALSE(is_ipv4("256.1.1.1"));
    EXPECT_FALSE(is_ipv4("1.2.3"));
}

}  // namespace
}  // namespace sbc::sip
