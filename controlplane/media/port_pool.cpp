#include "controlplane/media/port_pool.hpp"

#include <algorithm>

namespace sbc::cp::media {

port_pool::port_pool(uint16_t min, uint16_t max) {
    uint32_t p = min % 2 == 0 ? min : uint32_t{min} + 1;
    if (p == 0) {
        p = 2;  // port 0 is "rejected stream" in SDP
    }
    first_ = static_cast<uint16_t>(std::min<uint32_t>(p, 65534));
    for (; p + 1 <= max; p += 2) {
        free_.push_back(static_cast<uint16_t>(p));
    }
    in_use_.assign(free_.size(), false);
}

bool port_pool::index_of(uint16_t port, size_t& i) const {
    if (port < first_ || (port - first_) % 2 != 0) {
        return false;
    }
    i = (port - first_) / 2u;
    return i < in_use_.size();
}

std::optional<uint16_t> port_pool::allocate() {
    while (!free_.empty()) {
        const uint16_t p = free_.front();
        free_.pop_front();
        size_t i = 0;
        if (index_of(p, i) && !in_use_[i]) {
            in_use_[i] = true;
            return p;
        }
        // Never hand out a port twice, whatever the queue says.
    }
    return std::nullopt;
}

bool port_pool::release(uint16_t port) {
    size_t i = 0;
    if (!index_of(port, i) || !in_use_[i]) {
        return false;
    }
    in_use_[i] = false;
    free_.push_back(port);
    return true;
}

bool port_pool::take(uint16_t port) {
    size_t i = 0;
    if (!index_of(port, i) || in_use_[i]) {
        return false;
    }
    in_use_[i] = true;
    free_.erase(std::find(free_.begin(), free_.end(), port));
    return true;
}

}  // namespace sbc::cp::media
