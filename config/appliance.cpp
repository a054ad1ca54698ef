#include "config/appliance.hpp"

#include <algorithm>

namespace sbc::config {
namespace {

template <class T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
    auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return x.name == name; });
    return it == items.end() ? nullptr : &*it;
}

}  // namespace

const config::realm* appliance::find_realm(std::string_view name) const {
    if (name == realm.access.name) {
        return &realm.access;
    }
    if (name == realm.core.name) {
        return &realm.core;
    }
    return nullptr;
}

const media_profile* appliance::find_media_profile(std::string_view name) const {
    return find_named(media_profiles, name);
}

const certificate_profile* appliance::find_certificate_profile(std::string_view name) const {
    return find_named(certificate_profiles, name);
}

const ssp_profile* appliance::find_ssp_profile(std::string_view name) const {
    return find_named(ssp_profiles, name);
}

const remote_endpoint* appliance::find_remote_endpoint(std::string_view name) const {
    return find_named(remote_endpoints, name);
}

}  // namespace sbc::config
