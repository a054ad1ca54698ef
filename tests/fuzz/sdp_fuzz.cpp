// Parse any bytes as SDP; for every section parse the crypto lines, map keys for the dataplane,
// run the offer/answer helpers, and check serialize -> parse stays parseable.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sip/offer_answer.hpp"
#include "sip/sdes.hpp"
#include "sip/sdp.hpp"

namespace {
volatile std::size_t sink;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace sbc::sip::sdp;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // A single a=crypto value on its own, too.
    auto one = parse_crypto(text.substr(0, 512));
    if (one.ok()) {
        sink = format_crypto(one.value).size();
        auto again = parse_crypto(format_crypto(one.value));
        if (!again.ok()) {
            __builtin_trap();
        }
    }
    auto r = parse(text);
    if (!r.ok()) {
        sink = error_reason(r.err).size() + r.line;
        return 0;
    }
    std::size_t n = 0;
    for (media& m : r.value.media_sections) {
        auto c = parse_crypto_lines(m);
        if (c.ok()) {
            const sbc::srtp_suite pref[] = {sbc::srtp_suite::aes_cm_128_hmac_sha1_80,
                                            sbc::srtp_suite::aead_aes_256_gcm};
            if (const crypto_attribute* chosen = choose_crypto(c.value, pref)) {
                n += chosen->keys.front().key.size() + chosen->keys.front().salt.size();
            }
        }
        n += m.rtpmaps().size() + m.ptime().value_or(0) + m.rtcp_mux() +
             (m.rtcp() ? m.rtcp()->port : 0);
        auto pts = intersect_codecs(m, {{"PCMU", 8000, ""}, {"telephone-event", 8000, ""}});
        media answer = m;
        keep_formats(answer, pts);
        answer.set_direction(answer_direction(m.get_direction(r.value.get_direction())));
        if (pts.empty()) {
            reject_stream(answer);
        }
        m = answer;
    }
    std::string out = serialize(r.value);
    auto again = parse(out, limits{1 << 20, 1 << 16, 64, 1024, 1024});
    if (!again.ok()) {
        __builtin_trap();  // what we serialize from a parsed SDP must parse
    }
    sink = n + out.size();
    return 0;
}
