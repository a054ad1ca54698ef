#pragma once
// Media ports of one realm: one even port per audio leg, RTCP on port+1 (or muxed on the same
// port). Freed ports go to the back of the queue, so a port is reused as late as possible and
// stray packets of a finished call do not land in a new one.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace sbc::cp::media {

class port_pool {
  public:
    // Even ports p with min <= p and p + 1 <= max. An odd `min` starts at min + 1.
    port_pool(uint16_t min, uint16_t max);

    std::optional<uint16_t> allocate();
    // False for a port that is not allocated from this pool (a bug in the caller).
    bool release(uint16_t port);
    // Takes a specific port (restoring a call's port); false when taken or outside the pool.
    bool take(uint16_t port);

    size_t capacity() const { return in_use_.size(); }
    size_t available() const { return free_.size(); }
    size_t used() const { return capacity() - available(); }
    uint16_t first() const { return first_; }

  private:
    bool index_of(uint16_t port, size_t& i) const;

    uint16_t first_ = 0;
    std::deque<uint16_t> free_;
    std::vector<bool> in_use_;
};

}  // namespace sbc::cp::media
