#include "controlplane/b2bua/call_state.hpp"

#include <iterator>

namespace sbc::cp::b2bua {

namespace {

struct row {
    std::string_view name;
    std::string_view text;
};

constexpr row states[] = {
#define SBC_X(name, text) {#name, text},
    SBC_CALL_STATES(SBC_X)
#undef SBC_X
};

constexpr row events[] = {
#define SBC_X(name, text) {#name, text},
    SBC_CALL_EVENTS(SBC_X)
#undef SBC_X
};

template <class E, size_t N>
const row& at(const row (&table)[N], E e) {
    const auto i = static_cast<size_t>(e);
    return table[i < N ? i : 0];
}

}  // namespace

std::string_view state_name(call_state s) {
    return at(states, s).name;
}

std::string_view state_meaning(call_state s) {
    return at(states, s).text;
}

std::string_view event_name(call_event e) {
    return at(events, e).name;
}

}  // namespace sbc::cp::b2bua
