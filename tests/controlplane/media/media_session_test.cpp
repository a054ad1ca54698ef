// Offer/answer rewriting of media_session, per rule: addresses and ports, crypto, codecs,
// rtcp-mux, directions and holds, renegotiation, and the flow specs that come out of it.

#include "controlplane/media/media_session.hpp"

#include <gtest/gtest.h>

#include "controlplane/media/sdes_keys.hpp"
#include "dataplane/shm/address.hpp"
#include "dataplane/srtp/master_key.hpp"
#include "sip/sdes.hpp"
#include "tests/controlplane/media/media_support.hpp"

using namespace sbc;
using namespace sbc::cp::media;
using sbc::test::contains;
namespace sdp = sbc::sip::sdp;

namespace {

class session_test : public ::testing::Test {
  protected:
    void SetUp() override { cfg_ = test::test_config(); }

    // a = access (softphone, SRTP_SDES), b = core (OSV_RTP) unless told otherwise.
    media_session make(const char* a_profile = "SRTP_SDES", const char* b_profile = "OSV_RTP",
                       bool a_access = true) {
        leg_setup a, b;
        a.realm = a_access ? &cfg_.realm.access : &cfg_.realm.core;
        b.realm = a_access ? &cfg_.realm.core : &cfg_.realm.access;
        a.profile = cfg_.find_media_profile(a_profile);
        b.profile = cfg_.find_media_profile(b_profile);
        return media_session(7, a, a_access ? 40000 : 50000, b, a_access ? 50000 : 40000,
                             cfg_.media);
    }

    static sdp::media audio(const std::string& body) {
        auto s = test::parse_ok(body);
        for (auto& m : s.media_sections) {
            if (m.type == "audio" && m.port != 0) {
                return m;
            }
        }
        throw std::runtime_error("no audio in\n" + body);
    }
    static sdp::crypto_attribute crypto_of(const std::string& body) {
        auto lines = audio(body).crypto_lines();
        EXPECT_EQ(lines.size(), 1u) << body;
        return sdp::parse_crypto(lines.at(0)).value;
    }

    // A full call set-up: client offer, OSV answer; returns the answer for the client.
    std::string call(media_session& s, const std::string& offer,
                     const std::string& answer = test::osv_sdp()) {
        std::string to_core, to_client;
        auto st = s.offer(side::a, offer, to_core);
        EXPECT_TRUE(st) << st.message();
        st = s.answer(side::b, answer, to_client);
        EXPECT_TRUE(st) << st.message();
        return to_client;
    }

    config::appliance cfg_;
};

}  // namespace

TEST_F(session_test, client_offer_becomes_plain_rtp_offer_from_the_core_media_address) {
    auto s = make();
    std::string out;
    ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    auto sess = test::parse_ok(out);
    ASSERT_EQ(sess.media_sections.size(), 1u);
    const auto& m = sess.media_sections[0];
    EXPECT_EQ(sess.conn->address, "10.2.1.1");
    EXPECT_EQ(sess.orig.address, "10.2.1.1");
    EXPECT_EQ(m.port, 50000);
    EXPECT_EQ(m.proto, "RTP/AVP");
    EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "111", "101"}));
    EXPECT_TRUE(m.crypto_lines().empty());
    // Topology hiding: nothing of the client's addresses, ICE or keys crosses.
    EXPECT_FALSE(contains(out, "192.0.2.10"));
    EXPECT_FALSE(contains(out, "ice-"));
    EXPECT_FALSE(contains(out, "candidate"));
    EXPECT_FALSE(contains(out, "a=rtcp:"));
    EXPECT_FALSE(contains(out, "zoom"));
    // Codec attributes of the kept formats do cross.
    EXPECT_TRUE(contains(out, "a=fmtp:111 minptime=10;useinbandfec=1"));
    EXPECT_TRUE(contains(out, "a=ptime:20"));
    EXPECT_EQ(m.get_direction(), sdp::direction::sendrecv);
    EXPECT_TRUE(s.offer_pending());
    EXPECT_TRUE(s.plan().install.empty()) << "nothing is programmed before the answer";
}

TEST_F(session_test, core_answer_becomes_srtp_answer_with_our_own_key) {
    auto s = make();
    const std::string ans = call(s, test::client_offer(test::crypto80(1, 0x11)));
    auto sess = test::parse_ok(ans);
    const auto& m = sess.media_sections.at(0);
    EXPECT_EQ(sess.conn->address, "10.1.1.1");
    EXPECT_EQ(m.port, 40000);
    EXPECT_EQ(m.proto, "RTP/SAVP");
    EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "101"}));
    EXPECT_FALSE(contains(ans, "198.51.100.20"));
    EXPECT_FALSE(contains(ans, "OSV"));
    const auto c = crypto_of(ans);
    EXPECT_EQ(c.tag, 1u);
    EXPECT_EQ(c.suite, srtp_suite::aes_cm_128_hmac_sha1_80);
    ASSERT_EQ(c.keys.size(), 1u);
    EXPECT_NE(c.keys[0].key, std::vector<uint8_t>(16, 0x11)) << "our key is not the client's";
}

TEST_F(session_test, flow_specs_carry_both_keys_peers_and_partners) {
    auto s = make();
    const std::string ans = call(s, test::client_offer(test::crypto80(1, 0x11)));
    const auto ours = to_srtp_key(crypto_of(ans)).value();
    auto plan = s.plan();
    ASSERT_EQ(plan.install.size(), 2u);
    const auto& a = plan.install[0];
    const auto& b = plan.install[1];
    EXPECT_EQ(shm::to_string(a.key), "port0/10.1.1.1:40000");
    EXPECT_EQ(shm::to_string(b.key), "port1/10.2.1.1:50000");
    EXPECT_TRUE(a.partner == b.key);
    EXPECT_TRUE(b.partner == a.key);
    EXPECT_EQ(shm::to_string(a.peer), "192.0.2.10:4000");
    EXPECT_EQ(shm::to_string(b.peer), "198.51.100.20:30000");
    EXPECT_EQ(a.protocol, shm::media_protocol::srtp);
    EXPECT_EQ(b.protocol, shm::media_protocol::rtp);
    EXPECT_EQ(a.latch, shm::latch_policy::srtp_authenticated);
    EXPECT_EQ(b.latch, shm::latch_policy::sdp_address);
    // rx: the client's a=crypto (it decrypts what the client sends); tx: ours from the answer.
    EXPECT_EQ(a.rx.master_key[0], 0x11);
    EXPECT_EQ(a.rx.master_key_len, 16);
    EXPECT_EQ(a.rx.master_salt_len, 14);
    EXPECT_TRUE(srtp::same_key(a.tx, ours));
    EXPECT_EQ(srtp::validate(a.tx), srtp::key_error::none);
    EXPECT_EQ(a.rtcp, shm::rtcp_mode::bypass);
    EXPECT_EQ(a.rtcp_generation_timeout_ms, 4000u);
    EXPECT_EQ(a.idle_timeout_ms, 60000u);
    EXPECT_EQ(a.cookie, 7u << 1);
    EXPECT_EQ(b.cookie, (7u << 1) | 1);
    EXPECT_EQ(a.media_flags, 0);
    EXPECT_EQ(b.clock_rate, 8000u);
    s.commit();
    EXPECT_TRUE(s.media_up());
    EXPECT_FALSE(s.offer_pending());
}

TEST_F(session_test, first_suite_of_the_profile_the_client_offers_is_chosen) {
    auto s = make();
    // The default profile only has _80: the _32 line (offered first) is passed over.
    const std::string ans =
        call(s, test::client_offer(test::crypto32(1, 0x22) + test::crypto80(2, 0x11)));
    const auto c = crypto_of(ans);
    EXPECT_EQ(c.tag, 2u);
    EXPECT_EQ(c.suite, srtp_suite::aes_cm_128_hmac_sha1_80);
    EXPECT_EQ(s.plan().install[0].rx.master_key[0], 0x11);

    // A profile preferring _32 picks the _32 line even when _80 comes first.
    cfg_.media_profiles[0].sdes_suites = {config::srtp_suite::aes_cm_128_hmac_sha1_32,
                                          config::srtp_suite::aes_cm_128_hmac_sha1_80};
    auto s2 = make();
    const std::string ans2 =
        call(s2, test::client_offer(test::crypto80(1, 0x11) + test::crypto32(2, 0x22)));
    EXPECT_EQ(crypto_of(ans2).tag, 2u);
    EXPECT_EQ(crypto_of(ans2).suite, srtp_suite::aes_cm_128_hmac_sha1_32);
}

TEST_F(session_test, srtp_only_profile_rejects_plain_offers_with_488) {
    auto s = make();
    std::string out;
    auto st = s.offer(side::a, test::client_offer("", "", "RTP/AVP"), out);
    EXPECT_EQ(st.code, errc::crypto_required);
    EXPECT_EQ(st.sip_status(), 488);
    EXPECT_FALSE(s.offer_pending());
    EXPECT_TRUE(out.empty());
    // RTP/SAVP without a=crypto is no better.
    st = s.offer(side::a, test::client_offer(""), out);
    EXPECT_EQ(st.code, errc::crypto_required);
}

TEST_F(session_test, rtp_only_profile_rejects_savp_offers_and_ignores_best_effort_crypto) {
    auto s = make("OSV_RTP", "SRTP_SDES", false);
    std::string out;
    auto st = s.offer(side::a, test::client_offer(test::crypto80(1, 1)), out);
    EXPECT_EQ(st.code, errc::srtp_not_allowed);
    EXPECT_EQ(st.sip_status(), 488);
    // RTP/AVP with a=crypto (best-effort SRTP) on an RTP profile: plain RTP, crypto ignored.
    st = s.offer(side::a, test::client_offer(test::crypto80(1, 1), "", "RTP/AVP"), out);
    EXPECT_TRUE(st) << st.message();
}

TEST_F(session_test, codecs_are_filtered_when_unconfigured_codecs_are_not_allowed) {
    auto* p = const_cast<config::media_profile*>(cfg_.find_media_profile("OSV_RTP"));
    p->allow_unconfigured_codecs = false;
    p->codecs = {"pcmu", "telephone-event"};
    auto s = make();
    std::string out;
    ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    auto m = audio(out);
    EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "101"}));
    EXPECT_FALSE(contains(out, "opus"));
    EXPECT_FALSE(contains(out, "PCMA"));
    EXPECT_FALSE(contains(out, "fmtp:111"));

    // Nothing in common: 488 and no pending offer.
    p->codecs = {"G729"};
    auto s2 = make();
    auto st = s2.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out);
    EXPECT_EQ(st.code, errc::no_common_codec);
    EXPECT_EQ(st.sip_status(), 488);
    EXPECT_TRUE(contains(st.message(), "PCMU, PCMA, opus, telephone-event")) << st.message();
    EXPECT_FALSE(s2.offer_pending());
}

TEST_F(session_test, answer_formats_outside_the_offer_are_dropped) {
    auto s = make();
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    // OSV answers PCMU plus a payload type nobody offered.
    auto st = s.answer(side::b, test::osv_sdp("sendrecv", "198.51.100.20", 30000, "0 99"), ans);
    ASSERT_TRUE(st) << st.message();
    EXPECT_EQ(audio(ans).formats, (std::vector<std::string>{"0"}));
    // Only formats nobody offered: 488.
    auto s2 = make();
    ASSERT_TRUE(s2.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    st = s2.answer(side::b, test::osv_sdp("sendrecv", "198.51.100.20", 30000, "99"), ans);
    EXPECT_EQ(st.code, errc::no_common_codec);
}

TEST_F(session_test, rtcp_mux_offered_onward_only_when_the_offerer_muxes) {
    auto s = make();
    std::string out, ans;
    ASSERT_TRUE(
        s.offer(side::a, test::client_offer(test::crypto80(1, 0x11), "a=rtcp-mux\r\n"), out));
    EXPECT_TRUE(audio(out).rtcp_mux());
    // OSV does not mux: the core leg uses port+1, the client leg stays muxed.
    ASSERT_TRUE(s.answer(side::b, test::osv_sdp(), ans));
    EXPECT_TRUE(audio(ans).rtcp_mux());
    auto plan = s.plan();
    EXPECT_EQ(plan.install[0].rtcp_mux, 1);
    EXPECT_EQ(plan.install[1].rtcp_mux, 0);

    auto s2 = make();
    ASSERT_TRUE(s2.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    EXPECT_FALSE(audio(out).rtcp_mux());
    // An answer that muxes what we did not offer muxed is not muxed.
    ASSERT_TRUE(s2.answer(
        side::b, test::osv_sdp("sendrecv", "198.51.100.20", 30000, "0", "a=rtcp-mux\r\n"), ans));
    EXPECT_FALSE(audio(ans).rtcp_mux());
    EXPECT_EQ(s2.plan().install[1].rtcp_mux, 0);
}

TEST_F(session_test, core_offer_to_client_carries_our_keys_for_each_profile_suite) {
    cfg_.media_profiles[0].sdes_suites = {config::srtp_suite::aes_cm_128_hmac_sha1_80,
                                          config::srtp_suite::aes_cm_128_hmac_sha1_32};
    // a = OSV (core), b = softphone (access): a call from OSV to a registered client.
    auto s = make("OSV_RTP", "SRTP_SDES", false);
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::a, test::osv_sdp(), out));
    auto m = audio(out);
    EXPECT_EQ(m.proto, "RTP/SAVP");
    EXPECT_EQ(m.port, 40000);
    const auto lines = m.crypto_lines();
    ASSERT_EQ(lines.size(), 2u);
    const auto c1 = sdp::parse_crypto(lines[0]).value;
    const auto c2 = sdp::parse_crypto(lines[1]).value;
    EXPECT_EQ(c1.tag, 1u);
    EXPECT_EQ(c1.suite, srtp_suite::aes_cm_128_hmac_sha1_80);
    EXPECT_EQ(c2.tag, 2u);
    EXPECT_EQ(c2.suite, srtp_suite::aes_cm_128_hmac_sha1_32);
    EXPECT_NE(c1.keys[0].key, c2.keys[0].key);

    // The client picks tag 2 with its own key: rx = its key, tx = our tag-2 key.
    ASSERT_TRUE(s.answer(
        side::b, test::client_offer(test::crypto32(2, 0x33), "", "RTP/SAVP", "192.0.2.50", 5000),
        ans));
    EXPECT_EQ(audio(ans).proto, "RTP/AVP");
    EXPECT_TRUE(audio(ans).crypto_lines().empty());
    auto plan = s.plan();
    const auto& client = plan.install[1];
    EXPECT_EQ(client.protocol, shm::media_protocol::srtp);
    EXPECT_EQ(client.rx.master_key[0], 0x33);
    EXPECT_EQ(client.rx.suite, shm::srtp_suite::aes_cm_128_hmac_sha1_32);
    EXPECT_TRUE(srtp::same_key(client.tx, to_srtp_key(c2).value()));
}

TEST_F(session_test, client_answer_without_matching_crypto_is_refused) {
    auto s = make("OSV_RTP", "SRTP_SDES", false);
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::a, test::osv_sdp(), out));
    // No crypto at all.
    auto st = s.answer(side::b, test::client_offer("", "", "RTP/AVP"), ans);
    EXPECT_EQ(st.code, errc::crypto_required);
    // A tag we never offered.
    st = s.answer(side::b, test::client_offer(test::crypto80(9, 0x33)), ans);
    EXPECT_EQ(st.code, errc::no_acceptable_crypto);
    // Right tag, other suite.
    st = s.answer(side::b, test::client_offer(test::crypto32(1, 0x33)), ans);
    EXPECT_EQ(st.code, errc::no_acceptable_crypto);
    EXPECT_FALSE(s.answered());
    EXPECT_TRUE(s.offer_pending()) << "a refused answer leaves the offer for the caller to end";
}

TEST_F(session_test, hostile_sdp_gets_precise_400_or_488) {
    struct hostile {
        const char* what;
        std::string body;
        errc code;
        int sip;
    };
    std::string many;
    for (int i = 1; i <= 200; ++i) {
        many += test::crypto80(i, 0x11);
    }
    const std::string short_key = sdp::base64_encode(std::vector<uint8_t>(20, 1));
    const std::vector<hostile> cases = {
        {"malformed crypto", test::client_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n"),
         errc::bad_crypto, 488},
        {"crypto without inline",
         test::client_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80 key:x\r\n"), errc::bad_crypto, 488},
        {"200 crypto lines", test::client_offer(many), errc::bad_crypto, 488},
        {"key of wrong length",
         test::client_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + short_key + "\r\n"),
         errc::bad_crypto, 488},
        {"bad base64",
         test::client_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!!notbase64@@@@\r\n"),
         errc::bad_crypto, 488},
        {"unknown suites only",
         test::client_offer("a=crypto:1 FOO_128 inline:" + test::key_b64(1) + "\r\n"),
         errc::no_acceptable_crypto, 488},
        {"suite the profile does not allow", test::client_offer(test::crypto32(1, 1)),
         errc::no_acceptable_crypto, 488},
        {"port out of range",
         test::client_offer(test::crypto80(1, 1), "", "RTP/SAVP", "192.0.2.10", 70000),
         errc::bad_sdp, 400},
        {"missing c=",
         "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n" +
             test::crypto80(1, 1),
         errc::bad_sdp, 400},
        {"not SDP at all", "hello world", errc::bad_sdp, 400},
        {"no audio",
         "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
         "m=video 4000 RTP/AVP 96\r\n",
         errc::no_audio, 488},
        {"DTLS-SRTP only",
         "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
         "m=audio 4000 UDP/TLS/RTP/SAVPF 0\r\n",
         errc::unsupported_transport, 488},
        {"IPv6 media",
         "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
         "m=audio 4000 RTP/SAVP 0\r\n" +
             test::crypto80(1, 1),
         errc::unsupported_address, 488},
        {"host name media address",
         test::client_offer(test::crypto80(1, 1), "", "RTP/SAVP", "media.example.com"),
         errc::unsupported_address, 488},
        {"UNENCRYPTED_SRTP",
         test::client_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + test::key_b64(1) +
                            " UNENCRYPTED_SRTP\r\n"),
         errc::no_acceptable_crypto, 488},
    };
    for (const auto& c : cases) {
        auto s = make();
        std::string out;
        auto st = s.offer(side::a, c.body, out);
        EXPECT_EQ(st.code, c.code) << c.what << ": " << st.message();
        EXPECT_EQ(st.sip_status(), c.sip) << c.what;
        EXPECT_FALSE(st.message().empty());
        EXPECT_FALSE(s.offer_pending()) << c.what;
        EXPECT_TRUE(out.empty()) << c.what;
        EXPECT_TRUE(s.plan().install.empty()) << c.what;
    }
}

TEST_F(session_test, parser_reason_is_in_the_detail) {
    auto s = make();
    std::string out;
    auto st = s.offer(
        side::a, test::client_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:@@@@\r\n"), out);
    EXPECT_TRUE(contains(st.message(), "base64")) << st.message();
}

TEST_F(session_test, other_streams_are_rejected_and_mirrored_in_the_answer) {
    auto s = make();
    const std::string video =
        "m=video 4002 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\n" + test::crypto80(1, 0x44);
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)) + video, out));
    auto to_core = test::parse_ok(out);
    ASSERT_EQ(to_core.media_sections.size(), 2u);
    EXPECT_EQ(to_core.media_sections[1].type, "video");
    EXPECT_EQ(to_core.media_sections[1].port, 0);
    EXPECT_FALSE(contains(out, "H264")) << "rejected streams carry no attributes";
    ASSERT_TRUE(s.answer(side::b, test::osv_sdp() + "m=video 0 RTP/AVP 96\r\n", ans));
    auto to_client = test::parse_ok(ans);
    ASSERT_EQ(to_client.media_sections.size(), 2u);
    EXPECT_EQ(to_client.media_sections[0].port, 40000);
    EXPECT_EQ(to_client.media_sections[1].port, 0);
    EXPECT_EQ(to_client.media_sections[1].proto, "RTP/SAVP");
    // An answer that drops an m-line does not match the offer.
    auto s2 = make();
    ASSERT_TRUE(s2.offer(side::a, test::client_offer(test::crypto80(1, 0x11)) + video, out));
    EXPECT_EQ(s2.answer(side::b, test::osv_sdp(), ans).code, errc::answer_mismatch);
}

TEST_F(session_test, answer_rejecting_audio_removes_the_flows) {
    auto s = make();
    call(s, test::client_offer(test::crypto80(1, 0x11)));
    s.commit();
    ASSERT_TRUE(s.media_up());
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    ASSERT_TRUE(s.answer(side::b,
                         "v=0\r\no=- 1 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 "
                         "198.51.100.20\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
                         ans));
    EXPECT_EQ(test::parse_ok(ans).media_sections.at(0).port, 0);
    auto plan = s.plan();
    EXPECT_TRUE(plan.install.empty());
    EXPECT_EQ(plan.remove.size(), 2u);
    s.commit();
    EXPECT_FALSE(s.media_up());
}

TEST_F(session_test, glare_second_offer_while_one_is_pending_is_491) {
    auto s = make();
    std::string out;
    ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    auto st = s.offer(side::b, test::osv_sdp(), out);
    EXPECT_EQ(st.code, errc::offer_pending);
    EXPECT_EQ(st.sip_status(), 491);
    s.cancel_offer();
    EXPECT_TRUE(s.offer(side::b, test::osv_sdp(), out));
}

TEST_F(session_test, renegotiation_keeps_ports_and_our_key_when_the_client_key_is_unchanged) {
    auto s = make();
    const std::string first = call(s, test::client_offer(test::crypto80(1, 0x11)));
    s.commit();
    const auto our_first = crypto_of(first);
    // Session refresh: same SDP, same key, new address (the client moved networks).
    std::string out, ans;
    ASSERT_TRUE(s.offer(
        side::a, test::client_offer(test::crypto80(1, 0x11), "", "RTP/SAVP", "192.0.2.99", 6000),
        out));
    EXPECT_EQ(audio(out).port, 50000);
    ASSERT_TRUE(s.answer(side::b, test::osv_sdp(), ans));
    EXPECT_EQ(audio(ans).port, 40000);
    EXPECT_EQ(crypto_of(ans).keys[0].key, our_first.keys[0].key);
    auto plan = s.plan();
    EXPECT_EQ(plan.install[0].key.local_port, 40000);
    EXPECT_EQ(plan.install[1].key.local_port, 50000);
    EXPECT_EQ(shm::to_string(plan.install[0].peer), "192.0.2.99:6000");
}

TEST_F(session_test, client_rekey_renews_our_context_when_configured) {
    auto s = make();
    const auto first = crypto_of(call(s, test::client_offer(test::crypto80(1, 0x11))));
    s.commit();
    const std::string again = call(s, test::client_offer(test::crypto80(1, 0x55)));
    EXPECT_NE(crypto_of(again).keys[0].key, first.keys[0].key);
    auto plan = s.plan();
    EXPECT_EQ(plan.install[0].rx.master_key[0], 0x55);
    EXPECT_TRUE(srtp::same_key(plan.install[0].tx, to_srtp_key(crypto_of(again)).value()));
    s.commit();

    cfg_.media.resend_srtp_context_on_key_change = false;
    auto s2 = make();
    const auto first2 = crypto_of(call(s2, test::client_offer(test::crypto80(1, 0x11))));
    s2.commit();
    const std::string again2 = call(s2, test::client_offer(test::crypto80(1, 0x55)));
    EXPECT_EQ(crypto_of(again2).keys[0].key, first2.keys[0].key);
    EXPECT_EQ(s2.plan().install[0].rx.master_key[0], 0x55);
}

TEST_F(session_test, re_offer_toward_the_client_repeats_our_context) {
    auto s = make();
    const auto ours = crypto_of(call(s, test::client_offer(test::crypto80(3, 0x11))));
    s.commit();
    // OSV re-INVITEs (hold): the offer to the client carries our current context, same tag.
    std::string out;
    ASSERT_TRUE(s.offer(side::b, test::osv_sdp("sendonly"), out));
    const auto c = crypto_of(out);
    EXPECT_EQ(c.tag, 3u);
    EXPECT_EQ(c.keys[0].key, ours.keys[0].key);
    EXPECT_EQ(c.keys[0].salt, ours.keys[0].salt);
}

TEST_F(session_test, hold_by_core_keeps_sendonly_toward_the_client_and_holds_the_core_leg) {
    auto s = make();
    call(s, test::client_offer(test::crypto80(1, 0x11)));
    s.commit();
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::b, test::osv_sdp("sendonly"), out));
    EXPECT_EQ(audio(out).get_direction(), sdp::direction::sendonly);
    ASSERT_TRUE(
        s.answer(side::a,
                 test::client_offer(test::crypto80(1, 0x11))
                     .replace(test::client_offer(test::crypto80(1, 0x11)).find("a=sendrecv"), 10,
                              "a=recvonly"),
                 ans));
    EXPECT_EQ(audio(ans).get_direction(), sdp::direction::recvonly);
    auto plan = s.plan();
    // OSV (sendonly) wants nothing: its leg is held; the client (recvonly) still gets MOH.
    EXPECT_EQ(plan.install[1].media_flags & shm::media_flag::hold, shm::media_flag::hold);
    EXPECT_EQ(plan.install[0].media_flags & shm::media_flag::hold, 0);
    s.commit();
    EXPECT_TRUE(s.held());
    // Resume.
    call(s, test::client_offer(test::crypto80(1, 0x11)));
    EXPECT_EQ(s.plan().install[1].media_flags, 0);
    s.commit();
    EXPECT_FALSE(s.held());
}

TEST_F(session_test, sendonly_toward_a_natted_client_becomes_sendrecv_unless_kept) {
    auto* p = const_cast<config::media_profile*>(cfg_.find_media_profile("SRTP_SDES"));
    p->keep_sendonly_on_nat = false;
    auto s = make();
    shm::ip_address src{};
    shm::parse_ip("203.0.113.7", src);  // signalling from the NAT's public address
    s.set_signalling_source(side::a, src);
    call(s, test::client_offer(test::crypto80(1, 0x11)));  // SDP says 192.0.2.10: NAT
    s.commit();
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::b, test::osv_sdp("sendonly"), out));
    EXPECT_EQ(audio(out).get_direction(), sdp::direction::sendrecv);
    ASSERT_TRUE(s.answer(side::a, test::client_offer(test::crypto80(1, 0x11)), ans));
    EXPECT_EQ(audio(ans).get_direction(), sdp::direction::recvonly)
        << "the offerer gets the answer its sendonly offer allows";
    s.cancel_offer();

    // keep_sendonly_on_nat = true (the Zoom profile): sendonly reaches the client.
    p->keep_sendonly_on_nat = true;
    auto s2 = make();
    s2.set_signalling_source(side::a, src);
    call(s2, test::client_offer(test::crypto80(1, 0x11)));
    s2.commit();
    ASSERT_TRUE(s2.offer(side::b, test::osv_sdp("sendonly"), out));
    EXPECT_EQ(audio(out).get_direction(), sdp::direction::sendonly);
}

TEST_F(session_test, c_zero_hold_becomes_a_direction_and_keeps_the_last_peer) {
    auto s = make();
    call(s, test::client_offer(test::crypto80(1, 0x11)));
    s.commit();
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::b, test::osv_sdp("sendrecv", "0.0.0.0"), out));
    EXPECT_EQ(audio(out).get_direction(), sdp::direction::sendonly);
    EXPECT_FALSE(contains(out, "0.0.0.0"));
    ASSERT_TRUE(s.answer(side::a, test::client_offer(test::crypto80(1, 0x11)), ans));
    auto plan = s.plan();
    EXPECT_EQ(shm::to_string(plan.install[1].peer), "198.51.100.20:30000");
    EXPECT_EQ(plan.install[1].media_flags & shm::media_flag::hold, shm::media_flag::hold);
    s.commit();
    EXPECT_TRUE(s.held());
}

TEST_F(session_test, inactive_hold_by_the_client) {
    auto s = make();
    call(s, test::client_offer(test::crypto80(1, 0x11)));
    s.commit();
    std::string offer = test::client_offer(test::crypto80(1, 0x11));
    offer.replace(offer.find("a=sendrecv"), 10, "a=inactive");
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::a, offer, out));
    EXPECT_EQ(audio(out).get_direction(), sdp::direction::inactive);
    ASSERT_TRUE(s.answer(side::b, test::osv_sdp("inactive"), ans));
    EXPECT_EQ(audio(ans).get_direction(), sdp::direction::inactive);
    auto plan = s.plan();
    EXPECT_NE(plan.install[0].media_flags & shm::media_flag::hold, 0);
    EXPECT_NE(plan.install[1].media_flags & shm::media_flag::hold, 0);
}

TEST_F(session_test, origin_version_grows_only_when_the_sdp_changes) {
    auto s = make();
    std::string a1 = call(s, test::client_offer(test::crypto80(1, 0x11)));
    s.commit();
    std::string a2 = call(s, test::client_offer(test::crypto80(1, 0x11)));
    s.commit();
    EXPECT_EQ(test::parse_ok(a1).orig.session_version, test::parse_ok(a2).orig.session_version);
    EXPECT_EQ(test::parse_ok(a1).orig.session_id, test::parse_ok(a2).orig.session_id);
    std::string a3 =
        call(s, test::client_offer(test::crypto80(1, 0x11)), test::osv_sdp("recvonly"));
    EXPECT_EQ(std::stoull(test::parse_ok(a3).orig.session_version),
              std::stoull(test::parse_ok(a2).orig.session_version) + 1);
}

TEST_F(session_test, repeated_answer_for_the_same_offer_is_accepted) {
    // 183 with SDP then 200 with the same SDP (RFC 3261 §13.2.1).
    auto s = make();
    std::string out, early, final_answer;
    ASSERT_TRUE(s.offer(side::a, test::client_offer(test::crypto80(1, 0x11)), out));
    ASSERT_TRUE(s.answer(side::b, test::osv_sdp(), early));
    s.commit();
    ASSERT_TRUE(s.answer(side::b, test::osv_sdp(), final_answer));
    EXPECT_EQ(early, final_answer);
    // But the offerer cannot answer its own offer.
    EXPECT_EQ(s.answer(side::a, test::osv_sdp(), out).code, errc::no_offer);
}

TEST_F(session_test, best_effort_leg_gets_avp_with_crypto_and_may_answer_plain) {
    cfg_.media_profiles.push_back(*cfg_.find_media_profile("SRTP_SDES"));
    cfg_.media_profiles.back().name = "BEST";
    cfg_.media_profiles.back().protocol = config::media_protocol::best_effort;
    auto s = make("OSV_RTP", "BEST", false);
    std::string out, ans;
    ASSERT_TRUE(s.offer(side::a, test::osv_sdp(), out));
    EXPECT_EQ(audio(out).proto, "RTP/AVP");
    EXPECT_EQ(audio(out).crypto_lines().size(), 1u);
    ASSERT_TRUE(s.answer(side::b, test::client_offer("", "", "RTP/AVP"), ans));
    EXPECT_EQ(s.plan().install[1].protocol, shm::media_protocol::rtp);
}

TEST(proto_for, keeps_feedback_profiles) {
    config::media_profile srtp, rtp;
    srtp.protocol = config::media_protocol::srtp;
    rtp.protocol = config::media_protocol::rtp;
    EXPECT_EQ(proto_for(srtp, "RTP/AVP"), "RTP/SAVP");
    EXPECT_EQ(proto_for(srtp, "RTP/AVPF"), "RTP/SAVPF");
    EXPECT_EQ(proto_for(rtp, "RTP/SAVPF"), "RTP/AVPF");
    EXPECT_EQ(proto_for(rtp, "RTP/SAVP"), "RTP/AVP");
}
