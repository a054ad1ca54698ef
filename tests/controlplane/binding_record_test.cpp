// A binding as the state store keeps it (issue 15): what is written reads back the same, and a
// record that is not one we wrote — cut short at any byte, any byte changed, another version,
// trailing bytes, a bad token, oversize lengths, random bytes — is refused with a reason, never
// read past its end (ASan build) and never thrown.
#include "controlplane/binding_record.hpp"

#include <gtest/gtest.h>

#include <random>

#include "controlplane/state/record_codec.hpp"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

durable_binding sample() {
    durable_binding d;
    d.token = "sbcf0123456789abcdefghij";
    d.aor = "sip:alice@pbx.local";
    d.instance = "\"<urn:uuid:00000000-0000-0000-0000-00000000000a>\"";
    d.contact = "sip:alice@192.0.2.10:50123;transport=tls";
    d.user_agent = "ZoomPbxPhone/6.0 (Windows) \xc3\xa9";
    d.pn_provider = "apns";
    d.pn_prid = "3a8e6f7c0011";
    d.pn_param = "com.zoom.phone.voip";
    d.call_id = "c1@client";
    d.credentials = "Authorization: Digest username=\"alice\"\r\n";
    d.core_call_id = "core-1";
    d.core_from_tag = "ft1";
    d.node = "osv-1";
    d.remote = "192.0.2.10:50123";
    d.transport = sip::transport_type::tls;
    const auto t = std::chrono::system_clock::time_point(1'800'000'000'123ms);
    d.client_expires_at = t + 300s;
    d.osv_refreshed_at = t;
    d.osv_expires_at = t + 3600s;
    d.cseq = 7;
    d.core_cseq = 12;
    d.reg_id = 1;
    d.throttled = true;
    d.outbound = true;
    return d;
}

void expect_same(const durable_binding& a, const durable_binding& b) {
    EXPECT_EQ(a.token, b.token);
    EXPECT_EQ(a.aor, b.aor);
    EXPECT_EQ(a.instance, b.instance);
    EXPECT_EQ(a.contact, b.contact);
    EXPECT_EQ(a.user_agent, b.user_agent);
    EXPECT_EQ(a.pn_provider, b.pn_provider);
    EXPECT_EQ(a.pn_prid, b.pn_prid);
    EXPECT_EQ(a.pn_param, b.pn_param);
    EXPECT_EQ(a.call_id, b.call_id);
    EXPECT_EQ(a.credentials, b.credentials);
    EXPECT_EQ(a.core_call_id, b.core_call_id);
    EXPECT_EQ(a.core_from_tag, b.core_from_tag);
    EXPECT_EQ(a.node, b.node);
    EXPECT_EQ(a.remote, b.remote);
    EXPECT_EQ(a.transport, b.transport);
    EXPECT_EQ(a.client_expires_at, b.client_expires_at);
    EXPECT_EQ(a.osv_refreshed_at, b.osv_refreshed_at);
    EXPECT_EQ(a.osv_expires_at, b.osv_expires_at);
    EXPECT_EQ(a.cseq, b.cseq);
    EXPECT_EQ(a.core_cseq, b.core_cseq);
    EXPECT_EQ(a.reg_id, b.reg_id);
    EXPECT_EQ(a.throttled, b.throttled);
    EXPECT_EQ(a.outbound, b.outbound);
}

TEST(BindingRecord, RoundTrips) {
    const durable_binding d = sample();
    auto back = decode_binding(encode_binding(d));
    ASSERT_TRUE(back) << back.error().message();
    expect_same(d, *back);

    durable_binding plain = sample();
    plain.pn_provider.clear();
    plain.pn_prid.clear();
    plain.pn_param.clear();
    plain.instance.clear();
    plain.transport = sip::transport_type::udp;
    plain.remote = "[2001:db8::1]:5060";
    plain.throttled = plain.outbound = false;
    auto back2 = decode_binding(encode_binding(plain));
    ASSERT_TRUE(back2) << back2.error().message();
    expect_same(plain, *back2);
}

TEST(BindingRecord, ClockPairKeepsDeadlinesAcrossProcesses) {
    // The writer's steady clock and the reader's differ; the wall-clock deadline is what carries.
    const clock_pair writer{sip::time_point(1000s), std::chrono::system_clock::time_point(5000s)};
    const clock_pair reader{sip::time_point(7s), std::chrono::system_clock::time_point(5100s)};
    const sip::time_point deadline = writer.steady + 300s;
    const auto wall = writer.to_wall(deadline);
    EXPECT_EQ(wall, std::chrono::system_clock::time_point(5300s));
    EXPECT_EQ(reader.to_steady(wall), reader.steady + 200s);  // 100 s passed meanwhile
}

TEST(BindingRecord, EveryTruncationIsRefused) {
    const std::string full = encode_binding(sample());
    for (size_t n = 0; n < full.size(); ++n) {
        auto r = decode_binding(std::string_view(full).substr(0, n));
        ASSERT_FALSE(r) << "accepted a record cut to " << n << " bytes";
        EXPECT_FALSE(r.error().message().empty());
    }
}

TEST(BindingRecord, TrailingBytesAnotherVersionAndBadFieldsAreRefused) {
    const std::string full = encode_binding(sample());
    auto extra = decode_binding(full + "x");
    ASSERT_FALSE(extra);
    EXPECT_NE(extra.error().message().find("left over"), std::string::npos);

    std::string newer = full;
    newer[0] = 2;
    auto v = decode_binding(newer);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message().find("version 2"), std::string::npos);

    durable_binding bad = sample();
    bad.token = "sbcf0123456789abcdefgh\n\x01";  // right length, not base62
    EXPECT_FALSE(decode_binding(encode_binding(bad)));
    bad = sample();
    bad.token = "not-a-token";
    EXPECT_FALSE(decode_binding(encode_binding(bad)));
    bad = sample();
    bad.aor.clear();
    EXPECT_FALSE(decode_binding(encode_binding(bad)));
    bad = sample();
    bad.remote = "\xff\xfe not an address";
    EXPECT_FALSE(decode_binding(encode_binding(bad)));
    bad = sample();
    bad.pn_prid.clear();
    EXPECT_FALSE(decode_binding(encode_binding(bad)));
    bad = sample();
    bad.pn_prid.assign(max_pn_prid_bytes + 1, 'a');
    EXPECT_FALSE(decode_binding(encode_binding(bad)));
    bad = sample();
    bad.osv_expires_at = std::chrono::system_clock::time_point::max();  // overflows converted
    auto far = decode_binding(encode_binding(bad));
    ASSERT_FALSE(far);
    EXPECT_NE(far.error().message().find("ms from 1970"), std::string::npos);

    // A transport byte out of range, a flag that is not 0/1.
    std::string t = full;
    const size_t transport_at = full.size() - (1 + 3 * 8 + 3 * 4 + 2);
    t[transport_at] = 9;
    auto rt = decode_binding(t);
    ASSERT_FALSE(rt);
    EXPECT_NE(rt.error().message().find("transport 9"), std::string::npos);
    std::string f = full;
    f.back() = 2;
    EXPECT_FALSE(decode_binding(f));
}

TEST(BindingRecord, HugeLengthsAreRefusedWithoutAllocating) {
    state::record_writer w;
    w.u8(binding_record_version);
    w.u32(0xffffffffu);  // a string "of 4 GiB"
    auto r = decode_binding(w.take());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("4294967295 bytes"), std::string::npos);
}

TEST(BindingRecord, RandomAndFlippedBytesNeverCrash) {
    std::mt19937 rng(15);
    const std::string full = encode_binding(sample());
    size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string s = full;
        if (i % 2 == 0) {
            s[rng() % s.size()] = static_cast<char>(rng());
        } else {
            s.resize(rng() % 200);
            for (char& c : s) {
                c = static_cast<char>(rng());
            }
        }
        auto r = decode_binding(s);
        accepted += r ? 1 : 0;
        if (!r) {
            EXPECT_FALSE(r.error().message().empty());
        }
    }
    // A flipped byte inside a free-text field still decodes (the journal's CRC catches damage);
    // random garbage never does.
    EXPECT_LT(accepted, 10000u);
}

}  // namespace
}  // namespace sbc::cp
