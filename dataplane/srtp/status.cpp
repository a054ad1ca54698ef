#include "dataplane/srtp/status.hpp"

#include <iterator>

namespace sbc::srtp {
namespace {

constexpr const char* names[] = {
#define SBC_X(name, drop, text) #name,
    SBC_SRTP_STATUSES(SBC_X)
#undef SBC_X
};
constexpr const char* texts[] = {
#define SBC_X(name, drop, text) text,
    SBC_SRTP_STATUSES(SBC_X)
#undef SBC_X
};
constexpr shm::drop_reason drops[] = {
#define SBC_X(name, drop, text) shm::drop_reason::drop,
    SBC_SRTP_STATUSES(SBC_X)
#undef SBC_X
};
static_assert(std::size(names) == static_cast<size_t>(status::count_));

}  // namespace

const char* status_name(status s) noexcept {
    auto i = static_cast<size_t>(s);
    return i < std::size(names) ? names[i] : "unknown";
}

const char* status_text(status s) noexcept {
    auto i = static_cast<size_t>(s);
    return i < std::size(texts) ? texts[i] : "unknown status";
}

shm::drop_reason to_drop_reason(status s) noexcept {
    auto i = static_cast<size_t>(s);
    return i < std::size(drops) ? drops[i] : shm::drop_reason::crypto_error;
}

}  // namespace sbc::srtp
