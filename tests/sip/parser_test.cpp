// First pass and mandatory headers: start lines, folding, limits, Content-Length, errors.
#include <gtest/gtest.h>

#include <string>

#include "sip/message.hpp"

namespace sbc::sip {
namespace {

const std::string invite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sips:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sips:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sips:alice@client.atlanta.example.com;transport=tls>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

TEST(Parser, ParsesRequestLineAndMandatoryHeaders) {
    auto r = parse(invite);
    ASSERT_TRUE(r.ok()) << error_name(r.error().code);
    const message& m = *r;
    EXPECT_TRUE(m.is_request());
    EXPECT_EQ(m.method(), "INVITE");
    EXPECT_EQ(m.method_kind(), sip_method::invite);
    EXPECT_EQ(m.request_uri_text(), "sip:bob@biloxi.example.com");
    EXPECT_EQ(m.request_uri().user, "bob");
    EXPECT_EQ(m.request_uri().host(), "biloxi.example.com");
    EXPECT_EQ(m.top_via().transport, "TLS");
    EXPECT_EQ(m.top_via().sent_by.host, "client.atlanta.example.com");
    EXPECT_EQ(m.top_via().sent_by.port, 5061);
    EXPECT_EQ(m.top_via().branch(), "z9hG4bK74bf9");
    EXPECT_TRUE(m.top_via().has_rport());
    EXPECT_FALSE(m.top_via().rport().has_value());
    EXPECT_EQ(m.from().tag(), "9fxced76sl");
    EXPECT_EQ(m.from().display_name, "Alice");
    EXPECT_EQ(m.to().tag(), "");
    EXPECT_EQ(m.call_id(), "3848276298220188511@atlanta.example.com");
    EXPECT_EQ(m.cseq().number, 1u);
    EXPECT_EQ(m.cseq().kind, sip_method::invite);
    EXPECT_EQ(m.body(), "v=0\n");
    EXPECT_EQ(m.headers().size(), 9u);
    EXPECT_EQ(*m.max_forwards(), 70u);
    EXPECT_EQ(m.parse_all(), error_code::none);
}

TEST(Parser, ParsesStatusLine) {
    std::string s =
        "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
        "Call-ID: x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
    auto r = parse(s);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->is_response());
    EXPECT_EQ(r->status_code(), 180);
    EXPECT_EQ(r->reason_phrase(), "Ringing");
    EXPECT_EQ(r->cseq().method, "INVITE");
    EXPECT_EQ(r->content_length(), 0u);
}

TEST(Parser, CompactFormsAndCaseInsensitiveNames) {
    std::string s =
        "OPTIONS sip:x@example.com SIP/2.0\r\nv: SIP/2.0/UDP h.example.com\r\n"
        "f: <sip:a@example.com>;tag=1\r\nT: <sip:b@example.com>\r\ni: cid\r\n"
        "cSeQ: 3 OPTIONS\r\nl: 0\r\nm: <sip:a@10.0.0.1>\r\nk: timer, 100rel\r\n\r\n";
    auto r = parse(s);
    ASSERT_TRUE(r.ok()) << error_name(r.error().code);
    EXPECT_EQ(r->call_id(), "cid");
    EXPECT_EQ(r->find("Content-Length")->value, "0");
    EXPECT_EQ(r->find("CALL-ID")->name, "i");
    ASSERT_TRUE(r->contacts().ok());
    EXPECT_EQ(r->contacts()->at(0).addr.uri.host(), "10.0.0.1");
    EXPECT_TRUE(r->supports("100REL"));
    EXPECT_FALSE(r->supports("path"));
}

TEST(Parser, LineFoldingIsWhitespace) {
    std::string s =
        "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP\r\n h.example.com\r\n"
        "  ;branch=z9hG4bKx\r\nFrom: <sip:a@example.com>\r\n\t;tag=1\r\nTo: <sip:a@example.com>\r\n"
        "Call-ID: c\r\nCSeq: 1\r\n  REGISTER\r\nSubject: I know you're there,\r\n"
        "         pick up the phone\r\nContent-Length: 0\r\n\r\n";
    auto r = parse(s);
    ASSERT_TRUE(r.ok()) << error_name(r.error().code);
    EXPECT_EQ(r->top_via().sent_by.host, "h.example.com");
    EXPECT_EQ(r->top_via().branch(), "z9hG4bKx");
    EXPECT_EQ(r->from().tag(), "1");
    EXPECT_EQ(r->cseq().method, "REGISTER");
    // RFC 3261 §7.3.1: each CR and LF of a fold is SP in the message (offsets kept).
    EXPECT_EQ(r->find(header_id::subject)->value,
              "I know you're there,           pick up the phone");
    EXPECT_EQ(r->find(header_id::via)->raw,
              "Via: SIP/2.0/UDP   h.example.com    ;branch=z9hG4bKx\r\n");
    EXPECT_EQ(r->head().find("\r\n "), std::string_view::npos);
    EXPECT_EQ(r->head().find("\r\n\t"), std::string_view::npos);
}

TEST(Parser, LeadingCrlfIgnoredAndBareLfAccepted) {
    std::string s =
        "\r\n\r\nBYE sip:x@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\n"
        "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>;tag=2\nCall-ID: c\n"
        "CSeq: 2 BYE\nContent-Length: 0\n\n";
    auto r = parse(s);
    ASSERT_TRUE(r.ok()) << error_name(r.error().code);
    EXPECT_EQ(r->method_kind(), sip_method::bye);
}

TEST(Parser, MethodsAreCaseSensitive) {
    std::string s =
        "invite sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\n"
        "CSeq: 2 invite\r\nContent-Length: 0\r\n\r\n";
    auto r = parse(s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->method_kind(), sip_method::other);
    EXPECT_EQ(r->method(), "invite");
}

std::string with(std::string_view start, std::string_view extra, std::string_view tail = "") {
    std::string s(start);
    s += "\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK3\r\n"
         "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\n";
    s += extra;
    s += "\r\n";
    s += tail;
    return s;
}

struct error_case {
    std::string text;
    error_code code;
    bool response_possible;
};

class ParserErrors : public ::testing::TestWithParam<error_case> {};

TEST_P(ParserErrors, RejectsWithReason) {
    auto r = parse(GetParam().text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(error_name(r.error().code), error_name(GetParam().code));
    EXPECT_EQ(r.error().response_possible, GetParam().response_possible);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParserErrors,
    ::testing::Values(
        error_case{"", error_code::empty_message, false},
        error_case{"\r\n\r\n", error_code::empty_message, false},
        error_case{"INVITE\r\n\r\n", error_code::malformed_start_line, false},
        error_case{with("INVITE sip:x@example.com SIP/3.0", "CSeq: 1 INVITE\r\nl: 0\r\n"),
                   error_code::unsupported_version, true},
        error_case{with("INVITE isbn:2983792873 SIP/2.0", "CSeq: 1 INVITE\r\nl: 0\r\n"),
                   error_code::unsupported_uri_scheme, true},
        error_case{with("INVITE sip:x@exa mple.com SIP/2.0", "CSeq: 1 INVITE\r\nl: 0\r\n"),
                   error_code::malformed_request_uri, true},
        error_case{with("INVITE sip:x@example.com SIP/2.0", "CSeq: 1 BYE\r\nl: 0\r\n"),
                   error_code::cseq_method_mismatch, true},
        error_case{with("INVITE sip:x@example.com SIP/2.0", "CSeq: x INVITE\r\nl: 0\r\n"),
                   error_code::malformed_cseq, false},
        error_case{with("INVITE sip:x@example.com SIP/2.0", "l: 0\r\n"), error_code::missing_cseq,
                   false},
        error_case{with("INVITE sip:x@example.com SIP/2.0", "CSeq: 1 INVITE\r\nl: 5\r\n", "abc"),
                   error_code::body_shorter_than_content_length, true},
        error_case{with("INVITE sip:x@example.com SIP/2.0", "CSeq: 1 INVITE\r\nl: -1\r\n"),
                   error_code::malformed_content_length, true},
        error_case{with("INVITE sip:x@example.com SIP/2.0",
                        "CSeq: 1 INVITE\r\nl: 0\r\nContent-Length: 0\r\n"),
                   error_code::duplicate_header, true},
        error_case{
            with("INVITE sip:x@example.com SIP/2.0", "CSeq: 1 INVITE\r\nCall-ID: d\r\nl: 0\r\n"),
            error_code::duplicate_header, false},
        error_case{with("INVITE sip:x@example.com SIP/2.0", "CSeq: 1 INVITE\r\nNoColon\r\n"),
                   error_code::malformed_header_line, true},
        error_case{"SIP/2.0 2000 OK\r\n\r\n", error_code::malformed_status_line, false}));

TEST(Parser, ErrorReasonNamesTheFault) {
    EXPECT_EQ(error_reason(error_code::malformed_via), "Bad Request (malformed Via)");
    EXPECT_EQ(error_status(error_code::unsupported_version), 505);
    std::string bad_via = with("INVITE sip:x@example.com SIP/2.0", "CSeq: 1 INVITE\r\n");
    bad_via.replace(bad_via.find("SIP/2.0/UDP"), 11, "SIP/2.0");
    auto e = parse(bad_via);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, error_code::malformed_via);
    EXPECT_EQ(e.error().reason(), "Bad Request (malformed Via)");
    EXPECT_EQ(e.error().status(), 400);
    EXPECT_FALSE(e.error().response_possible);
}

TEST(Parser, DatagramBodyLongerThanContentLengthIsTruncated) {
    auto r =
        parse(with("MESSAGE sip:x@example.com SIP/2.0", "CSeq: 1 MESSAGE\r\nl: 3\r\n", "abcdef"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body(), "abc");
    EXPECT_EQ(r->trailing_bytes(), 3u);
}

TEST(Parser, StreamRequiresContentLength) {
    parse_options o;
    o.how = framing::stream;
    auto r = parse(with("MESSAGE sip:x@example.com SIP/2.0", "CSeq: 1 MESSAGE\r\n", "abc"), o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, error_code::missing_content_length);
    auto d = parse(with("MESSAGE sip:x@example.com SIP/2.0", "CSeq: 1 MESSAGE\r\n", "abc"));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->body(), "abc");
}

TEST(Parser, LimitsAreEnforced) {
    parse_options o;
    o.limits.max_message_bytes = 100;
    EXPECT_EQ(parse(invite, o).error().code, error_code::message_too_large);
    o = {};
    o.limits.max_headers = 5;
    EXPECT_EQ(parse(invite, o).error().code, error_code::too_many_headers);
    o = {};
    o.limits.max_line_length = 40;
    EXPECT_EQ(parse(invite, o).error().code, error_code::line_too_long);
}

TEST(Parser, MessageOwnsItsBufferAndSurvivesMove) {
    std::string copy = invite;
    auto r = parse(copy);
    copy.assign(copy.size(), 'x');
    ASSERT_TRUE(r.ok());
    message moved = std::move(r.value());
    EXPECT_EQ(moved.call_id(), "3848276298220188511@atlanta.example.com");
    EXPECT_EQ(moved.top_via().branch(), "z9hG4bK74bf9");
}

TEST(Parser, IPv6SentByAndReceived) {
    std::string s = with("OPTIONS sip:[2001:db8::10]:5070;transport=tcp SIP/2.0",
                         "CSeq: 1 OPTIONS\r\nl: 0\r\n");
    s.replace(s.find("h.example.com"), 13, "[2001:db8::9:1]:5060;received=2001:db8::9:255");
    auto r = parse(s);
    ASSERT_TRUE(r.ok()) << error_name(r.error().code);
    EXPECT_EQ(r->request_uri().hp.kind, host_kind::ipv6);
    EXPECT_EQ(r->request_uri().hp.address(), "2001:db8::10");
    EXPECT_EQ(r->request_uri().port(), 5070);
    EXPECT_EQ(r->request_uri().transport(), "tcp");
    EXPECT_EQ(r->top_via().sent_by.address(), "2001:db8::9:1");
    EXPECT_EQ(r->top_via().received(), "2001:db8::9:255");
}

// The scan's 16-byte loads (sip/message_scan.cpp): every line end, fold and the end of the head
// at every offset of a 64-byte span, and heads cut short before their end.
TEST(Parser, LineEndsAtEveryBlockOffset) {
    for (std::size_t pad = 0; pad < 140; ++pad) {
        const std::string value(pad, 'p');
        const std::string s = with("OPTIONS sip:b@example.com SIP/2.0",
                                   "X-Pad: " + value +
                                       "\r\nSubject: a\r\n\tb\r\n c\r\n"
                                       "CSeq: 1 OPTIONS\r\nX-Bare-Lf: " +
                                       value + "\nl: 2\r\n",
                                   "ab");
        auto r = parse(s);
        ASSERT_TRUE(r.ok()) << pad << ": " << error_name(r.error().code);
        ASSERT_EQ(r->headers().size(), 9u) << pad;
        EXPECT_EQ(r->find("X-Pad")->value, value) << pad;
        EXPECT_EQ(r->find(header_id::subject)->value, "a  \tb   c") << pad;
        EXPECT_EQ(r->find("X-Bare-Lf")->value, value) << pad;
        EXPECT_EQ(r->find("X-Bare-Lf")->raw, "X-Bare-Lf: " + value + "\n") << pad;
        EXPECT_EQ(r->cseq().number, 1u);
        EXPECT_EQ(r->body(), "ab") << pad;
        EXPECT_EQ(r->head().size(), s.size() - 2) << pad;
        // Cut after the last header line's CRLF: no empty line.
        auto c = parse(std::string_view(s).substr(0, s.size() - 4));
        ASSERT_FALSE(c.ok()) << pad;
        EXPECT_EQ(c.error().code, error_code::missing_header_end) << pad;
        // Cut inside the last header line.
        c = parse(std::string_view(s).substr(0, s.size() - 6));
        ASSERT_FALSE(c.ok()) << pad;
        EXPECT_EQ(c.error().code, error_code::missing_header_end) << pad;
    }
}

// A freed message's block is reused by the next parse on the thread with its lazy cache reset
// (sip/message_cache.hpp): nothing of the previous message's lazily parsed headers may show.
TEST(Parser, ReusedBlockShowsNothingOfThePreviousMessage) {
    std::string routes;
    for (int i = 0; i < 12; ++i) {  // more than a kept list holds: its buffer is given back
        routes += "Route: <sip:p" + std::to_string(i) + ".example.com;lr>\r\n";
    }
    const std::string first =
        with("INVITE sip:bob@example.com SIP/2.0",
             routes +
                 "CSeq: 1 INVITE\r\nContact: <sip:first@10.0.0.1>\r\n"
                 "Supported: timer\r\nSession-Expires: 1800\r\nExpires: 60\r\nl: 0\r\n");
    // The same size class (so the same block), none of those headers, another Contact.
    std::string second = with("INVITE sip:bob@example.com SIP/2.0",
                              "CSeq: 1 INVITE\r\nContact: <sip:other@10.0.0.2>\r\nl: 0\r\n");
    second.insert(second.find("Contact:"), "X-Pad: " + std::string(routes.size(), 'p') + "\r\n");
    for (int round = 0; round < 3; ++round) {
        {
            auto r = parse(first);
            ASSERT_TRUE(r.ok()) << error_name(r.error().code);
            ASSERT_TRUE(r->routes().ok());
            EXPECT_EQ(r->routes()->size(), 12u);
            EXPECT_TRUE(r->supports("timer"));
            EXPECT_TRUE(r->session_expires().ok());
            EXPECT_EQ(*r->expires(), 60u);
            ASSERT_TRUE(r->contacts().ok());
            EXPECT_EQ(r->contacts()->size(), 1u);
        }
        {
            auto r = parse(second);
            ASSERT_TRUE(r.ok()) << error_name(r.error().code);
            EXPECT_TRUE(r->routes().absent());
            EXPECT_TRUE(r->routes()->empty());
            EXPECT_TRUE(r->supported().absent());
            EXPECT_FALSE(r->supports("timer"));
            EXPECT_TRUE(r->session_expires().absent());
            EXPECT_TRUE(r->expires().absent());
            ASSERT_TRUE(r->contacts().ok());
            ASSERT_EQ(r->contacts()->size(), 1u);
            EXPECT_EQ((*r->contacts())[0].addr.uri.user, "other");
        }
        {
            std::string bad = second;
            bad.replace(bad.find("<sip:other"), 1, "");  // an unbalanced '>'
            auto r = parse(bad);
            ASSERT_TRUE(r.ok()) << error_name(r.error().code);
            EXPECT_TRUE(r->contacts().malformed());
            EXPECT_TRUE(r->contacts()->empty());
        }
    }
}

}  // namespace
}  // namespace sbc::sip
