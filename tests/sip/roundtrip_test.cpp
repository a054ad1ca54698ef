// Round-trip property over a corpus: parse -> serialize (editor, untouched and edited) -> parse
// gives equal values.
#include <gtest/gtest.h>

#include <filesystem>

#include "sip/editor.hpp"
#include "sip/message.hpp"
#include "tests/sip/test_messages.hpp"

namespace sbc::sip {
namespace {

std::vector<std::string> corpus() {
    std::vector<std::string> out;
    for (const char* dir : {"tests/sip/rfc4475", "tests/sip/corpus"}) {
        for (const auto& e : std::filesystem::directory_iterator(testing::source_dir() / dir)) {
            if (e.path().extension() == ".dat" || e.path().extension() == ".sip") {
                out.push_back(std::filesystem::relative(e.path(), testing::source_dir()).string());
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

void expect_same(const message& a, const message& b) {
    EXPECT_EQ(a.start_line(), b.start_line());
    EXPECT_EQ(a.call_id(), b.call_id());
    EXPECT_EQ(a.cseq().number, b.cseq().number);
    EXPECT_EQ(a.cseq().method, b.cseq().method);
    EXPECT_EQ(a.from().tag(), b.from().tag());
    EXPECT_EQ(a.to().tag(), b.to().tag());
    EXPECT_EQ(a.top_via().branch(), b.top_via().branch());
    EXPECT_EQ(a.body(), b.body());
    // Content-Length is recomputed (and added when a datagram had none); all else is equal.
    auto without_length = [](const message& m) {
        std::vector<std::pair<std::string_view, std::string_view>> out;
        for (const header_field& h : m.headers()) {
            if (h.id != header_id::content_length) {
                out.emplace_back(h.name, h.value);
            }
        }
        return out;
    };
    EXPECT_EQ(without_length(a), without_length(b));
    EXPECT_EQ(b.content_length(), b.body().size());
    EXPECT_EQ(a.parse_all(), b.parse_all());
    EXPECT_EQ(a.vias().ok() ? a.vias()->size() : 0, b.vias().ok() ? b.vias()->size() : 0);
    EXPECT_EQ(a.contacts().ok() ? a.contacts()->size() : 0,
              b.contacts().ok() ? b.contacts()->size() : 0);
}

TEST(RoundTrip, CorpusParsesSerializesAndParsesEqual) {
    int parsed = 0;
    for (const std::string& file : corpus()) {
        SCOPED_TRACE(file);
        auto a = parse(testing::load_message(file));
        if (!a.ok()) {
            continue;  // the invalid torture messages; rfc4475_test checks their errors
        }
        ++parsed;
        std::string out = message_editor(*a).serialize();
        auto b = parse(out, {{}, framing::stream});
        ASSERT_TRUE(b.ok()) << error_name(b.error().code) << "\n" << out;
        expect_same(*a, *b);
        EXPECT_EQ(message_editor(*b).serialize(), out);  // a fixed point after one pass
    }
    EXPECT_GE(parsed, 30);
}

TEST(RoundTrip, RelayEditsKeepEverythingElse) {
    for (const std::string& file : corpus()) {
        SCOPED_TRACE(file);
        auto a = parse(testing::load_message(file));
        if (!a.ok() || !a->is_request()) {
            continue;
        }
        message_editor e(*a);
        e.push_via("SIP/2.0/TLS 192.0.2.250:5061;branch=z9hG4bKrelay;rport");
        auto b = parse(e.serialize(), {{}, framing::stream});
        ASSERT_TRUE(b.ok()) << error_name(b.error().code);
        EXPECT_EQ(b->top_via().branch(), "z9hG4bKrelay");
        ASSERT_TRUE(b->vias().ok());
        ASSERT_TRUE(a->vias().ok());
        EXPECT_EQ(b->vias()->size(), a->vias()->size() + 1);
        message_editor back(*b);
        back.pop_via();
        auto c = parse(back.serialize(), {{}, framing::stream});
        ASSERT_TRUE(c.ok());
        expect_same(*a, *c);
    }
}

TEST(Corpus, MultipartEmergencyInviteCarriesSdp) {
    auto m = parse(testing::load_message("tests/sip/corpus/invite_multipart_e911.sip"));
    ASSERT_TRUE(m.ok()) << error_name(m.error().code);
    EXPECT_EQ(m->parse_all(), error_code::none);
    auto sdp = m->sdp_body();
    ASSERT_TRUE(sdp.has_value());
    EXPECT_EQ(sdp->substr(0, 5), "v=0\r\n");
    EXPECT_NE(sdp->find("m=audio 20004 RTP/AVP 0"), std::string_view::npos);
    EXPECT_EQ(sdp->find("--boundary1"), std::string_view::npos);
    EXPECT_EQ(m->privacy()->at(0), "none");
}

TEST(Corpus, ZoomLikeRegisterOverTls) {
    auto m = parse(testing::load_message("tests/sip/corpus/register_zoom_tls.sip"));
    ASSERT_TRUE(m.ok()) << error_name(m.error().code);
    EXPECT_EQ(m->parse_all(), error_code::none);
    EXPECT_EQ(m->request_uri().scheme, uri_scheme::sips);
    EXPECT_EQ(m->top_via().transport, "TLS");
    const contact& c = m->contacts()->at(0);
    EXPECT_EQ(c.pn_provider(), "apns");
    EXPECT_EQ(c.reg_id(), 1u);
    EXPECT_EQ(c.expires(), 3600u);
    EXPECT_EQ(m->authorizations()->at(0).username(), "1001");
    EXPECT_EQ(m->user_agent().substr(0, 12), "ZoomPbxPhone");
}

}  // namespace
}  // namespace sbc::sip
