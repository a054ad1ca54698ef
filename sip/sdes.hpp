#pragma once
// SDP Security Descriptions, a=crypto (RFC 4568 §9.1; suites of RFC 4568 §6.2, RFC 6188,
// RFC 7714). Parses and validates key-params and session params and builds lines for our own
// keys. The suites are the one table in common/srtp_suite.hpp; which of them the SBC runs and
// how a key reaches the dataplane is the control plane's business (controlplane/media).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/srtp_suite.hpp"
#include "sip/sdp.hpp"

namespace sbc::sip::sdp {

struct key_param {
    std::vector<uint8_t> key;            // master key
    std::vector<uint8_t> salt;           // master salt
    std::optional<uint64_t> lifetime;    // packets; "2^31" and "2147483648" both give 2^31
    bool lifetime_power_of_two = false;  // written as 2^n (kept for serialization)
    // RFC 4568 §9.2 mki = mki-value ":" mki-length: a decimal value that fits mki_length bytes,
    // 1..128 of them. Whether the dataplane can run a given length is the caller's question
    // (its MKI field is 4 bytes: cp::media::to_srtp_key() carries no longer one).
    std::optional<uint32_t> mki;  // the value, when it fits 32 bits (every MKI of <= 4 bytes)
    std::string mki_value;        // the value as written (decimal digits); "" without an MKI
    uint8_t mki_length = 0;       // bytes on the wire; 0 without an MKI
};

struct crypto_attribute {
    uint32_t tag = 0;                     // 1..999999999
    srtp_suite suite = srtp_suite::none;  // none: a suite SDES does not know
    std::string suite_text;               // as written, kept for unknown suites
    std::vector<key_param> keys;          // empty for an unknown suite (key-params not interpreted)
    std::string key_params_text;          // unknown suite: key-params as written
    // Session parameters (RFC 4568 §6.3): the known ones, and every one verbatim in order.
    bool unencrypted_srtp = false;
    bool unencrypted_srtcp = false;
    bool unauthenticated_srtp = false;
    std::optional<uint8_t> kdr;   // 0..24: key derivation rate is 2^kdr
    std::optional<uint32_t> wsh;  // replay window size, >= 64
    std::vector<std::string> session_params;

    bool known_suite() const { return suite != srtp_suite::none; }
};

struct crypto_result {
    error err = error::none;
    crypto_attribute value;
    bool ok() const { return err == error::none; }
};

// Parses the value of one a=crypto line ("1 AES_CM_128_HMAC_SHA1_80 inline:...|2^20|1:4 KDR=1").
// For a known suite every key-param must be inline:, base64-valid and exactly key+salt bytes.
crypto_result parse_crypto(std::string_view value);
// The value of an a=crypto line (without "a=crypto:").
std::string format_crypto(const crypto_attribute& c);
// A line for our own key: tag, suite, one inline key-param (key || salt), no lifetime or MKI.
std::string format_crypto(uint32_t tag, srtp_suite suite, std::span<const uint8_t> key,
                          std::span<const uint8_t> salt);

// Parses every a=crypto of a media section and returns the valid ones in order (unknown suites
// included, so the caller can choose). An invalid line (malformed, or with an unknown session
// parameter, RFC 4568 §6.3.7) is left out: only a valid attribute can be accepted and the answerer
// moves on to the next (§7.1.2); `invalid` counts them and `first_invalid` says why the first
// was. Fails on more than max_crypto lines, a tag used twice among the valid lines, when no line
// is valid (err is the first line's fault), or when the valid lines all name unknown suites
// (crypto_no_known_suite).
struct crypto_list_result {
    error err = error::none;
    std::vector<crypto_attribute> value;
    std::size_t invalid = 0;
    error first_invalid = error::none;
    bool ok() const { return err == error::none; }
};
crypto_list_result parse_crypto_lines(const media& m, std::size_t max_crypto = 16);

// First attribute with a key whose suite is in `preferred` (in the caller's order of
// preference); nullptr when none.
const crypto_attribute* choose_crypto(const std::vector<crypto_attribute>& offered,
                                      std::span<const srtp_suite> preferred);

// RFC 4648 base64 (standard alphabet, padding required when the length is not a multiple of 4).
std::string base64_encode(std::span<const uint8_t> bytes);
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace sbc::sip::sdp
