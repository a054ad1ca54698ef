#include "dataplane/shm/region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

namespace sbc::shm {

namespace {

constexpr size_t align_up(size_t v, size_t a) {
    return (v + a - 1) / a * a;
}

bool is_power_of_two(uint32_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

std::string shm_name(std::string_view instance) {
    return "/sbc-" + std::string(instance);
}

}  // namespace

std::string region::path_for(std::string_view instance) {
    return "/dev/shm" + shm_name(instance);
}

region::~region() {
    release();
}

region::region(region&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      name_(std::move(other.name_)),
      shm_name_(std::move(other.shm_name_)),
      ino_(std::exchange(other.ino_, 0)),
      owner_(std::exchange(other.owner_, false)) {}

region& region::operator=(region&& other) noexcept {
    if (this != &other) {
        release();
        base_ = std::exchange(other.base_, nullptr);
        size_ = std::exchange(other.size_, 0);
        name_ = std::move(other.name_);
        shm_name_ = std::move(other.shm_name_);
        ino_ = std::exchange(other.ino_, 0);
        owner_ = std::exchange(other.owner_, false);
    }
    return *this;
}

void region::release() noexcept {
    if (base_ != nullptr) {
        munmap(base_, size_);
        base_ = nullptr;
        size_ = 0;
    }
    if (owner_) {
        unlink();
    }
    name_.clear();
    shm_name_.clear();
    ino_ = 0;
}

void region::unlink() {
    if (!name_.empty()) {
        shm_unlink(name_.c_str());
        owner_ = false;
    }
}

region region::create(std::string_view instance, const region_sizes& sizes, std::string& error) {
    if (instance.empty() || instance.size() >= sizeof(region_header::instance) ||
        instance.find('/') != std::string_view::npos) {
        error = "instance name must be 1-31 characters without '/'";
        return {};
    }
    if (!is_power_of_two(sizes.cmd_ring_capacity) || !is_power_of_two(sizes.evt_ring_capacity)) {
        error = "ring capacities must be powers of two";
        return {};
    }
    if (sizes.max_flows == 0 || sizes.max_flows > (1u << 24)) {
        error = "max_flows must be 1..16777216";
        return {};
    }
    const size_t cmd_off = align_up(sizeof(region_header), 4096);
    const size_t evt_off =
        align_up(cmd_off + spsc_ring<command>::bytes_for(sizes.cmd_ring_capacity), 4096);
    const size_t ctr_off =
        align_up(evt_off + spsc_ring<event>::bytes_for(sizes.evt_ring_capacity), 4096);
    const size_t flows_off = align_up(ctr_off + sizeof(counters_block), 4096);
    const size_t total =
        align_up(flows_off + static_cast<size_t>(sizes.max_flows) * sizeof(flow_counters), 4096);

    region r;
    r.name_ = shm_name(instance);
    shm_unlink(r.name_.c_str());  // a stale region from a crashed dataplane is replaced
    int fd = shm_open(r.name_.c_str(), O_CREAT | O_EXCL | O_RDWR, 0660);
    if (fd < 0) {
        error = "shm_open " + path_for(instance) + ": " + std::strerror(errno);
        return {};
    }
    r.owner_ = true;
    r.shm_name_ = r.name_;
    {
        struct stat st {};
        if (fstat(fd, &st) == 0) {
            r.ino_ = static_cast<uint64_t>(st.st_ino);
        }
    }
    if (ftruncate(fd, static_cast<off_t>(total)) != 0) {
        error = "ftruncate " + path_for(instance) + ": " + std::strerror(errno);
        close(fd);
        return {};
    }
    void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        error = "mmap " + path_for(instance) + ": " + std::strerror(errno);
        return {};
    }
    r.base_ = base;
    r.size_ = total;
    std::memset(base, 0, total);

    auto& h = r.header();
    h.version = contract_version;
    h.header_size = sizeof(region_header);
    h.region_size = total;
    h.cmd_ring_offset = cmd_off;
    h.evt_ring_offset = evt_off;
    h.counters_offset = ctr_off;
    h.flow_counters_offset = flows_off;
    h.max_flows = sizes.max_flows;
    h.command_size = sizeof(command);
    h.event_size = sizeof(event);
    h.dataplane_pid = getpid();
    h.state.store(static_cast<uint32_t>(dataplane_state::starting), std::memory_order_relaxed);
    std::memcpy(h.instance, instance.data(), instance.size());
    spsc_ring<command>::format(static_cast<char*>(base) + cmd_off, sizes.cmd_ring_capacity);
    spsc_ring<event>::format(static_cast<char*>(base) + evt_off, sizes.evt_ring_capacity);
    // The magic goes last: a reader that sees it sees a fully formatted region.
    std::atomic_thread_fence(std::memory_order_release);
    h.magic = region_magic;
    return r;
}

region region::attach(std::string_view instance, bool require_running, attach_error& err,
                      std::string& message) {
    err = attach_error::none;
    region r;
    r.name_ = shm_name(instance);
    const std::string path = path_for(instance);
    int fd = shm_open(r.name_.c_str(), O_RDWR, 0);
    if (fd < 0) {
        err = errno == ENOENT ? attach_error::missing : attach_error::system;
        message = err == attach_error::missing
                      ? "dataplane region " + path + " does not exist (is sbc-dataplane running?)"
                      : "open " + path + ": " + std::strerror(errno);
        r.name_.clear();
        return {};
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < sizeof(region_header)) {
        close(fd);
        err = attach_error::too_small;
        message = "dataplane region " + path + " is truncated";
        r.name_.clear();
        return {};
    }
    const size_t size = static_cast<size_t>(st.st_size);
    r.ino_ = static_cast<uint64_t>(st.st_ino);
    r.shm_name_ = r.name_;
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        err = attach_error::system;
        message = "mmap " + path + ": " + std::strerror(errno);
        r.name_.clear();
        return {};
    }
    r.base_ = base;
    r.size_ = size;
    r.name_.clear();  // attachers never unlink

    auto& h = r.header();
    if (h.magic != region_magic) {
        err = attach_error::bad_magic;
        message = "dataplane region " + path + " has no sbc magic (not formatted yet, or not ours)";
        return {};
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (h.version != contract_version || h.command_size != sizeof(command) ||
        h.event_size != sizeof(event) || h.header_size != sizeof(region_header)) {
        err = attach_error::version_mismatch;
        message = "dataplane contract version mismatch: region " + path + " has version " +
                  std::to_string(h.version) + ", this program speaks version " +
                  std::to_string(contract_version) +
                  "; run sbcd and sbc-dataplane from the same build";
        return {};
    }
    if (h.region_size > size || h.counters_offset + sizeof(counters_block) > size ||
        h.flow_counters_offset + static_cast<size_t>(h.max_flows) * sizeof(flow_counters) > size) {
        err = attach_error::too_small;
        message = "dataplane region " + path + " is truncated";
        return {};
    }
    if (require_running && h.state.load(std::memory_order_acquire) !=
                               static_cast<uint32_t>(dataplane_state::running)) {
        err = attach_error::not_running;
        message = "dataplane region " + path + " exists but the dataplane is not running yet";
        return {};
    }
    return r;
}

spsc_ring<command> region::command_ring() const {
    return spsc_ring<command>(static_cast<char*>(base_) + header().cmd_ring_offset);
}

spsc_ring<event> region::event_ring() const {
    return spsc_ring<event>(static_cast<char*>(base_) + header().evt_ring_offset);
}

counters_block& region::counters() const {
    return *reinterpret_cast<counters_block*>(static_cast<char*>(base_) + header().counters_offset);
}

flow_counters* region::flows() const {
    return reinterpret_cast<flow_counters*>(static_cast<char*>(base_) +
                                            header().flow_counters_offset);
}

bool region::replaced() const {
    if (shm_name_.empty()) {
        return false;
    }
    int fd = shm_open(shm_name_.c_str(), O_RDONLY, 0);
    if (fd < 0) {
        return true;
    }
    struct stat st {};
    const bool same = fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_ino) == ino_;
    close(fd);
    return !same;
}

}  // namespace sbc::shm
