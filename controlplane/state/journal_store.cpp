#include "controlplane/state/journal_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace sbc::cp::state {

namespace {

constexpr char magic[8] = {'S', 'B', 'C', 'S', 'T', 'A', 'T', 'E'};
constexpr size_t header_size = 16;
constexpr size_t record_head = 8;   // length, CRC
constexpr size_t record_fixed = 4;  // op, kind, id length
constexpr uint8_t op_put = 1;
constexpr uint8_t op_erase = 2;

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as iSCSI and ext4 use for the same job.
constexpr std::array<uint32_t, 256> crc_table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        }
        t[i] = c;
    }
    return t;
}();

uint32_t crc32c(const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

void put32(uint8_t* p, uint32_t v) {
    std::memcpy(p, &v, 4);  // little-endian hosts only (x86-64, arm64): the file stays local
}
uint32_t get32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

std::string errno_text() {
    return std::strerror(errno);
}

// pread/pwrite until all `n` bytes moved (they may move fewer, or be interrupted).
template <class Io, class Ptr>
bool move_all(Io io, int fd, Ptr p, size_t n, uint64_t at) {
    while (n > 0) {
        const ssize_t done = io(fd, p, n, static_cast<off_t>(at));
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done <= 0) {
            return false;
        }
        p += done;
        n -= static_cast<size_t>(done);
        at += static_cast<uint64_t>(done);
    }
    return true;
}

bool write_all(int fd, const uint8_t* p, size_t n, uint64_t at) {
    return move_all([](int f, const uint8_t* b, size_t c, off_t o) { return ::pwrite(f, b, c, o); },
                    fd, p, n, at);
}

bool read_all(int fd, uint8_t* p, size_t n, uint64_t at) {
    return move_all([](int f, uint8_t* b, size_t c, off_t o) { return ::pread(f, b, c, o); }, fd, p,
                    n, at);
}

std::array<uint8_t, header_size> file_header() {
    std::array<uint8_t, header_size> h{};
    std::memcpy(h.data(), magic, sizeof magic);
    put32(h.data() + 8, journal_format_version);
    return h;
}

// SDES keys live in the store: a directory others can enter or list is refused, not repaired
// behind the operator's back.
cp::status check_private_dir(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            return cp::fail("state store " + dir + ": " + errno_text());
        }
        if (::mkdir(dir.c_str(), 0700) != 0) {
            return cp::fail("state store " + dir + ": cannot create it: " + errno_text());
        }
        return cp::status::ok();
    }
    if (!S_ISDIR(st.st_mode)) {
        return cp::fail("state store " + dir + ": not a directory");
    }
    if (st.st_uid != ::geteuid()) {
        return cp::fail("state store " + dir + ": belongs to uid " + std::to_string(st.st_uid) +
                        ", not to sbcd's uid " + std::to_string(::geteuid()) +
                        " (it holds SDES keys)");
    }
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return cp::fail("state store " + dir + ": mode " + mode +
                        " lets others in; it holds SDES keys: chmod 700 " + dir);
    }
    return cp::status::ok();
}

}  // namespace

const char* to_string(record_kind k) {
    switch (k) {
        case record_kind::binding:
            return "binding";
        case record_kind::call:
            return "call";
        case record_kind::emergency:
            return "emergency";
    }
    return "unknown";
}

std::string journal_store::key_of(record_kind kind, std::string_view id) {
    std::string k(1, static_cast<char>(kind));
    k.append(id);
    return k;
}

cp::result<std::unique_ptr<journal_store>> journal_store::open(const std::string& dir) {
    if (cp::status st = check_private_dir(dir); !st) {
        return st;
    }
    const std::string path = dir + "/state.journal";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return cp::fail("state store " + path + ": " + errno_text());
    }
    std::unique_ptr<journal_store> s(new journal_store(path, fd));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
        spdlog::warn("state store {}: mode {:04o} made 0600 (it holds SDES keys)", path,
                     st.st_mode & 07777);
        if (::fchmod(fd, 0600) != 0) {
            return cp::fail("state store " + path + ": chmod 600: " + errno_text());
        }
    }
    if (cp::status ld = s->load(); !ld) {
        return ld;
    }
    return s;
}

journal_store::~journal_store() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void journal_store::index(uint8_t op, const std::string& key, const where& w) {
    auto it = index_.find(key);
    if (it != index_.end()) {
        stats_.live_bytes -= it->second.size;
        if (op == op_erase) {
            index_.erase(it);
            return;
        }
        it->second = w;
        stats_.live_bytes += w.size;
        return;
    }
    if (op == op_put) {
        index_.emplace(key, w);
        stats_.live_bytes += w.size;
    }
}

cp::status journal_store::load() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        return cp::fail("state store " + path_ + ": " + errno_text());
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    std::vector<uint8_t> buf(size);
    if (size > 0 && !read_all(fd_, buf.data(), buf.size(), 0)) {
        return cp::fail("state store " + path_ + ": read: " + errno_text());
    }
    if (size < header_size) {
        // New, or its header was torn while being created: nothing was ever recorded in it.
        const auto h = file_header();
        if (::ftruncate(fd_, 0) != 0 || !write_all(fd_, h.data(), h.size(), 0)) {
            return cp::fail("state store " + path_ + ": write: " + errno_text());
        }
        end_ = stats_.file_bytes = header_size;
        return cp::status::ok();
    }
    if (std::memcmp(buf.data(), magic, sizeof magic) != 0) {
        return cp::fail("state store " + path_ + ": not an sbc state journal (left untouched)");
    }
    const uint32_t version = get32(buf.data() + 8);
    if (version != journal_format_version) {
        return cp::fail("state store " + path_ + ": format version " + std::to_string(version) +
                        (version > journal_format_version ? ", newer than" : ", not") +
                        " this sbcd's version " + std::to_string(journal_format_version) +
                        ": written by another sbcd release; left untouched. Start that release, "
                        "or move the file away to start without the saved calls and bindings");
    }
    uint64_t off = header_size;
    const char* fault = nullptr;
    while (off < size) {
        if (size - off < record_head) {
            fault = "cut short";
            break;
        }
        const uint32_t len = get32(&buf[off]);
        if (len < record_fixed || len > max_record || len > size - off - record_head) {
            fault = len > size - off - record_head ? "cut short" : "of an impossible length";
            break;
        }
        const uint8_t* body = &buf[off + record_head];
        if (crc32c(body, len) != get32(&buf[off + 4])) {
            fault = "corrupt (CRC mismatch)";
            break;
        }
        const uint8_t op = body[0];
        const uint8_t kind = body[1];
        const uint32_t id_len = static_cast<uint32_t>(body[2]) | static_cast<uint32_t>(body[3])
                                                                     << 8;
        if ((op != op_put && op != op_erase) || kind < 1 || kind > 3 ||
            id_len > len - record_fixed) {
            fault = "not a record this sbcd writes";
            break;
        }
        const std::string key =
            key_of(static_cast<record_kind>(kind),
                   {reinterpret_cast<const char*>(body) + record_fixed, id_len});
        const auto whole = static_cast<uint32_t>(record_head + len);
        index(op, key, {off, whole, static_cast<uint32_t>(record_head + record_fixed + id_len)});
        ++stats_.records_read;
        off += whole;
    }
    if (fault != nullptr) {
        // A crash mid-write leaves a torn record at the tail; anything after a bad record cannot
        // be framed. Cut it off so appends continue from the last good record.
        stats_.bytes_skipped = size - off;
        spdlog::warn(
            "state store {}: record at offset {} is {}: {} bytes skipped from there "
            "(a write torn by a crash); {} records kept",
            path_, off, fault, stats_.bytes_skipped, index_.size());
        if (::ftruncate(fd_, static_cast<off_t>(off)) != 0) {
            return cp::fail("state store " + path_ + ": truncate: " + errno_text());
        }
    }
    end_ = stats_.file_bytes = off;
    return cp::status::ok();
}

cp::status journal_store::append(uint8_t op, record_kind kind, std::string_view id,
                                 std::string_view value) {
    const size_t len = record_fixed + id.size() + value.size();
    if (id.size() > 0xFFFF || len > max_record) {
        return cp::fail("state store " + path_ + ": " + to_string(kind) + " record of " +
                        std::to_string(len) + " bytes is over the limit");
    }
    std::vector<uint8_t> rec(record_head + len);
    uint8_t* body = rec.data() + record_head;
    body[0] = op;
    body[1] = static_cast<uint8_t>(kind);
    body[2] = static_cast<uint8_t>(id.size() & 0xFF);
    body[3] = static_cast<uint8_t>(id.size() >> 8);
    std::memcpy(body + record_fixed, id.data(), id.size());
    if (!value.empty()) {
        std::memcpy(body + record_fixed + id.size(), value.data(), value.size());
    }
    put32(rec.data(), static_cast<uint32_t>(len));
    put32(rec.data() + 4, crc32c(body, len));
    if (!write_all(fd_, rec.data(), rec.size(), end_)) {
        const std::string why = errno_text();
        // Nothing half-written stays: the next append starts where this one did.
        (void)::ftruncate(fd_, static_cast<off_t>(end_));
        return cp::fail("state store " + path_ + ": write: " + why);
    }
    index(op, key_of(kind, id),
          {end_, static_cast<uint32_t>(rec.size()),
           static_cast<uint32_t>(record_head + record_fixed + id.size())});
    end_ += rec.size();
    stats_.file_bytes = end_;
    // Dead records outweigh live ones: rewrite. Amortised, each record is copied at most once
    // per doubling of the file.
    if (end_ > (1u << 20) && end_ > 2 * (stats_.live_bytes + header_size)) {
        return compact();
    }
    return cp::status::ok();
}

cp::status journal_store::put(record_kind kind, std::string_view id, std::string_view value) {
    return append(op_put, kind, id, value);
}

cp::status journal_store::erase(record_kind kind, std::string_view id) {
    if (index_.find(key_of(kind, id)) == index_.end()) {
        return cp::status::ok();
    }
    return append(op_erase, kind, id, {});
}

void journal_store::for_each(const visit_fn& fn) const {
    std::vector<uint8_t> buf;
    for (const auto& [key, w] : index_) {
        buf.resize(w.size);
        if (!read_all(fd_, buf.data(), buf.size(), w.offset)) {
            spdlog::error("state store {}: read at offset {}: {}", path_, w.offset, errno_text());
            continue;
        }
        fn(static_cast<record_kind>(key[0]), std::string_view(key).substr(1),
           {reinterpret_cast<const char*>(buf.data()) + w.value_at, w.size - w.value_at});
    }
}

cp::status journal_store::compact() {
    const std::string tmp = path_ + ".tmp";
    const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return cp::fail("state store " + tmp + ": " + errno_text());
    }
    const auto h = file_header();
    bool ok = write_all(fd, h.data(), h.size(), 0);
    uint64_t at = header_size;
    std::unordered_map<std::string, where> moved;
    moved.reserve(index_.size());
    std::vector<uint8_t> buf;
    for (const auto& [key, w] : index_) {
        if (!ok) {
            break;
        }
        buf.resize(w.size);
        ok = read_all(fd_, buf.data(), buf.size(), w.offset) &&
             write_all(fd, buf.data(), buf.size(), at);
        moved.emplace(key, where{at, w.size, w.value_at});
        at += w.size;
    }
    // The new file is whole on disk before it replaces the old one.
    ok = ok && ::fsync(fd) == 0 && ::rename(tmp.c_str(), path_.c_str()) == 0;
    if (!ok) {
        const std::string why = errno_text();
        ::close(fd);
        ::unlink(tmp.c_str());
        return cp::fail("state store " + path_ + ": compaction: " + why);
    }
    ::close(fd_);
    fd_ = fd;
    index_ = std::move(moved);
    end_ = stats_.file_bytes = at;
    ++stats_.compactions;
    return cp::status::ok();
}

}  // namespace sbc::cp::state
