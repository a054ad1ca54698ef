#include "sip/sdes.hpp"

#include <algorithm>
#include <cstring>

#include "sip/text.hpp"

namespace sbc::sip::sdp {
namespace {

constexpr std::size_t max_key_params = 16;
constexpr std::size_t max_session_params = 16;

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    while (true) {
        std::size_t p = s.find(sep);
        out.push_back(s.substr(0, p));
        if (p == std::string_view::npos) {
            return out;
        }
        s = s.substr(p + 1);
    }
}

int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// lifetime = ["2^"] 1*(DIGIT); RFC 3711 caps SRTP at 2^48 packets.
bool parse_lifetime(std::string_view s, key_param& k) {
    constexpr uint64_t max_lifetime = uint64_t(1) << 48;
    if (s.substr(0, 2) == "2^") {
        auto n = parse_uint(s.substr(2), 48);
        if (!n || *n == 0) {
            return false;
        }
        k.lifetime = uint64_t(1) << *n;
        k.lifetime_power_of_two = true;
        return true;
    }
    auto n = parse_uint(s, max_lifetime);
    if (!n || *n == 0) {
        return false;
    }
    k.lifetime = *n;
    return true;
}

// Whether the decimal `digits` fit `bytes` bytes (big-endian, as the MKI goes on the wire):
// the value is built in a 128-byte accumulator, one digit at a time.
bool decimal_fits(std::string_view digits, std::size_t bytes) {
    uint8_t acc[128] = {};
    for (char c : digits) {
        unsigned carry = unsigned(c - '0');
        for (std::size_t i = 128; i-- > 0;) {
            const unsigned v = unsigned(acc[i]) * 10 + carry;
            acc[i] = uint8_t(v & 0xff);
            carry = v >> 8;
        }
        if (carry != 0) {
            return false;  // beyond 128 bytes
        }
    }
    for (std::size_t i = 0; i < 128 - bytes; ++i) {
        if (acc[i] != 0) {
            return false;
        }
    }
    return true;
}

// RFC 4568 §9.2: mki = mki-value ":" mki-length; mki-value = 1*DIGIT, mki-length = 1*3DIGIT,
// 1..128, and the value fits that many bytes.
bool parse_mki(std::string_view s, key_param& k) {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) {
        return false;
    }
    const std::string_view value = s.substr(0, colon);
    const std::string_view length_text = s.substr(colon + 1);
    // 309 digits exceed 128 bytes (2^1024 has 309 digits): longer values cannot fit.
    const auto length = length_text.size() <= 3 ? parse_uint(length_text, 128) : std::nullopt;
    if (!length || *length == 0 || value.empty() || value.size() > 309) {
        return false;
    }
    for (char c : value) {
        if (!is_digit(c)) {
            return false;
        }
    }
    if (!decimal_fits(value, std::size_t(*length))) {
        return false;  // the value does not fit the announced length
    }
    k.mki_value = value;
    k.mki_length = uint8_t(*length);
    if (auto small = parse_uint(value, UINT32_MAX)) {
        k.mki = uint32_t(*small);
    }
    return true;
}

error parse_key_param(std::string_view text, const srtp_suite_info& suite, key_param& k) {
    if (text.substr(0, 7) != "inline:") {
        return error::malformed_crypto;
    }
    auto fields = split(text.substr(7), '|');
    if (fields.size() > 3) {
        return error::malformed_crypto;
    }
    auto bytes = base64_decode(fields[0]);
    if (!bytes) {
        return error::crypto_bad_base64;
    }
    if (bytes->size() != std::size_t(suite.master_key_len) + suite.master_salt_len) {
        return error::crypto_bad_key_length;
    }
    k.key.assign(bytes->begin(), bytes->begin() + suite.master_key_len);
    k.salt.assign(bytes->begin() + suite.master_key_len, bytes->end());
    // The optional fields are told apart by the ':' of the MKI (RFC 4568 §9.2).
    for (std::size_t i = 1; i < fields.size(); ++i) {
        bool is_mki = fields[i].find(':') != std::string_view::npos;
        if (is_mki) {
            if (k.mki_length != 0 || !parse_mki(fields[i], k)) {
                return error::crypto_bad_mki;
            }
        } else {
            if (k.lifetime || k.mki_length != 0 || !parse_lifetime(fields[i], k)) {
                return error::crypto_bad_lifetime;
            }
        }
    }
    return error::none;
}

error parse_session_param(std::string_view p, const srtp_suite_info* suite, crypto_attribute& c) {
    auto value_of = [&](std::string_view prefix) -> std::optional<std::string_view> {
        if (p.size() > prefix.size() && p.substr(0, prefix.size()) == prefix) {
            return p.substr(prefix.size());
        }
        return std::nullopt;
    };
    if (p == "UNENCRYPTED_SRTP") {
        c.unencrypted_srtp = true;
    } else if (p == "UNENCRYPTED_SRTCP") {
        c.unencrypted_srtcp = true;
    } else if (p == "UNAUTHENTICATED_SRTP") {
        c.unauthenticated_srtp = true;
    } else if (auto kdr = value_of("KDR=")) {
        auto n = parse_uint(*kdr, 24);
        if (!n) {
            return error::crypto_bad_session_param;
        }
        c.kdr = uint8_t(*n);
    } else if (auto wsh = value_of("WSH=")) {
        auto n = parse_uint(*wsh, UINT32_MAX);
        if (!n || *n < 64) {
            return error::crypto_bad_session_param;
        }
        c.wsh = uint32_t(*n);
    } else if (auto order = value_of("FEC_ORDER=")) {
        if (*order != "FEC_SRTP" && *order != "SRTP_FEC") {
            return error::crypto_bad_session_param;
        }
    } else if (auto fec_key = value_of("FEC_KEY=")) {
        // §6.3.5: FEC_KEY=key-params, the suite's own master keys for the FEC stream.
        if (suite != nullptr) {
            for (std::string_view kp : split(*fec_key, ';')) {
                key_param k;
                if (parse_key_param(kp, *suite, k) != error::none) {
                    return error::crypto_bad_session_param;
                }
            }
        }
    } else if (p.substr(0, 4) == "KDR=" || p.substr(0, 4) == "WSH=" || p == "FEC_ORDER=" ||
               p == "FEC_KEY=") {
        return error::crypto_bad_session_param;
    } else if (p.size() < 2 || p.front() != '-') {
        // §6.3.7: new session parameters are mandatory unless marked optional by a leading "-";
        // an attribute with an unknown mandatory one is invalid.
        return error::crypto_unknown_session_param;
    }
    // Known and graceful ones are kept verbatim, visible characters only (§9.2 VCHAR).
    for (char ch : p) {
        if (ch <= ' ' || ch > '~') {
            return error::crypto_bad_session_param;
        }
    }
    c.session_params.emplace_back(p);
    return error::none;
}

}  // namespace

crypto_result parse_crypto(std::string_view value) {
    crypto_result r;
    auto fail = [&](error e) {
        r.err = e;
        r.value = {};
        return std::move(r);
    };
    // RFC 4568 §9.1: tag 1*WSP crypto-suite 1*WSP key-params *(1*WSP session-param)
    std::vector<std::string_view> fields;
    for (std::string_view f : split(value, ' ')) {
        for (std::string_view g : split(f, '\t')) {
            if (!g.empty()) {
                fields.push_back(g);
            }
        }
        if (fields.size() > 3 + max_session_params) {
            return fail(error::malformed_crypto);
        }
    }
    if (fields.size() < 3) {
        return fail(error::malformed_crypto);
    }
    auto tag = parse_uint(fields[0], 999999999);
    if (!tag || fields[0].size() > 10) {
        return fail(error::malformed_crypto);
    }
    crypto_attribute& c = r.value;
    c.tag = uint32_t(*tag);
    for (char ch : fields[1]) {
        if (!is_alnum(ch) && ch != '_') {
            return fail(error::malformed_crypto);
        }
    }
    c.suite_text = fields[1];
    const srtp_suite_info* info = find_srtp_suite(fields[1]);
    c.suite = info != nullptr ? info->id : srtp_suite::none;
    if (info != nullptr) {
        auto params = split(fields[2], ';');
        if (params.size() > max_key_params) {
            return fail(error::malformed_crypto);
        }
        for (std::string_view kp : params) {
            key_param k;
            if (error e = parse_key_param(kp, *info, k); e != error::none) {
                return fail(e);
            }
            c.keys.push_back(std::move(k));
        }
        // §6.1: with several key-params, each carries an MKI of the same length.
        if (c.keys.size() > 1) {
            for (const key_param& k : c.keys) {
                if (k.mki_length == 0 || k.mki_length != c.keys[0].mki_length) {
                    return fail(error::crypto_bad_mki);
                }
            }
        }
    } else {
        for (char ch : fields[2]) {
            if (ch <= ' ' || ch > '~') {
                return fail(error::malformed_crypto);
            }
        }
        c.key_params_text = fields[2];
    }
    for (std::size_t i = 3; i < fields.size(); ++i) {
        if (error e = parse_session_param(fields[i], info, c); e != error::none) {
            return fail(e);
        }
    }
    return r;
}

std::string format_crypto(const crypto_attribute& c) {
    std::string out = std::to_string(c.tag) + " ";
    out += c.known_suite() ? std::string(srtp_suite_name(c.suite)) : c.suite_text;
    out += ' ';
    if (!c.known_suite()) {
        out += c.key_params_text;
    }
    for (std::size_t i = 0; i < c.keys.size() && c.known_suite(); ++i) {
        const key_param& k = c.keys[i];
        if (i > 0) {
            out += ';';
        }
        std::vector<uint8_t> ks(k.key);
        ks.insert(ks.end(), k.salt.begin(), k.salt.end());
        out += "inline:" + base64_encode(ks);
        if (k.lifetime) {
            out += '|';
            if (k.lifetime_power_of_two) {
                int n = 0;
                while (n < 63 && (uint64_t(1) << n) < *k.lifetime) {
                    ++n;
                }
                out += "2^" + std::to_string(n);
            } else {
                out += std::to_string(*k.lifetime);
            }
        }
        if (k.mki_length != 0) {
            out += '|';
            out += k.mki_value.empty() ? std::to_string(k.mki.value_or(0)) : k.mki_value;
            out += ':' + std::to_string(k.mki_length);
        }
    }
    for (const std::string& p : c.session_params) {
        out += ' ' + p;
    }
    return out;
}

std::string format_crypto(uint32_t tag, srtp_suite suite, std::span<const uint8_t> key,
                          std::span<const uint8_t> salt) {
    crypto_attribute c;
    c.tag = tag;
    c.suite = suite;
    key_param k;
    k.key.assign(key.begin(), key.end());
    k.salt.assign(salt.begin(), salt.end());
    c.keys.push_back(std::move(k));
    return format_crypto(c);
}

crypto_list_result parse_crypto_lines(const media& m, std::size_t max_crypto) {
    crypto_list_result r;
    std::size_t lines = 0;
    for (const attribute& a : m.attributes) {
        if (a.name != "crypto") {
            continue;
        }
        if (++lines > max_crypto) {
            return {error::too_many_crypto, {}, 0, error::none};
        }
        auto c = parse_crypto(a.value);
        if (!c.ok()) {
            // RFC 4568 §7.1.2: only a valid attribute can be accepted; go on to the next.
            if (r.invalid++ == 0) {
                r.first_invalid = c.err;
            }
            continue;
        }
        for (const crypto_attribute& prev : r.value) {
            if (prev.tag == c.value.tag) {
                return {error::crypto_duplicate_tag, {}, r.invalid, r.first_invalid};
            }
        }
        r.value.push_back(std::move(c.value));
    }
    if (r.value.empty() && r.invalid != 0) {
        return {r.first_invalid, {}, r.invalid, r.first_invalid};
    }
    if (!r.value.empty() &&
        std::none_of(r.value.begin(), r.value.end(),
                     [](const crypto_attribute& c) { return c.known_suite(); })) {
        return {error::crypto_no_known_suite, {}, r.invalid, r.first_invalid};
    }
    return r;
}

const crypto_attribute* choose_crypto(const std::vector<crypto_attribute>& offered,
                                      std::span<const srtp_suite> preferred) {
    for (srtp_suite want : preferred) {
        for (const crypto_attribute& c : offered) {
            if (c.suite == want && !c.keys.empty()) {
                return &c;
            }
        }
    }
    return nullptr;
}

std::string base64_encode(std::span<const uint8_t> bytes) {
    static constexpr char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8 | bytes[i + 2];
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == bytes.size()) {
        uint32_t v = uint32_t(bytes[i]) << 16;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
    // Padding may be omitted (seen from deployed SDES stacks); when present it must be correct.
    std::size_t pad = 0;
    while (!text.empty() && text.back() == '=' && pad < 2) {
        text.remove_suffix(1);
        ++pad;
    }
    if (text.empty() || text.size() % 4 == 1 || (pad != 0 && (text.size() + pad) % 4 != 0)) {
        return std::nullopt;
    }
    std::vector<uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = b64_value(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(uint8_t((acc >> bits) & 0xff));
        }
    }
    // Leftover bits must be zero (canonical encoding).
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        return std::nullopt;
    }
    return out;
}

}  // namespace sbc::sip::sdp
