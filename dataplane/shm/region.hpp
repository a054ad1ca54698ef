#pragma once
// Creating (sbc-dataplane) and attaching to (sbcd, sbcctl, tests) the shared-memory region
// /dev/shm/sbc-<instance>. Failures are values with a message an operator can act on.

#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/shm/contract.hpp"
#include "dataplane/shm/spsc_ring.hpp"

namespace sbc::shm {

struct region_sizes {
    uint32_t cmd_ring_capacity = 4096;  // power of two
    uint32_t evt_ring_capacity = 8192;  // power of two
    uint32_t max_flows = 65536;         // flow counter slots (one per leg)
};

enum class attach_error {
    none,
    missing,           // no region: the dataplane is not running (yet)
    too_small,         // the file is shorter than its header says
    bad_magic,         // not an sbc region
    version_mismatch,  // built against another contract_version
    not_running,       // region exists but the dataplane has not finished starting or is stopping
    system,            // open/mmap failed: see message
};

// One mapping of the region. Movable, unmaps on destruction; the creator also unlinks.
class region {
  public:
    region() = default;
    ~region();
    region(region&& other) noexcept;
    region& operator=(region&& other) noexcept;
    region(const region&) = delete;
    region& operator=(const region&) = delete;

    // Creates the region for `instance`, replacing a stale one. Used by the dataplane only.
    static region create(std::string_view instance, const region_sizes& sizes, std::string& error);

    // Maps an existing region and checks magic, version and state. `require_running` makes a
    // region whose dataplane is still starting or already stopping count as not attachable.
    static region attach(std::string_view instance, bool require_running, attach_error& err,
                         std::string& message);

    static std::string path_for(std::string_view instance);

    bool valid() const { return base_ != nullptr; }
    region_header& header() const { return *static_cast<region_header*>(base_); }
    spsc_ring<command> command_ring() const;
    spsc_ring<event> event_ring() const;
    counters_block& counters() const;
    flow_counters* flows() const;  // header().max_flows entries

    // True when /dev/shm/sbc-<instance> now names another region than the one mapped (the
    // dataplane restarted) or no region at all.
    bool replaced() const;

    // Unlinks the name now (the creator does this on clean shutdown).
    void unlink();

  private:
    void release() noexcept;

    void* base_ = nullptr;
    size_t size_ = 0;
    std::string name_;
    std::string shm_name_;  // kept for replaced(), also by attachers
    uint64_t ino_ = 0;
    bool owner_ = false;
};

}  // namespace sbc::shm
