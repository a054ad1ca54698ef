// What a failed parse hands over for an answer (request_fields, header_line_reader), and the
// message's storage: moves, default messages, counts, many messages alive at once.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sip/message.hpp"

namespace sbc::sip {
namespace {

const std::string good =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK77\r\n"
    "Max-Forwards: 69\r\n"
    "v: SIP/2.0/UDP client.example.com;branch=z9hG4bK74, SIP/2.0/UDP\r\n"
    " 192.0.2.1;branch=z9hG4bK1\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::string replace(std::string s, std::string_view from, std::string_view to) {
    s.replace(s.find(from), from.size(), to);
    return s;
}

bool inside(std::string_view view, const std::string& bytes) {
    return view.data() >= bytes.data() && view.data() + view.size() <= bytes.data() + bytes.size();
}

std::vector<std::string> via_values(std::string_view via_lines) {
    std::vector<std::string> out;
    header_line_reader r(via_lines);
    header_field h;
    while (r.next(h)) {
        if (h.id == header_id::via) {
            out.emplace_back(h.value);
        }
    }
    return out;
}

TEST(RequestFields, MalformedFromStillNamesWhatAnAnswerCopies) {
    // The From URI is malformed: no response is possible from the parsed message, but the raw
    // values are there, as views into the bytes given to parse().
    const std::string bytes = replace(good, "<sip:alice@atlanta.example.com>", "<sip:alice@>");
    auto r = parse(bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, error_code::malformed_from);
    EXPECT_FALSE(r.error().response_possible);
    const request_fields& f = r.error().fields;
    EXPECT_TRUE(f.complete());
    EXPECT_EQ(f.method, "INVITE");
    EXPECT_EQ(f.from, "Alice <sip:alice@>;tag=9fxced76sl");
    EXPECT_EQ(f.to, "Bob <sip:bob@biloxi.example.com>");
    EXPECT_EQ(f.call_id, "3848276298220188511@atlanta.example.com");
    EXPECT_EQ(f.cseq, "1 INVITE");
    for (std::string_view v : {f.method, f.via_lines, f.from, f.to, f.call_id, f.cseq}) {
        EXPECT_TRUE(inside(v, bytes)) << v;
    }
    // The Via lines span Max-Forwards between them; the reader keeps the Via ones, in order,
    // with a folded value as written.
    EXPECT_NE(f.via_lines.find("Max-Forwards"), std::string_view::npos);
    EXPECT_EQ(f.via_lines.substr(0, 4), "Via:");
    EXPECT_EQ(f.via_lines.substr(f.via_lines.size() - 2), "\r\n");
    auto vias = via_values(f.via_lines);
    ASSERT_EQ(vias.size(), 2u);
    EXPECT_EQ(vias[0], "SIP/2.0/TCP proxy.example.com;branch=z9hG4bK77");
    EXPECT_EQ(vias[1],
              "SIP/2.0/UDP client.example.com;branch=z9hG4bK74, SIP/2.0/UDP\r\n"
              " 192.0.2.1;branch=z9hG4bK1");
}

TEST(RequestFields, FilledForEveryKindOfFault) {
    struct fault {
        std::string bytes;
        error_code code;
    };
    const fault faults[] = {
        {replace(good, "SIP/2.0\r\n", "SIP/2.0 \r\n"), error_code::malformed_start_line},
        {replace(good, "sip:bob@biloxi.example.com SIP", "sip:bob@bi loxi SIP"),
         error_code::malformed_request_uri},
        {replace(good, "CSeq: 1 INVITE", "CSeq: 1 BYE"), error_code::cseq_method_mismatch},
        {replace(good, "Content-Length: 0", "Content-Length: 10"),
         error_code::body_shorter_than_content_length},
        {replace(good, "Max-Forwards: 69\r\n", "Max-Forwards 69\r\n"),
         error_code::malformed_header_line},
    };
    for (const fault& f : faults) {
        auto r = parse(f.bytes);
        ASSERT_FALSE(r.ok()) << f.bytes;
        EXPECT_EQ(error_name(r.error().code), error_name(f.code)) << f.bytes;
        EXPECT_TRUE(r.error().fields.complete()) << f.bytes;
        EXPECT_EQ(via_values(r.error().fields.via_lines).size(), 2u) << f.bytes;
    }
    // Too large: refused before anything else, but the head is still read for the answer.
    parse_options small;
    small.limits.max_message_bytes = 100;
    auto big = parse(good, small);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, error_code::message_too_large);
    EXPECT_TRUE(big.error().fields.complete());
}

TEST(RequestFields, ReadWithoutParsingAreTheSameAsAFailedParses) {
    // read_request_fields() is the same scan without validation or limits: a well-formed
    // request, a malformed one (equal to what its failed parse found), one over the limits.
    const request_fields ok = read_request_fields(good);
    EXPECT_TRUE(ok.complete());
    EXPECT_EQ(ok.method, "INVITE");
    EXPECT_EQ(via_values(ok.via_lines).size(), 2u);
    const std::string bad = replace(good, "CSeq: 1 INVITE", "CSeq: 1 BYE");
    auto r = parse(bad);
    ASSERT_FALSE(r.ok());
    const request_fields read = read_request_fields(bad);
    const request_fields& failed = r.error().fields;
    for (auto field : {&request_fields::method, &request_fields::via_lines, &request_fields::from,
                       &request_fields::to, &request_fields::call_id, &request_fields::cseq}) {
        EXPECT_EQ(read.*field, failed.*field);
        EXPECT_EQ((read.*field).data(), (failed.*field).data());
    }
    std::string many = good;
    for (int i = 0; i < 200; ++i) {
        many = replace(many, "Max-Forwards: 69\r\n", "Max-Forwards: 69\r\nX: y\r\n");
    }
    EXPECT_FALSE(parse(many).ok());
    EXPECT_TRUE(read_request_fields(many).complete());
    EXPECT_EQ(read_request_fields("\r\n\r\n").via_lines, "");
    EXPECT_EQ(read_request_fields("").cseq, "");
}

TEST(RequestFields, WhatIsNotThereStaysEmpty) {
    // No From, no Call-ID: the answer cannot be built, and the fields say so.
    std::string bytes = replace(good, "Call-ID: 3848276298220188511@atlanta.example.com\r\n", "");
    bytes = replace(bytes, "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n", "");
    auto r = parse(bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_FALSE(r.error().fields.complete());
    EXPECT_TRUE(r.error().fields.from.empty());
    EXPECT_TRUE(r.error().fields.call_id.empty());
    EXPECT_EQ(r.error().fields.cseq, "1 INVITE");

    // A response has no method (and is never answered); an unusable start line neither. The
    // fields point into the bytes given to parse(): those must outlive the result.
    const std::string resp_bytes =
        replace(good, "INVITE sip:bob@biloxi.example.com SIP/2.0", "SIP/2.0 2000 OK");
    auto resp = parse(resp_bytes);
    ASSERT_FALSE(resp.ok());
    EXPECT_TRUE(resp.error().fields.method.empty());
    const std::string junk_bytes =
        replace(good, "INVITE sip:bob@biloxi.example.com SIP/2.0", "INVITE");
    auto junk = parse(junk_bytes);
    ASSERT_FALSE(junk.ok());
    EXPECT_EQ(junk.error().code, error_code::malformed_start_line);
    EXPECT_TRUE(junk.error().fields.method.empty());
    EXPECT_EQ(junk.error().fields.cseq, "1 INVITE");

    // An ACK is named, so that the caller can leave it unanswered (RFC 3261 §17.1.1.3).
    const std::string ack_bytes =
        replace(replace(good, "INVITE sip", "ACK sip"), "1 INVITE", "1 BYE");
    auto ack = parse(ack_bytes);
    ASSERT_FALSE(ack.ok());
    EXPECT_EQ(ack.error().fields.method, "ACK");

    // A buffer handed over dies with the parse: nothing may point into it.
    auto buffer = std::make_unique<char[]>(good.size());
    const std::string bad = replace(good, "CSeq: 1 INVITE", "CSeq: x INVITE");
    std::copy(bad.begin(), bad.end(), buffer.get());
    auto owned = parse(std::move(buffer), bad.size());
    ASSERT_FALSE(owned.ok());
    EXPECT_EQ(owned.error().code, error_code::malformed_cseq);
    EXPECT_TRUE(owned.error().fields.via_lines.empty());
    EXPECT_TRUE(owned.error().fields.from.empty());
}

TEST(HeaderLineReader, SplitsLinesFoldsAndSkipsLinesWithoutColon) {
    header_line_reader r("Via: a\r\n b\r\nnot a header\r\nv:c\nX-Y : d \r\n");
    header_field h;
    ASSERT_TRUE(r.next(h));
    EXPECT_EQ(h.id, header_id::via);
    EXPECT_EQ(h.value, "a\r\n b");
    EXPECT_EQ(h.raw, "Via: a\r\n b\r\n");
    ASSERT_TRUE(r.next(h));
    EXPECT_EQ(h.id, header_id::via);
    EXPECT_EQ(h.name, "v");
    EXPECT_EQ(h.value, "c");
    ASSERT_TRUE(r.next(h));
    EXPECT_EQ(h.id, header_id::other);
    EXPECT_EQ(h.name, "X-Y");
    EXPECT_EQ(h.value, "d");
    EXPECT_FALSE(r.next(h));
}

TEST(MessageStorage, DefaultAndMovedFromMessagesAreEmptyButUsable) {
    message m;
    EXPECT_TRUE(m.headers().empty());
    EXPECT_EQ(m.find(header_id::via), nullptr);
    EXPECT_EQ(m.count(header_id::contact), 0u);
    EXPECT_TRUE(m.contacts().absent());
    EXPECT_TRUE(m.supported().absent());
    EXPECT_EQ(m.call_id(), "");
    auto r = parse(good);
    ASSERT_TRUE(r.ok());
    message moved = std::move(r.value());
    EXPECT_TRUE(r->headers().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(moved.vias()->size(), 3u);
    m = std::move(moved);
    EXPECT_EQ(m.vias()->size(), 3u);
    EXPECT_EQ(m.top_via().branch(), "z9hG4bK77");
}

TEST(MessageStorage, ManyMessagesAliveAndFreedInAnyOrder) {
    // Blocks are reused per thread: a message must never see another's text.
    std::vector<message> alive;
    for (int i = 0; i < 40; ++i) {
        std::string bytes = replace(good, "z9hG4bK77", "z9hG4bK" + std::to_string(1000 + i));
        if (i % 3 == 0) {
            bytes = replace(bytes, "Content-Length: 0\r\n\r\n",
                            "Content-Length: " + std::to_string(200 * i) + "\r\n\r\n" +
                                std::string(std::size_t(200 * i), 'x'));
        }
        auto r = parse(bytes);
        ASSERT_TRUE(r.ok()) << i;
        alive.push_back(std::move(r.value()));
        if (i % 4 == 1) {
            alive.erase(alive.begin() + (i / 2) % long(alive.size()));
        }
    }
    for (const message& m : alive) {
        const std::string branch(m.top_via().branch());
        const int i = std::stoi(branch.substr(7)) - 1000;
        EXPECT_EQ(m.body().size(), i % 3 == 0 ? std::size_t(200 * i) : 0u);
        EXPECT_EQ(m.vias()->at(0).branch(), branch);
        EXPECT_EQ(m.from().tag(), "9fxced76sl");
    }
}

TEST(MessageStorage, CountsPastTheSaturatedIndex) {
    std::string bytes = good;
    std::string many;
    for (int i = 0; i < 300; ++i) {
        many += "Record-Route: <sip:p" + std::to_string(i) + ".example.com;lr>\r\n";
    }
    bytes = replace(bytes, "Content-Length: 0\r\n", many + "Content-Length: 0\r\n");
    parse_options o;
    o.limits.max_headers = 400;
    auto r = parse(bytes, o);
    ASSERT_TRUE(r.ok()) << error_name(r.error().code);
    EXPECT_EQ(r->count(header_id::record_route), 300u);
    EXPECT_EQ(r->count(header_id::via), 2u);
    ASSERT_TRUE(r->record_routes().ok());
    ASSERT_EQ(r->record_routes()->size(), 300u);
    EXPECT_EQ(r->record_routes()->back().uri.host(), "p299.example.com");
}

TEST(HeaderScan, NamesAnywhereInTheBuffer) {
    // Long names (two loads), names in the last 16 bytes of the buffer (no load past the end),
    // and a CR that must not pass for the '-' of a well-known name.
    std::string bytes = replace(good, "Content-Length: 0\r\n\r\n",
                                "P-Preferred-Identity: <sip:a@example.com>\r\n"
                                "l:0\r\n\r\n");
    auto r = parse(bytes);
    ASSERT_TRUE(r.ok()) << error_name(r.error().code);
    EXPECT_NE(r->find(header_id::p_preferred_identity), nullptr);
    EXPECT_EQ(r->content_length(), 0u);
    auto cr = parse(replace(good, "Call-ID:", "Call\rID:"));
    ASSERT_FALSE(cr.ok());
    EXPECT_EQ(cr.error().code, error_code::malformed_header_line);
}

}  // namespace
}  // namespace sbc::sip
