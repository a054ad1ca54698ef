// The media manager's SDP path with hostile input: an offer from the softphone leg, then an
// answer from the OSV leg, then a re-offer from either side, all from the fuzzer's bytes. Every
// refusal must be a status value (no crash, no leak, no assertion); whatever is accepted must
// produce flow specs the dataplane would take (keys of the suite's lengths).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "controlplane/media/media_session.hpp"
#include "dataplane/srtp/master_key.hpp"

using namespace sbc;
using namespace sbc::cp::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const config::appliance cfg = config::embedded_default();
    static const leg_setup access{&cfg.realm.access, cfg.find_media_profile("SRTP_SDES"), "f", {}};
    static const leg_setup core{&cfg.realm.core, cfg.find_media_profile("OSV_RTP"), "f", {}};
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Up to three SDP bodies separated by a NUL: offer (a), answer (b), re-offer.
    std::string_view parts[3];
    size_t start = 0;
    for (int i = 0; i < 3 && start <= input.size(); ++i) {
        const size_t end = std::min(input.find('\0', start), input.size());
        parts[i] = input.substr(start, end - start);
        start = end + 1;
    }
    media_session s(1, access, 40000, core, 50000, cfg.media);
    std::string out;
    if (!s.offer(side::a, parts[0], out)) {
        return 0;
    }
    if (!s.answer(side::b, parts[1], out)) {
        return 0;
    }
    for (const auto& spec : s.plan().install) {
        if (spec.protocol == shm::media_protocol::srtp &&
            (srtp::validate(spec.rx) != srtp::key_error::none ||
             srtp::validate(spec.tx) != srtp::key_error::none)) {
            __builtin_trap();
        }
    }
    s.commit();
    const side re = !parts[2].empty() && (parts[2][0] & 1) ? side::b : side::a;
    if (s.offer(re, parts[2], out)) {
        s.cancel_offer();
    }
    return 0;
}
