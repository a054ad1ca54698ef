// Registrations across an sbcd restart (issue 15) in one process: the registrar writes every
// binding OSV accepted into a real journal on disk and erases it when it dies; a new sip_service
// (the restarted sbcd) on the same ports reads them back. Real TLS clients, fake OSV nodes (as in
// registrar_relay_test.cpp). The restored bindings have no flow until their clients reconnect
// and re-register (RFC 5626 §4.4): OSV's requests meanwhile get what a dropped flow gets.
#include <gtest/gtest.h>

#include "controlplane/binding_record.hpp"
#include "controlplane/state/journal_store.hpp"
#include "sip/ids.hpp"
#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

using state::journal_store;
using state::record_kind;

class RegistrarRestore : public ::testing::Test {
  protected:
    void SetUp() override {
        // Each start (the first and every restart) opens the journal anew, as a new sbcd would.
        f.before_start = [this](sip_service& s) {
            store.reset();
            auto opened = journal_store::open(f.dir.file("state"));
            ASSERT_TRUE(opened) << opened.error().message();
            store = std::move(opened.value());
            s.registrar().use_store(store.get());
            restored = s.registrar().restore(s.subnets());
        };
        ASSERT_TRUE(f.start()) << f.start_error;
    }

    const binding* by_aor(std::string_view aor) {
        auto v = f.sbc->bindings().by_aor(aor);
        return v.size() == 1 ? v.front() : nullptr;
    }

    std::string core_request(std::string_view method, const std::string& token_contact) {
        std::string m = std::string(method) + " sip:" + token_contact.substr(4) + " SIP/2.0\r\n";
        m += "Via: SIP/2.0/TCP 127.0.0.2:5060;branch=" + sip::make_branch() + "\r\n";
        m += "Max-Forwards: 69\r\n";
        m += "From: <sip:bob@pbx.local>;tag=osvtag\r\n";
        m += "To: <sip:alice@pbx.local>\r\n";
        m += "Call-ID: osv-" + sip::make_branch() + "@192.0.2.77\r\n";
        m += "CSeq: 1 " + std::string(method) + "\r\n";
        m += "Contact: <sip:bob@192.0.2.77:5060;transport=tcp>\r\n";
        m += "Content-Length: 0\r\n\r\n";
        return m;
    }

    std::optional<received> osv_final() { return f.osv[0]->final_response(); }

    // Before the fixture: the registrar of f.sbc points at it until the end.
    std::unique_ptr<journal_store> store;
    std::size_t restored = 0;
    sbc_fixture f;
};

TEST_F(RegistrarRestore, BindingsAreWrittenErasedAndRestoredWithoutAFlow) {
    EXPECT_EQ(restored, 0u);
    auto alice = f.client("127.0.0.5");
    ASSERT_TRUE(f.register_client(*alice, {}));
    auto mobile = f.client("127.0.0.6");
    register_params m;
    m.user = "bob";
    m.call_id = "bob@mobile";
    m.contact_params = ";pn-provider=apns;pn-prid=dev1";
    ASSERT_TRUE(f.register_client(*mobile, m));
    auto carol = f.client("127.0.0.7");
    register_params c;
    c.user = "carol";
    c.call_id = "carol@desk";
    ASSERT_TRUE(f.register_client(*carol, c));
    EXPECT_EQ(store->size(), 3u);

    // Carol de-registers: her record goes with her binding.
    c.cseq = 3;
    c.credentials = true;
    c.expires = "0";
    const auto before = carol->response_count();
    carol->send(sip::transport_type::tls, f.access_tls, make_register(*carol, c));
    ASSERT_TRUE(f.run_until([&] { return carol->response_count() > before; }));
    ASSERT_EQ(carol->last_response()->msg().status_code(), 200);
    EXPECT_EQ(store->size(), 2u);

    const std::string alice_token = by_aor("sip:alice@pbx.local")->token;
    const std::string bob_token = by_aor("sip:bob@pbx.local")->token;
    const auto osv_registers = f.osv[0]->count("REGISTER");

    ASSERT_TRUE(f.restart()) << f.start_error;
    EXPECT_EQ(restored, 2u);
    EXPECT_EQ(f.sbc->bindings().active(), 2u);
    const binding* a = by_aor("sip:alice@pbx.local");
    const binding* b = by_aor("sip:bob@pbx.local");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(a->token, alice_token);  // OSV still routes to it
    EXPECT_EQ(b->token, bob_token);
    EXPECT_FALSE(a->live_flow());  // the TLS connections died with the sbcd before
    EXPECT_FALSE(b->live_flow());
    EXPECT_EQ(b->push, push_device("apns", "dev1", ""));
    EXPECT_EQ(a->user_agent, "ZoomPbxPhone/6.0 (Windows)");
    EXPECT_GT(a->client_expires_at, f.loop.now() + std::chrono::seconds(200));
    EXPECT_EQ(f.osv[0]->count("REGISTER"), osv_registers);  // nothing said to OSV

    // OSV calls the restored push client before it woke: what a detached push binding gets.
    std::string bob_contact, alice_contact;
    for (const auto& [uri, e] : f.osv[0]->location) {
        (uri.find(bob_token) != std::string::npos ? bob_contact : alice_contact) = uri;
    }
    ASSERT_FALSE(alice_contact.empty());
    f.osv[0]->send(core_request("INVITE", bob_contact), f.core);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->msg().status_code(), 480);

    // Alice reconnects and re-registers: the same binding (same token at OSV) gets her new flow.
    register_params again;
    again.cseq = 5;
    ASSERT_TRUE(f.register_client(*alice, again));
    a = by_aor("sip:alice@pbx.local");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->token, alice_token);
    EXPECT_TRUE(a->live_flow());
    EXPECT_EQ(f.osv[0]->location.size(), 2u);
    // Requests to her token reach her down the new connection again.
    f.osv[0]->responses.clear();
    f.osv[0]->send(core_request("OPTIONS", alice_contact), f.core);
    ASSERT_TRUE(f.run_until([&] { return osv_final().has_value(); }));
    EXPECT_EQ(osv_final()->msg().status_code(), 200);
    EXPECT_FALSE(alice->requests().empty());
}

TEST_F(RegistrarRestore, BadExpiredAndForeignRecordsAreSkippedAndErased) {
    auto alice = f.client("127.0.0.5");
    ASSERT_TRUE(f.register_client(*alice, {}));
    const std::string token = by_aor("sip:alice@pbx.local")->token;
    ASSERT_EQ(store->size(), 1u);

    // What the sbcd before could have left: a record it did not write, one of a node this config
    // no longer has, one that expired while sbcd was down, one filed under another token.
    const clock_pair now = clock_pair::now();
    durable_binding d =
        to_durable(*by_aor("sip:alice@pbx.local"), f.sbc->trunk().node(0).cfg.name, now);
    ASSERT_TRUE(store->put(record_kind::binding, "sbcfGARBAGE\xff\n", "\x01\x02garbage"));
    durable_binding gone = d;
    gone.token = "sbcf" + std::string(20, 'G');
    gone.aor = "sip:gone@pbx.local";
    gone.node = "osv-that-was-removed";
    ASSERT_TRUE(store->put(record_kind::binding, gone.token, encode_binding(gone)));
    durable_binding expired = d;
    expired.token = "sbcf" + std::string(20, 'E');
    expired.aor = "sip:expired@pbx.local";
    expired.client_expires_at = now.wall - std::chrono::seconds(1);
    ASSERT_TRUE(store->put(record_kind::binding, expired.token, encode_binding(expired)));
    durable_binding misfiled = d;
    misfiled.token = "sbcf" + std::string(20, 'M');
    misfiled.aor = "sip:misfiled@pbx.local";
    ASSERT_TRUE(
        store->put(record_kind::binding, "sbcf" + std::string(20, 'X'), encode_binding(misfiled)));
    ASSERT_EQ(store->size(), 5u);

    ASSERT_TRUE(f.restart()) << f.start_error;
    EXPECT_EQ(restored, 1u);
    EXPECT_EQ(f.sbc->bindings().size(), 1u);
    ASSERT_NE(by_aor("sip:alice@pbx.local"), nullptr);
    EXPECT_EQ(by_aor("sip:alice@pbx.local")->token, token);
    EXPECT_EQ(store->size(), 1u);  // the four are gone from the journal too
}

}  // namespace
}  // namespace sbc::cp::test
