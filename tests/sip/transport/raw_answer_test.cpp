// The answers the transport sends for requests it cannot parse or accept (RFC 3261 §8.2.6):
// built from the parser's reading of the request (request_fields), never from a second reader.
#include <gtest/gtest.h>

#include <string>

#include "sip/message.hpp"
#include "sip/transport/raw_answer.hpp"

namespace sbc::sip {
namespace {

const std::string request =
    "\r\n"
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK77\r\n"
    "Max-Forwards: 69\r\n"
    "v: SIP/2.0/UDP client.example.com;branch=z9hG4bK74,\r\n"
    "   SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "t: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::string replace(std::string s, std::string_view from, std::string_view to) {
    s.replace(s.find(from), from.size(), to);
    return s;
}

std::string header(const std::string& answer, std::string_view name) {
    const std::string key = "\r\n" + std::string(name) + ": ";
    const auto at = answer.find(key);
    if (at == std::string::npos) {
        return {};
    }
    const auto begin = at + key.size();
    return answer.substr(begin, answer.find("\r\n", begin) - begin);
}

TEST(RawAnswer, CopiesViasInOrderUnfoldedAndTheDialogHeaders) {
    const std::string a = answer_from_raw(request, 400, "Bad Request");
    ASSERT_TRUE(a.starts_with("SIP/2.0 400 Bad Request\r\n")) << a;
    EXPECT_NE(a.find("\r\nVia: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK77\r\n"
                     "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bK74, "
                     "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"),
              std::string::npos)
        << a;
    EXPECT_EQ(header(a, "From"), "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl");
    const std::string to = header(a, "To");
    EXPECT_TRUE(to.starts_with("Bob <sip:bob@biloxi.example.com>;tag=")) << to;
    EXPECT_GT(to.size(), std::string("Bob <sip:bob@biloxi.example.com>;tag=").size());
    EXPECT_EQ(header(a, "Call-ID"), "3848276298220188511@atlanta.example.com");
    EXPECT_EQ(header(a, "CSeq"), "1 INVITE");
    EXPECT_TRUE(a.ends_with("\r\nContent-Length: 0\r\n\r\n")) << a;
    EXPECT_EQ(a.find("Max-Forwards"), std::string::npos);
}

TEST(RawAnswer, TheSameFromAFailedParsesFields) {
    // deliver() answers from what the failed parse read: the same answer as from the bytes.
    const std::string bad = replace(request, "CSeq: 1 INVITE", "CSeq: 1 BYE");
    auto r = parse(bad);
    ASSERT_FALSE(r.ok());
    const std::string from_fields =
        answer_from_fields(r.error().fields, r.error().status(), r.error().reason());
    const std::string from_bytes = answer_from_raw(bad, r.error().status(), r.error().reason());
    ASSERT_FALSE(from_fields.empty());
    // Equal but for the To tag each made up.
    EXPECT_EQ(from_fields.substr(0, from_fields.find(";tag=", from_fields.find("\r\nTo:"))),
              from_bytes.substr(0, from_bytes.find(";tag=", from_bytes.find("\r\nTo:"))));
    EXPECT_EQ(header(from_fields, "CSeq"), "1 BYE");
    EXPECT_TRUE(from_fields.starts_with("SIP/2.0 400 Bad Request (CSeq method does not match)"));
}

TEST(RawAnswer, KeepsAToTagAndAddsExtraHeaders) {
    const std::string tagged = replace(request, "t: Bob <sip:bob@biloxi.example.com>",
                                       "To: <sip:bob@b.example.com>;tag=x1");
    const std::string a =
        answer_from_raw(tagged, 503, "Service Unavailable", "Retry-After: 30\r\n");
    EXPECT_EQ(header(a, "To"), "<sip:bob@b.example.com>;tag=x1");
    EXPECT_TRUE(a.ends_with("\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n")) << a;
}

TEST(RawAnswer, NoAnswerForAcksResponsesOrRequestsWithoutVia) {
    EXPECT_EQ(answer_from_raw(replace(request, "INVITE sip:", "ACK sip:"), 400, "Bad Request"), "");
    EXPECT_EQ(answer_from_raw("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n", 400,
                              "Bad Request"),
              "");
    std::string no_via =
        replace(request, "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK77\r\n", "");
    no_via = replace(no_via,
                     "v: SIP/2.0/UDP client.example.com;branch=z9hG4bK74,\r\n"
                     "   SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n",
                     "");
    EXPECT_EQ(answer_from_raw(no_via, 400, "Bad Request"), "");
    EXPECT_EQ(answer_from_raw("", 400, "Bad Request"), "");
    EXPECT_EQ(answer_from_raw("\r\n\r\n", 400, "Bad Request"), "");
}

TEST(RawAnswer, AnswersWhatItCanOfABrokenRequest) {
    // An unusable start line, a missing Call-ID, a line without a colon: still answered by its
    // Via with the headers that are there.
    std::string broken = replace(request, "INVITE sip:bob@biloxi.example.com SIP/2.0", "INVITE");
    broken = replace(broken, "Call-ID: 3848276298220188511@atlanta.example.com\r\n",
                     "this is no header\r\n");
    const std::string a = answer_from_raw(broken, 400, "Bad Request");
    ASSERT_TRUE(a.starts_with("SIP/2.0 400 Bad Request\r\n")) << a;
    EXPECT_EQ(header(a, "Call-ID"), "");
    EXPECT_EQ(header(a, "CSeq"), "1 INVITE");
    EXPECT_NE(a.find("\r\nVia: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK77\r\n"),
              std::string::npos);
    // A head cut short (a datagram too large, a stream head over its limit), without its empty
    // line and in the middle of a header: what was read before the cut.
    const std::string cut = request.substr(0, request.find("CSeq:") + 4);
    const std::string c = answer_from_raw(cut, 513, "Message Too Large");
    ASSERT_TRUE(c.starts_with("SIP/2.0 513 Message Too Large\r\n")) << c;
    EXPECT_EQ(header(c, "Call-ID"), "3848276298220188511@atlanta.example.com");
    EXPECT_EQ(header(c, "CSeq"), "");
    // Lines longer and more numerous than a parse would accept are still read.
    std::string many = request;
    for (int i = 0; i < 300; ++i) {
        many = replace(many, "Max-Forwards: 69\r\n",
                       "Max-Forwards: 69\r\nX-Long: " + std::string(100, 'x') + "\r\n");
    }
    many = replace(many, "CSeq: 1 INVITE", "CSeq: 1 INVITE" + std::string(9000, ' ') + "x");
    const std::string m = answer_from_raw(many, 400, "Bad Request");
    EXPECT_EQ(header(m, "Call-ID"), "3848276298220188511@atlanta.example.com");
    EXPECT_TRUE(header(m, "CSeq").ends_with(" x"));
}

// Issue 10: an answer never echoes a bare CR, a NUL or another control character to the peer.
// A dirty From/To/Call-ID/CSeq is left out; a dirty Via leaves nothing to answer by.
TEST(RawAnswer, ControlCharactersAreNeverCopied) {
    const std::string nul_from =
        replace(request, ";tag=9fxced76sl", std::string(";tag=9fx\0ced76sl", 16));
    auto parsed = parse(nul_from);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, error_code::control_character);
    EXPECT_EQ(parsed.error().header, "From");
    for (const std::string& a :
         {answer_from_fields(parsed.error().fields, 400, parsed.error().reason_phrase()),
          answer_from_raw(nul_from, 400, "Bad Request")}) {
        ASSERT_FALSE(a.empty());
        EXPECT_EQ(header(a, "From"), "");
        EXPECT_EQ(header(a, "Call-ID"), "3848276298220188511@atlanta.example.com");
        EXPECT_EQ(a.find('\0'), std::string::npos);
    }
    EXPECT_TRUE(answer_from_raw(nul_from, 400, "Bad Request (control character in From)")
                    .starts_with("SIP/2.0 400 Bad Request (control character in From)\r\n"));

    const std::string cr_call_id = replace(request, "20188511@", "20188511\r@");
    std::string a = answer_from_raw(cr_call_id, 400, "Bad Request");
    EXPECT_EQ(header(a, "Call-ID"), "");
    for (std::size_t i = a.find('\r'); i != std::string::npos; i = a.find('\r', i + 1)) {
        EXPECT_EQ(a[i + 1], '\n') << a;
    }
    const std::string cr_to = replace(request, "t: Bob",
                                      "t: B\x01"
                                      "ob");
    EXPECT_EQ(header(answer_from_raw(cr_to, 400, "Bad Request"), "To"), "");

    // A Via with a control character: in the top one or a lower one, no answer at all.
    EXPECT_EQ(answer_from_raw(replace(request, "z9hG4bK77",
                                      "z9hG4bK\x7f"
                                      "77"),
                              400, "Bad"),
              "");
    EXPECT_EQ(answer_from_raw(replace(request, "z9hG4bK1\r", "z9hG\r4bK1\r"), 400, "Bad"), "");
    // Folds are not control characters: the folded Via is answered, unfolded.
    EXPECT_NE(answer_from_raw(request, 400, "Bad").find("z9hG4bK74, SIP/2.0/UDP 192.0.2.1"),
              std::string::npos);
}

}  // namespace
}  // namespace sbc::sip
