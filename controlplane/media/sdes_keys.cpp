#include "controlplane/media/sdes_keys.hpp"

#include <cstring>

namespace sbc::cp::media {

std::optional<shm::srtp_key> to_srtp_key(const sip::sdp::crypto_attribute& c, std::size_t index) {
    if (!dataplane_runs(c.suite) || index >= c.keys.size()) {
        return std::nullopt;
    }
    const sip::sdp::key_param& k = c.keys[index];
    shm::srtp_key out{};
    if (k.key.size() > sizeof(out.master_key) || k.salt.size() > sizeof(out.master_salt) ||
        k.mki_length > sizeof(out.mki)) {
        return std::nullopt;  // the dataplane's MKI field holds 4 bytes (RFC 4568 allows 128)
    }
    out.suite = c.suite;
    out.master_key_len = uint8_t(k.key.size());
    out.master_salt_len = uint8_t(k.salt.size());
    out.mki_len = k.mki_length;
    out.mki = k.mki.value_or(0);
    std::memcpy(out.master_key, k.key.data(), k.key.size());
    std::memcpy(out.master_salt, k.salt.data(), k.salt.size());
    return out;
}

std::vector<srtp_suite> runnable_suites(const config::media_profile& p) {
    std::vector<srtp_suite> out;
    for (srtp_suite s : p.sdes_suites) {
        if (dataplane_runs(s)) {
            out.push_back(s);
        }
    }
    return out;
}

}  // namespace sbc::cp::media
