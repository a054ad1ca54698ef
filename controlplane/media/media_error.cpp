#include "controlplane/media/media_error.hpp"

#include <iterator>

namespace sbc::cp::media {

namespace {

struct row {
    std::string_view name;
    int status;
    std::string_view text;
};

constexpr row rows[] = {
#define SBC_X(n, s, t) {#n, s, t},
    SBC_MEDIA_ERRORS(SBC_X)
#undef SBC_X
};

const row& at(errc e) {
    const auto i = static_cast<size_t>(e);
    return rows[i < std::size(rows) ? i : 0];
}

}  // namespace

int sip_status(errc e) {
    return at(e).status;
}

std::string_view text(errc e) {
    return at(e).text;
}

std::string_view name(errc e) {
    return at(e).name;
}

std::string status::message() const {
    std::string out(text(code));
    if (!detail.empty()) {
        out += ": ";
        out += detail;
    }
    return out;
}

std::string status::warning() const {
    std::string msg = message();
    if (msg.size() > warning_text_max) {
        msg.resize(warning_text_max - 3);
        msg += "...";
    }
    for (char& ch : msg) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            ch = '\'';
        } else if (u < 0x20 || u > 0x7e) {
            ch = '?';
        }
    }
    return "399 sbc \"" + msg + "\"";
}

}  // namespace sbc::cp::media
