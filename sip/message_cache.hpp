#pragma once
// Internal to sip/: the lazy cache of a parsed message, in two parts built in place in the
// message's allocation on first use: the slots a proxy reads for routing, and the rest.
//
// A block freed to the per-thread pool (message_storage.cpp) keeps its caches: reset() returns
// each used slot to "not parsed yet" and a list keeps its buffer, so that parsing in steady state
// does not call malloc for Contact, Route or Via lists either. The slots are listed once (the
// X-macros below), so reset() cannot miss one.

#include <type_traits>
#include <vector>

#include "sip/message.hpp"

namespace sbc::sip {

template <class T>
struct lazy_slot {
    using value_type = T;
    bool done = false;
    parsed<T> p;

    // Back to the state of a new slot. A slot that was never asked for is still in it.
    void reset() {
        if (!done) {
            return;
        }
        done = false;
        p.state = field_state::absent;
        if constexpr (is_vector<T>::value) {
            if (p.value.capacity() > kept_elements) {
                T().swap(p.value);
            } else {
                p.value.clear();
            }
        } else {
            p.value = T{};
        }
    }

  private:
    template <class U>
    struct is_vector : std::false_type {};
    template <class U>
    struct is_vector<std::vector<U>> : std::true_type {};
    // A list longer than this gives its buffer back, so that what a pooled block keeps is bounded.
    static constexpr std::size_t kept_elements = 8;
};

// X(type, member)
#define SBC_SIP_LAZY_ROUTING_SLOTS(X)        \
    X(std::vector<via>, vias)                \
    X(std::vector<contact>, contacts)        \
    X(std::vector<name_addr>, routes)        \
    X(std::vector<name_addr>, record_routes) \
    X(std::vector<name_addr>, paths)         \
    X(uint32_t, max_forwards)                \
    X(uint32_t, expires)                     \
    X(media_type, content_type)

#define SBC_SIP_LAZY_REST_SLOTS(X)                   \
    X(uint32_t, min_expires)                         \
    X(uint32_t, rseq)                                \
    X(std::vector<name_addr>, pai)                   \
    X(std::vector<name_addr>, ppi)                   \
    X(std::vector<name_addr>, geolocations)          \
    X(std::vector<auth_value>, authorizations)       \
    X(std::vector<auth_value>, proxy_authorizations) \
    X(std::vector<auth_value>, www_authenticates)    \
    X(std::vector<auth_value>, proxy_authenticates)  \
    X(std::vector<std::string_view>, supported)      \
    X(std::vector<std::string_view>, require)        \
    X(std::vector<std::string_view>, proxy_require)  \
    X(std::vector<std::string_view>, unsupported)    \
    X(std::vector<std::string_view>, allow)          \
    X(std::vector<std::string_view>, privacy)        \
    X(sip::session_expires, session_expires)         \
    X(delta_seconds, min_se)                         \
    X(name_addr, refer_to)                           \
    X(name_addr, referred_by)                        \
    X(std::vector<sip::reason>, reasons)             \
    X(sip::rack, rack)                               \
    X(sip::event, event)                             \
    X(sip::subscription_state, subscription_state)   \
    X(sip::retry_after, retry_after)

#define SBC_SIP_LAZY_MEMBER(type, name) lazy_slot<type> name;
#define SBC_SIP_LAZY_RESET(type, name) name.reset();

struct detail::message_lazy_cache {
    SBC_SIP_LAZY_ROUTING_SLOTS(SBC_SIP_LAZY_MEMBER)
    void reset() { SBC_SIP_LAZY_ROUTING_SLOTS(SBC_SIP_LAZY_RESET) }
};

struct detail::message_lazy_rest {
    SBC_SIP_LAZY_REST_SLOTS(SBC_SIP_LAZY_MEMBER)
    void reset() { SBC_SIP_LAZY_REST_SLOTS(SBC_SIP_LAZY_RESET) }
};

#undef SBC_SIP_LAZY_MEMBER
#undef SBC_SIP_LAZY_RESET

}  // namespace sbc::sip
