#include "dataplane/srtp/common.hpp"

namespace sbc::srtp {

bool parse_engine_kind(std::string_view text, engine_kind& out) noexcept {
    if (text == "ipsecmb") {
        out = engine_kind::ipsecmb;
        return true;
    }
    if (text == "libsrtp") {
        out = engine_kind::libsrtp;
        return true;
    }
    return false;
}

const char* engine_kind_name(engine_kind k) noexcept {
    return k == engine_kind::libsrtp ? "libsrtp" : "ipsecmb";
}

}  // namespace sbc::srtp
