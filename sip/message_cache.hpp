#pragma once
// Internal to sip/: the lazy cache of a parsed message, in two parts built in place in the
// message's allocation on first use: the slots a proxy reads for routing, and the rest.

#include <vector>

#include "sip/message.hpp"

namespace sbc::sip {

template <class T>
struct lazy_slot {
    using value_type = T;
    bool done = false;
    parsed<T> p;
};

struct detail::message_lazy_cache {
    lazy_slot<std::vector<via>> vias;
    lazy_slot<std::vector<contact>> contacts;
    lazy_slot<std::vector<name_addr>> routes, record_routes, paths;
    lazy_slot<uint32_t> max_forwards, expires;
    lazy_slot<media_type> content_type;
};

struct detail::message_lazy_rest {
    lazy_slot<uint32_t> min_expires, rseq;
    lazy_slot<std::vector<name_addr>> pai, ppi, geolocations;
    lazy_slot<std::vector<auth_value>> authorizations, proxy_authorizations, www_authenticates,
        proxy_authenticates;
    lazy_slot<std::vector<std::string_view>> supported, require, proxy_require, unsupported, allow,
        privacy;
    lazy_slot<sip::session_expires> session_expires;
    lazy_slot<delta_seconds> min_se;
    lazy_slot<name_addr> refer_to, referred_by;
    lazy_slot<std::vector<sip::reason>> reasons;
    lazy_slot<sip::rack> rack;
    lazy_slot<sip::event> event;
    lazy_slot<sip::subscription_state> subscription_state;
    lazy_slot<sip::retry_after> retry_after;
};

}  // namespace sbc::sip
