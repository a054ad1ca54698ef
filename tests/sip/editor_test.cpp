// Relay edits, serialization, building responses from requests, identifiers.
#include <gtest/gtest.h>

#include <set>

#include "sip/builder.hpp"
#include "sip/editor.hpp"
#include "sip/ids.hpp"

namespace sbc::sip {
namespace {

const std::string invite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/UDP "
    "first.example.com;branch=z9hG4bK0\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>\r\n"
    "Record-Route: <sip:rr.example.com;lr>\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "X-Secret: topology\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

TEST(Editor, UntouchedMessageSerializesIdentically) {
    auto m = parse(invite);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(message_editor(*m).serialize(), invite);
}

TEST(Editor, RelayEdits) {
    auto m = parse(invite);
    ASSERT_TRUE(m.ok());
    message_editor e(*m);
    e.set_request_uri("sip:bob@10.0.0.9:5060;transport=tcp");
    e.push_via("SIP/2.0/TCP sbc.example.com;branch=z9hG4bKsbc");
    e.pop_first(header_id::route);
    e.replace(header_id::contact, "<sip:alice@sbc.example.com;transport=tcp>");
    e.remove("x-secret");
    e.replace(header_id::max_forwards, "69");
    e.append("P-Asserted-Identity", "<sip:alice@atlanta.example.com>");
    e.set_body("application/sdp", "v=0\r\n");
    std::string out = e.serialize();
    auto r = parse(out);
    ASSERT_TRUE(r.ok()) << out;
    EXPECT_EQ(r->request_uri().host(), "10.0.0.9");
    ASSERT_TRUE(r->vias().ok());
    ASSERT_EQ(r->vias()->size(), 3u);
    EXPECT_EQ(r->top_via().branch(), "z9hG4bKsbc");
    EXPECT_EQ(r->vias()->at(1).branch(), "z9hG4bK776asdhds");
    ASSERT_EQ(r->routes()->size(), 1u);
    EXPECT_EQ(r->routes()->at(0).uri.host(), "p2.example.com");
    EXPECT_EQ(r->contacts()->at(0).addr.uri.host(), "sbc.example.com");
    EXPECT_EQ(r->find("X-Secret"), nullptr);
    EXPECT_EQ(*r->max_forwards(), 69u);
    EXPECT_TRUE(r->content_type()->is("application", "sdp"));
    EXPECT_EQ(r->body(), "v=0\r\n");
    EXPECT_EQ(r->content_length(), 5u);
    EXPECT_EQ(r->count(header_id::content_type), 1u);
    // Order of untouched headers preserved.
    EXPECT_LT(out.find("To: Bob"), out.find("From: Alice"));
    EXPECT_LT(out.find("From: Alice"), out.find("Call-ID:"));
}

TEST(Editor, PopViaOnCommaJoinedAndSeparateLines) {
    auto m = parse(invite);
    ASSERT_TRUE(m.ok());
    message_editor e(*m);
    EXPECT_TRUE(e.pop_via());
    auto r = parse(e.serialize());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->top_via().branch(), "z9hG4bK0");
    EXPECT_TRUE(e.pop_via());
    EXPECT_FALSE(e.pop_via());
    // Push then pop removes the pushed Via.
    message_editor f(*m);
    f.push_via("SIP/2.0/UDP a;branch=z9hG4bKa");
    EXPECT_TRUE(f.pop_via());
    EXPECT_EQ(f.serialize(), invite);
}

TEST(Editor, ContentLengthAddedWhenMissing) {
    std::string s =
        "MESSAGE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\n"
        "CSeq: 1 MESSAGE\r\n\r\nhi";
    auto m = parse(s);
    ASSERT_TRUE(m.ok());
    auto r = parse(message_editor(*m).serialize(), {{}, framing::stream});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->content_length(), 2u);
    EXPECT_EQ(r->body(), "hi");
}

TEST(Builder, ResponseFromRequest) {
    auto m = parse(invite);
    ASSERT_TRUE(m.ok());
    std::string out =
        response_for(*m, 180, {}, "as8f7", true).add("Contact", "<sip:bob@192.0.2.4>").serialize();
    auto r = parse(out, {{}, framing::stream});
    ASSERT_TRUE(r.ok()) << out;
    EXPECT_EQ(r->status_code(), 180);
    EXPECT_EQ(r->reason_phrase(), "Ringing");
    EXPECT_EQ(r->vias()->size(), 2u);
    EXPECT_EQ(r->top_via().branch(), "z9hG4bK776asdhds");
    EXPECT_EQ(r->from().tag(), "1928301774");
    EXPECT_EQ(r->to().tag(), "as8f7");
    EXPECT_EQ(r->call_id(), m->call_id());
    EXPECT_EQ(r->cseq().number, 314159u);
    EXPECT_EQ(r->record_routes()->size(), 1u);
    EXPECT_EQ(r->content_length(), 0u);
    // 100 Trying gets no To tag (§8.2.6.2).
    auto trying = parse(response_for(*m, 100, {}, "zz").serialize());
    ASSERT_TRUE(trying.ok());
    EXPECT_EQ(trying->to().tag(), "");
    EXPECT_EQ(trying->count(header_id::record_route), 0u);
}

TEST(Builder, RequestFromScratch) {
    std::string branch = make_branch();
    std::string out = outgoing_message::request("OPTIONS", "sip:pbx.local")
                          .add("Via", "SIP/2.0/TCP 10.0.0.1:5060;branch=" + branch)
                          .add("Max-Forwards", "70")
                          .add("From", "<sip:sbc@10.0.0.1>;tag=" + make_tag())
                          .add("To", "<sip:pbx.local>")
                          .add("Call-ID", make_call_id("10.0.0.1"))
                          .add("CSeq", "1 OPTIONS")
                          .add("X-Drop", "1")
                          .remove("x-drop")
                          .body("text/plain", "ping")
                          .serialize();
    auto r = parse(out, {{}, framing::stream});
    ASSERT_TRUE(r.ok()) << out;
    EXPECT_EQ(r->method_kind(), sip_method::options);
    EXPECT_EQ(r->top_via().branch(), branch);
    EXPECT_TRUE(r->top_via().rfc3261_branch());
    EXPECT_EQ(r->body(), "ping");
    EXPECT_EQ(r->find("X-Drop"), nullptr);
}

TEST(Ids, RandomAndWellFormed) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string b = make_branch();
        ASSERT_EQ(b.size(), 29u);
        ASSERT_EQ(b.substr(0, 7), "z9hG4bK");
        seen.insert(b);
    }
    EXPECT_EQ(seen.size(), 1000u);
    EXPECT_EQ(make_tag().size(), 16u);
    std::string cid = make_call_id("h.example.com");
    EXPECT_EQ(cid.substr(24), "@h.example.com");
    for (char c : random_token(500)) {
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
    }
}

}  // namespace
}  // namespace sbc::sip
