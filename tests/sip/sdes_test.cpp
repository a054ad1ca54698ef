// a=crypto (RFC 4568): suites, key-params, session params, hostile lines. The mapping onto the
// dataplane's keys is the control plane's (tests/controlplane/media/sdes_keys_test.cpp).
#include <gtest/gtest.h>

#include "sip/sdes.hpp"

namespace sbc::sip::sdp {
namespace {

// RFC 4568 §9.2 example key: 30 bytes (16 key + 14 salt).
constexpr const char* key30 = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

TEST(Sdes, ParsesRfcExample) {
    auto r = parse_crypto(std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + "|2^20|1:4");
    ASSERT_TRUE(r.ok()) << error_name(r.err);
    EXPECT_EQ(r.value.tag, 1u);
    EXPECT_EQ(r.value.suite, srtp_suite::aes_cm_128_hmac_sha1_80);
    ASSERT_EQ(r.value.keys.size(), 1u);
    const key_param& k = r.value.keys[0];
    EXPECT_EQ(k.key.size(), 16u);
    EXPECT_EQ(k.salt.size(), 14u);
    EXPECT_EQ(k.lifetime, uint64_t(1) << 20);
    EXPECT_TRUE(k.lifetime_power_of_two);
    EXPECT_EQ(k.mki, 1u);
    EXPECT_EQ(k.mki_length, 4);
    EXPECT_EQ(format_crypto(r.value),
              std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + "|2^20|1:4");
}

TEST(Sdes, LifetimeForms) {
    auto dec = parse_crypto(std::string("2 AES_CM_128_HMAC_SHA1_32 inline:") + key30 + "|1048576");
    ASSERT_TRUE(dec.ok());
    EXPECT_EQ(dec.value.keys[0].lifetime, 1048576u);
    EXPECT_FALSE(dec.value.keys[0].lifetime_power_of_two);
    auto mki_only = parse_crypto(std::string("3 AES_CM_128_HMAC_SHA1_32 inline:") + key30 + "|7:1");
    ASSERT_TRUE(mki_only.ok());
    EXPECT_FALSE(mki_only.value.keys[0].lifetime.has_value());
    EXPECT_EQ(mki_only.value.keys[0].mki, 7u);
}

TEST(Sdes, SeveralKeyParamsAndSessionParams) {
    std::string v = std::string("5 AES_CM_128_HMAC_SHA1_80 inline:") + key30 +
                    "|2^20|1:4;inline:" + key30 +
                    "|2^20|2:4 KDR=23 UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP "
                    "UNENCRYPTED_SRTP WSH=128 FEC_ORDER=FEC_SRTP -X-FUTURE=1";
    auto r = parse_crypto(v);
    ASSERT_TRUE(r.ok()) << error_name(r.err);
    EXPECT_EQ(r.value.keys.size(), 2u);
    EXPECT_EQ(r.value.keys[1].mki, 2u);
    EXPECT_EQ(r.value.kdr, 23);
    EXPECT_TRUE(r.value.unencrypted_srtcp);
    EXPECT_TRUE(r.value.unencrypted_srtp);
    EXPECT_TRUE(r.value.unauthenticated_srtp);
    EXPECT_EQ(r.value.wsh, 128u);
    EXPECT_EQ(r.value.session_params.size(), 7u);
    EXPECT_EQ(format_crypto(r.value), v);
}

TEST(Sdes, AllSuitesByNameWithKeyLengths) {
    struct s {
        const char* name;
        srtp_suite suite;
        std::size_t bytes;
        bool runnable;  // the dataplane runs it (the one suite table says so)
    };
    const s all[] = {
        {"AES_CM_128_HMAC_SHA1_80", srtp_suite::aes_cm_128_hmac_sha1_80, 30, true},
        {"AES_CM_128_HMAC_SHA1_32", srtp_suite::aes_cm_128_hmac_sha1_32, 30, true},
        {"F8_128_HMAC_SHA1_80", srtp_suite::f8_128_hmac_sha1_80, 30, false},
        {"AES_192_CM_HMAC_SHA1_80", srtp_suite::aes_192_cm_hmac_sha1_80, 38, false},
        {"AES_192_CM_HMAC_SHA1_32", srtp_suite::aes_192_cm_hmac_sha1_32, 38, false},
        {"AES_256_CM_HMAC_SHA1_80", srtp_suite::aes_256_cm_hmac_sha1_80, 46, true},
        {"AES_256_CM_HMAC_SHA1_32", srtp_suite::aes_256_cm_hmac_sha1_32, 46, true},
        {"AEAD_AES_128_GCM", srtp_suite::aead_aes_128_gcm, 28, true},
        {"AEAD_AES_256_GCM", srtp_suite::aead_aes_256_gcm, 44, true},
    };
    EXPECT_EQ(std::size(all), std::size(srtp_suites));
    for (const s& x : all) {
        std::vector<uint8_t> bytes(x.bytes);
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            bytes[i] = uint8_t(i * 7 + 1);
        }
        std::string line = "9 " + std::string(x.name) + " inline:" + base64_encode(bytes);
        auto r = parse_crypto(line);
        ASSERT_TRUE(r.ok()) << x.name << " " << error_name(r.err);
        EXPECT_EQ(r.value.suite, x.suite);
        EXPECT_EQ(srtp_suite_name(x.suite), x.name);
        EXPECT_EQ(dataplane_runs(x.suite), x.runnable) << x.name;
        ASSERT_EQ(r.value.keys.size(), 1u);
        EXPECT_EQ(r.value.keys[0].key.size() + r.value.keys[0].salt.size(), x.bytes);
        EXPECT_EQ(r.value.keys[0].key[0], 1);
        // Wrong length for this suite.
        bytes.push_back(0);
        EXPECT_EQ(parse_crypto("9 " + std::string(x.name) + " inline:" + base64_encode(bytes)).err,
                  error::crypto_bad_key_length);
    }
}

TEST(Sdes, UnknownSuiteKeptVerbatim) {
    auto r = parse_crypto("3 NEW_SUITE_2030 inline:abc|xyz -FOO");
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value.known_suite());
    EXPECT_EQ(r.value.suite_text, "NEW_SUITE_2030");
    EXPECT_EQ(format_crypto(r.value), "3 NEW_SUITE_2030 inline:abc|xyz -FOO");
}

TEST(Sdes, OwnKeyLineRoundTrips) {
    std::vector<uint8_t> key(16, 0xAB), salt(14, 0xCD);
    std::string line = format_crypto(1, srtp_suite::aes_cm_128_hmac_sha1_80, key, salt);
    auto r = parse_crypto(line);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.keys[0].key, key);
    EXPECT_EQ(r.value.keys[0].salt, salt);
}

TEST(Sdes, ChooseAndListChecks) {
    media m;
    m.add_attribute(
        "crypto", "1 AES_256_CM_HMAC_SHA1_80 inline:" + base64_encode(std::vector<uint8_t>(46, 1)));
    m.add_attribute("crypto", std::string("2 AES_CM_128_HMAC_SHA1_80 inline:") + key30);
    m.add_attribute("crypto", "3 F8_128_HMAC_SHA1_80 inline:" + std::string(key30));
    auto list = parse_crypto_lines(m);
    ASSERT_TRUE(list.ok());
    // Preference order decides; which suites the SBC can run is the caller's filter.
    const srtp_suite pref[] = {srtp_suite::aes_cm_128_hmac_sha1_80,
                               srtp_suite::f8_128_hmac_sha1_80};
    const crypto_attribute* c = choose_crypto(list.value, pref);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->tag, 2u);
    const srtp_suite none_offered[] = {srtp_suite::aead_aes_128_gcm};
    EXPECT_EQ(choose_crypto(list.value, none_offered), nullptr);

    media dup;
    dup.add_attribute("crypto", std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30);
    dup.add_attribute("crypto", std::string("1 AES_CM_128_HMAC_SHA1_32 inline:") + key30);
    EXPECT_EQ(parse_crypto_lines(dup).err, error::crypto_duplicate_tag);

    media unknown;
    unknown.add_attribute("crypto", "1 FOO inline:x");
    unknown.add_attribute("crypto", "2 BAR inline:y");
    EXPECT_EQ(parse_crypto_lines(unknown).err, error::crypto_no_known_suite);

    media many;
    for (int i = 1; i <= 200; ++i) {
        many.add_attribute("crypto",
                           std::to_string(i) + " AES_CM_128_HMAC_SHA1_80 inline:" + key30);
    }
    EXPECT_EQ(parse_crypto_lines(many).err, error::too_many_crypto);
}

struct bad_crypto {
    const char* value;
    error expected;
};

class HostileCrypto : public ::testing::TestWithParam<bad_crypto> {};

TEST_P(HostileCrypto, Rejected) {
    EXPECT_EQ(error_name(parse_crypto(GetParam().value).err), error_name(GetParam().expected))
        << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(
    All, HostileCrypto,
    ::testing::Values(
        bad_crypto{"", error::malformed_crypto}, bad_crypto{"1", error::malformed_crypto},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80", error::malformed_crypto},
        bad_crypto{"x AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
                   error::malformed_crypto},
        bad_crypto{
            "1000000000 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
            error::malformed_crypto},
        bad_crypto{"1 AES-CM inline:x", error::malformed_crypto},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 uri:http://x", error::malformed_crypto},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:", error::crypto_bad_base64},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVu",
                   error::crypto_bad_key_length},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGV",
                   error::crypto_bad_base64},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNf=X19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
                   error::crypto_bad_base64},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzA",
                   error::crypto_bad_base64},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^49",
                   error::crypto_bad_lifetime},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^x",
                   error::crypto_bad_lifetime},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:0",
                   error::crypto_bad_mki},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|256:1",
            error::crypto_bad_mki},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:4|2^20",
            error::crypto_bad_lifetime},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1|2|3",
            error::malformed_crypto},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz;"
                   "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
                   error::crypto_bad_mki},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz KDR=25",
            error::crypto_bad_session_param},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz WSH=10",
            error::crypto_bad_session_param},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz FEC_ORDER=X",
            error::crypto_bad_session_param},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz FEC_KEY=x",
            error::crypto_bad_session_param},
        // RFC 4568 §6.3.7: an unknown session parameter without "-" makes the line invalid.
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz NEW_PARAM",
            error::crypto_unknown_session_param},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz -",
                   error::crypto_unknown_session_param},
        // MKI: length 1..128, value fits the length.
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:129",
            error::crypto_bad_mki},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|65536:2",
            error::crypto_bad_mki},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 "
                   "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|4294967296:4",
                   error::crypto_bad_mki},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1x:4",
                   error::crypto_bad_mki},
        bad_crypto{"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|:4",
                   error::crypto_bad_mki},
        bad_crypto{
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:0004",
            error::crypto_bad_mki}));

// RFC 4568 §9.2: mki-length is 1..128 bytes. Every length parses; the value must fit it; values
// beyond 32 bits are kept as written (which MKIs the dataplane runs is the control plane's:
// tests/controlplane/media/sdes_keys_test.cpp).
TEST(Sdes, MkiLengthsUpTo128Bytes) {
    const std::string prefix = std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + "|";
    for (unsigned length = 1; length <= 128; ++length) {
        auto r = parse_crypto(prefix + "1:" + std::to_string(length));
        ASSERT_TRUE(r.ok()) << length << " " << error_name(r.err);
        EXPECT_EQ(r.value.keys[0].mki_length, length);
        EXPECT_EQ(r.value.keys[0].mki, 1u);
        EXPECT_EQ(format_crypto(r.value), prefix + "1:" + std::to_string(length));
    }
    // The 32-byte MKI with a value beyond 64 bits: 2^200.
    const std::string big = "1606938044258990275541962092341162602522202993782792835301376";
    auto r = parse_crypto(prefix + big + ":32");
    ASSERT_TRUE(r.ok()) << error_name(r.err);
    EXPECT_EQ(r.value.keys[0].mki_length, 32);
    EXPECT_FALSE(r.value.keys[0].mki.has_value());
    EXPECT_EQ(r.value.keys[0].mki_value, big);
    EXPECT_EQ(format_crypto(r.value), prefix + big + ":32");
    // 2^200 needs 26 bytes: 25 are too few.
    EXPECT_EQ(parse_crypto(prefix + big + ":25").err, error::crypto_bad_mki);
    EXPECT_TRUE(parse_crypto(prefix + big + ":26").ok());
    // The largest 128-byte value (2^1024 - 1) fits; 2^1024 does not.
    const std::string max1024 =
        "1797693134862315907729305190789024733617976978942306572734300811577326758055009631327084"
        "7732240753602112011387987139335765878976881441662249284743063947412437776789342486548527"
        "6302219601246094119453082952085005768838150682342462881473913110540827237163350510684586"
        "298239947245938479716304835356329624224137215";
    ASSERT_EQ(max1024.size(), 309u);
    EXPECT_TRUE(parse_crypto(prefix + max1024 + ":128").ok());
    std::string over = max1024;
    over.back() = '6';  // 2^1024
    EXPECT_EQ(parse_crypto(prefix + over + ":128").err, error::crypto_bad_mki);
    EXPECT_EQ(parse_crypto(prefix + "1" + max1024 + ":128").err, error::crypto_bad_mki);
    // Leading zeros are a decimal value like any other and are written back as given.
    auto zeros = parse_crypto(prefix + "0007:1");
    ASSERT_TRUE(zeros.ok());
    EXPECT_EQ(zeros.value.keys[0].mki, 7u);
    EXPECT_EQ(format_crypto(zeros.value), prefix + "0007:1");
}

TEST(Sdes, GracefulSessionParametersAndFecKey) {
    const std::string line = std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30;
    auto graceful = parse_crypto(line + " -NEW_OPTIONAL=1 -X");
    ASSERT_TRUE(graceful.ok()) << error_name(graceful.err);
    EXPECT_EQ(graceful.value.session_params, (std::vector<std::string>{"-NEW_OPTIONAL=1", "-X"}));
    auto fec = parse_crypto(line + " FEC_KEY=inline:" + key30 + "|2^20|1:4");
    ASSERT_TRUE(fec.ok()) << error_name(fec.err);
    EXPECT_EQ(fec.value.session_params.size(), 1u);
    // FEC_KEY key-params must fit the suite like the line's own.
    EXPECT_EQ(
        parse_crypto(line + " FEC_KEY=inline:" + base64_encode(std::vector<uint8_t>(20, 1))).err,
        error::crypto_bad_session_param);
}

// An offer whose first line is invalid (an unknown session parameter, a bad MKI, garbage) still
// gets its next valid line chosen; only when no line is valid does the list fail, with the first
// line's fault.
TEST(Sdes, InvalidLinesAreSkippedAndTheNextValidOneIsChosen) {
    media m;
    m.add_attribute(
        "crypto", std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + " UNKNOWN_MANDATORY");
    m.add_attribute("crypto", std::string("2 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + "|1:0");
    m.add_attribute("crypto", "3 AES_CM_128_HMAC_SHA1_80");
    m.add_attribute("crypto", std::string("4 AES_CM_128_HMAC_SHA1_80 inline:") + key30);
    auto list = parse_crypto_lines(m);
    ASSERT_TRUE(list.ok()) << error_name(list.err);
    ASSERT_EQ(list.value.size(), 1u);
    EXPECT_EQ(list.value[0].tag, 4u);
    EXPECT_EQ(list.invalid, 3u);
    EXPECT_EQ(list.first_invalid, error::crypto_unknown_session_param);
    const srtp_suite pref[] = {srtp_suite::aes_cm_128_hmac_sha1_80};
    const crypto_attribute* c = choose_crypto(list.value, pref);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->tag, 4u);

    media none_valid;
    none_valid.add_attribute(
        "crypto", std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + " UNKNOWN_MANDATORY");
    none_valid.add_attribute("crypto", "2 AES_CM_128_HMAC_SHA1_80 inline:!!");
    auto failed = parse_crypto_lines(none_valid);
    EXPECT_EQ(failed.err, error::crypto_unknown_session_param);
    EXPECT_EQ(failed.invalid, 2u);
    EXPECT_TRUE(failed.value.empty());

    // An invalid line does not take a tag: a valid line may reuse it.
    media retag;
    retag.add_attribute(
        "crypto", std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + key30 + " UNKNOWN_MANDATORY");
    retag.add_attribute("crypto", std::string("1 AES_CM_128_HMAC_SHA1_32 inline:") + key30);
    auto reused = parse_crypto_lines(retag);
    ASSERT_TRUE(reused.ok()) << error_name(reused.err);
    EXPECT_EQ(reused.value.at(0).suite, srtp_suite::aes_cm_128_hmac_sha1_32);
}

TEST(Base64, RoundTripAndStrictness) {
    for (std::size_t n = 0; n < 50; ++n) {
        std::vector<uint8_t> v(n);
        for (std::size_t i = 0; i < n; ++i) {
            v[i] = uint8_t(255 - i * 13);
        }
        std::string e = base64_encode(v);
        if (n == 0) {
            EXPECT_FALSE(base64_decode(e).has_value());
            continue;
        }
        auto d = base64_decode(e);
        ASSERT_TRUE(d.has_value()) << e;
        EXPECT_EQ(*d, v);
    }
    EXPECT_FALSE(base64_decode("QQ=").has_value());
    EXPECT_FALSE(base64_decode("QR==").has_value());  // non-zero leftover bits
    EXPECT_TRUE(base64_decode("QQ").has_value());     // unpadded accepted
}

}  // namespace
}  // namespace sbc::sip::sdp
