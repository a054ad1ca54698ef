// Issue 10 finding 2, what leaves: the editor and the builder refuse values that could not go on
// the wire, and well_formed() tells the egress guard and the fuzz oracles whether a message (or
// the bytes about to be sent) is fit to send, with a reason that names the header.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "sip/builder.hpp"
#include "sip/editor.hpp"
#include "sip/well_formed.hpp"

namespace sbc::sip {
namespace {

const std::string invite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Subject: lunch\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

// The values a peer could smuggle through a decoded URI header, a Replaces, a display name...
const std::string hostile[] = {
    std::string("a\r\nInjected: yes"),
    std::string("a\rb"),
    std::string("a\nb"),
    std::string("a\0b", 3),
    std::string("a\x7f"),
    std::string("\x1b[2J"),
};

TEST(Editor, RefusesValuesWithControlCharactersAndEmitsNothing) {
    auto m = parse(invite);
    ASSERT_TRUE(m.ok());
    for (const std::string& bad : hostile) {
        message_editor e(*m);
        EXPECT_TRUE(e.replace(header_id::max_forwards, "69"));
        EXPECT_FALSE(e.append("Replaces", bad));
        ASSERT_TRUE(e.refusal().has_value());
        EXPECT_EQ(e.refusal()->header, "Replaces");
        EXPECT_EQ(e.refusal()->reason, "control character in the value of Replaces");
        EXPECT_EQ(e.serialize(), "");
        // The first refusal is the one reported.
        EXPECT_FALSE(e.push_via(bad));
        EXPECT_EQ(e.refusal()->header, "Replaces");
    }
    for (const std::string& bad : hostile) {
        struct edit {
            const char* what;
            std::function<bool(message_editor&)> apply;
        };
        const edit edits[] = {
            {"Via", [&](message_editor& e) { return e.push_via(bad); }},
            {"Contact", [&](message_editor& e) { return e.replace(header_id::contact, bad); }},
            {"X-Note", [&](message_editor& e) { return e.replace("X-Note", bad); }},
            {"P-Asserted-Identity",
             [&](message_editor& e) { return e.prepend("P-Asserted-Identity", bad); }},
            {"Subject", [&](message_editor& e) { return e.replace_at(6, bad); }},
            {"Content-Type", [&](message_editor& e) { return e.set_body(bad, "x"); }},
            {"Request-URI", [&](message_editor& e) { return e.set_request_uri("sip:" + bad); }},
        };
        for (const edit& ed : edits) {
            message_editor e(*m);
            EXPECT_FALSE(ed.apply(e)) << ed.what;
            ASSERT_TRUE(e.refusal().has_value()) << ed.what;
            EXPECT_EQ(e.refusal()->header, ed.what);
            EXPECT_EQ(e.serialize(), "") << ed.what;
        }
    }
    // A Request-URI with whitespace would break the start line.
    message_editor e(*m);
    EXPECT_FALSE(e.set_request_uri("sip:a@b SIP/2.0\tx"));
    EXPECT_FALSE(e.set_request_uri(""));
    EXPECT_EQ(e.serialize(), "");
    // A tab is LWS: allowed in a value.
    message_editor tab(*m);
    EXPECT_TRUE(tab.append("Subject", "one\ttwo"));
    EXPECT_TRUE(well_formed(tab.serialize()).ok());
}

TEST(Editor, StatusLinesAreCheckedToo) {
    const std::string ok =
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n"
        "To: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    auto m = parse(ok);
    ASSERT_TRUE(m.ok());
    message_editor e(*m);
    EXPECT_FALSE(e.set_status(486, std::string("Busy\0Here", 9)));
    EXPECT_EQ(e.refusal()->header, "reason phrase");
    EXPECT_EQ(e.serialize(), "");
    message_editor digits(*m);
    EXPECT_FALSE(digits.set_status(1000, "Too Many Digits"));
    EXPECT_EQ(digits.serialize(), "");
    message_editor fine(*m);
    EXPECT_TRUE(fine.set_status(799, "Unknown Class"));  // three digits: relayed as given
    EXPECT_TRUE(well_formed(fine.serialize()).ok());
}

TEST(Builder, RefusesValuesWithControlCharactersAndEmitsNothing) {
    for (const std::string& bad : hostile) {
        auto r = outgoing_message::request("INVITE", "sip:bob@example.com");
        r.add("Via", "SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1").add("Subject", bad);
        EXPECT_FALSE(r.ok());
        EXPECT_EQ(r.refusal()->header, "Subject");
        EXPECT_EQ(r.serialize(), "");
        // Not added.
        EXPECT_EQ(r.headers().size(), 1u);

        EXPECT_FALSE(outgoing_message::request("INVITE", "sip:" + bad).ok());
        EXPECT_EQ(outgoing_message::request("INVITE", "sip:" + bad).serialize(), "");
        EXPECT_EQ(outgoing_message::response(603, "Decline " + bad).serialize(), "");
        auto b = outgoing_message::response(200);
        b.body("application/" + bad, "v=0\r\n");
        EXPECT_EQ(b.serialize(), "");
        EXPECT_EQ(b.refusal()->header, "Content-Type");
    }
    EXPECT_EQ(outgoing_message::response(99).serialize(), "");
}

TEST(Builder, ResponsesToParsedRequestsAreWellFormed) {
    auto m = parse(invite);
    ASSERT_TRUE(m.ok());
    const outgoing_message r = response_for(*m, 486, {}, "tag9", true);
    ASSERT_TRUE(r.ok());
    const wire_verdict v = well_formed(r.serialize());
    EXPECT_TRUE(v.ok()) << v.reason;
}

TEST(WellFormed, AParsedMessageIsAndItsSerialisationIs) {
    auto m = parse(invite, {{}, framing::stream});
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(well_formed(*m).ok());
    EXPECT_TRUE(well_formed(invite).ok());
    EXPECT_TRUE(well_formed(message_editor(*m).serialize()).ok());
}

TEST(WellFormed, BytesWithControlCharactersNameTheHeader) {
    std::string bytes = invite;
    bytes.replace(bytes.find("lunch"), 5, std::string("lu\0ch", 5));
    wire_verdict v = well_formed(bytes);
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.code, error_code::control_character);
    EXPECT_EQ(v.header, "Subject");
    EXPECT_EQ(v.reason, "Bad Request (control character in Subject)");

    bytes = invite;
    bytes.replace(bytes.find("lunch"), 5, "lu\rch");
    v = well_formed(bytes);
    EXPECT_EQ(v.code, error_code::control_character);
    EXPECT_EQ(v.header, "Subject");
}

TEST(WellFormed, LimitsAreTheCallersAndTheReasonSaysWhichWasPassed) {
    parse_limits tight;
    tight.max_message_bytes = 4096;
    tight.max_line_length = 256;
    tight.max_headers = 16;

    std::string long_line = invite;
    long_line.insert(long_line.find("Subject:"), "Accept: " + std::string(300, 'a') + "\r\n");
    auto m = parse(long_line, {{}, framing::stream});
    ASSERT_TRUE(m.ok());
    wire_verdict v = well_formed(*m, tight);
    EXPECT_EQ(v.code, error_code::line_too_long);
    EXPECT_EQ(v.header, "Accept");
    EXPECT_EQ(v.reason, "header line of 308 bytes over the limit of 256: Accept");
    EXPECT_TRUE(well_formed(*m).ok());  // the default limits

    std::string many = invite;
    for (int i = 0; i < 10; ++i) {
        many.insert(many.find("Subject:"), "X-Pad: " + std::to_string(i) + "\r\n");
    }
    m = parse(many, {{}, framing::stream});
    ASSERT_TRUE(m.ok());
    v = well_formed(*m, tight);
    EXPECT_EQ(v.code, error_code::too_many_headers);
    EXPECT_EQ(v.reason, "20 headers over the limit of 16");

    std::string big = invite;
    big.replace(big.find("Content-Length: 5"), 17, "Content-Length: 5005");
    big += std::string(5000, 'b');
    m = parse(big, {{}, framing::stream});
    ASSERT_TRUE(m.ok());
    v = well_formed(*m, tight);
    EXPECT_EQ(v.code, error_code::message_too_large);
    EXPECT_EQ(v.reason,
              "message of " + std::to_string(big.size()) + " bytes over the limit of 4096");
    // The bytes overload parses with the limits: the same verdict's code.
    EXPECT_EQ(well_formed(big, tight).code, error_code::message_too_large);
}

TEST(WellFormed, FramingMustBeExact) {
    // Bytes after the body: a stream peer reads them as the next message (smuggling).
    wire_verdict v = well_formed(invite + "OPTIONS sip:x SIP/2.0\r\n");
    EXPECT_EQ(v.code, error_code::bytes_after_body);
    EXPECT_EQ(v.reason, "23 bytes after the body");
    // No Content-Length: not framable on a stream.
    std::string no_length = invite;
    no_length.erase(no_length.find("Content-Length: 5\r\n"), 19);
    EXPECT_EQ(well_formed(no_length).code, error_code::missing_content_length);
    auto datagram = parse(no_length);  // a datagram may omit it...
    ASSERT_TRUE(datagram.ok());
    v = well_formed(*datagram);  // ...but what we send must carry it
    EXPECT_EQ(v.code, error_code::missing_content_length);
    EXPECT_EQ(v.header, "Content-Length");
    // Truncated bytes.
    EXPECT_EQ(well_formed(invite.substr(0, invite.size() - 1)).code,
              error_code::body_shorter_than_content_length);
    EXPECT_FALSE(well_formed(std::string_view(invite).substr(0, 40)).ok());
    EXPECT_EQ(well_formed("").code, error_code::empty_message);
    EXPECT_EQ(well_formed(message()).code, error_code::empty_message);
}

}  // namespace
}  // namespace sbc::sip
