#include "controlplane/cloudlink/installation_identity.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "common/hex.hpp"
#include "mgmt/json_text.hpp"

namespace sbc::cp::cloudlink {

namespace {

std::string read_small(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return {};
    }
    std::string text(4096, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

cp::status ensure_dir(const std::string& dir) {
    // Each missing level 0700: the directory holds the token.
    for (std::size_t at = 1; at != std::string::npos;) {
        at = dir.find('/', at + 1);
        const std::string part = dir.substr(0, at);
        if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
            return cp::fail("cannot create " + part + ": " + std::strerror(errno));
        }
    }
    if (::chmod(dir.c_str(), 0700) != 0) {
        return cp::fail("cannot restrict " + dir + " to root: " + std::strerror(errno));
    }
    return cp::status::ok();
}

// Writes `text` to dir/name through a 0600 temporary file and rename(2): a crash leaves the
// old file or the new one, never half of one.
cp::status write_secret(const std::string& dir, const std::string& name, const std::string& text) {
    if (cp::status s = ensure_dir(dir); !s) {
        return s;
    }
    const std::string path = dir + "/" + name;
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return cp::fail("cannot write " + tmp + ": " + std::strerror(errno));
    }
    bool ok = ::fchmod(fd, 0600) == 0;
    std::size_t done = 0;
    while (ok && done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return cp::fail("cannot write " + path + ": " + std::strerror(err));
    }
    return cp::status::ok();
}

std::string random_uuid() {
    unsigned char b[16];
    RAND_bytes(b, sizeof(b));
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // RFC 4122 §4.4: version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10
    std::string out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out.push_back('-');
        }
        append_hex(out, b[i]);
    }
    return out;
}

identity_result make_identity(const std::string& state_dir, const std::string& machine) {
    identity_result r;
    installation_identity id{random_uuid(), machine, iso8601_utc(std::time(nullptr))};
    const nlohmann::json j = {
        {"installation_id", id.id}, {"machine", id.machine}, {"created", id.created}};
    if (cp::status s = write_secret(state_dir, "identity.json", mgmt::json_text(j, 2) + "\n"); !s) {
        r.error = s.message();
        return r;
    }
    r.identity = id;
    r.created = true;
    return r;
}

}  // namespace

std::string iso8601_utc(std::int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string machine_fingerprint(const machine_sources& src) {
    const std::string uuid = read_small(src.system_uuid);
    const std::string mid = read_small(src.machine_id);
    if (uuid.empty() && mid.empty()) {
        return {};
    }
    const std::string input = "sbc-machine\n" + uuid + "\n" + mid;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr);
    return hex(digest, len);
}

identity_result load_or_create_identity(const std::string& state_dir, const std::string& machine) {
    identity_result r;
    const std::string path = state_dir + "/identity.json";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            r.error = "cannot read " + path + ": " + std::strerror(errno);
            return r;
        }
        return make_identity(state_dir, machine);
    }
    const std::string text = read_small(path);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("installation_id") ||
        !j["installation_id"].is_string() || !j.contains("machine") || !j["machine"].is_string()) {
        r.error = path + " is corrupt: move it away to create a new identity (and link again)";
        return r;
    }
    installation_identity id;
    id.id = j["installation_id"].get<std::string>();
    id.machine = j["machine"].get<std::string>();
    id.created = j.value("created", std::string());
    r.cloned = id.machine != machine;
    r.identity = std::move(id);
    return r;
}

identity_result recreate_identity(const std::string& state_dir, const std::string& machine) {
    return make_identity(state_dir, machine);
}

cp::result<std::optional<stored_token>> load_token(const std::string& state_dir) {
    const std::string path = state_dir + "/token.json";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            return cp::fail("cannot read " + path + ": " + std::strerror(errno));
        }
        return std::optional<stored_token>{};
    }
    const auto j = nlohmann::json::parse(read_small(path), nullptr, false);
    auto str = [&j](const char* k) {
        return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    if (j.is_discarded() || !j.is_object() || str("refresh_token").empty()) {
        return cp::fail(path + " is corrupt: unlink and link again");
    }
    stored_token t;
    t.tenant_id = str("tenant_id");
    t.tenant_name = str("tenant_name");
    t.access_token = str("access_token");
    t.refresh_token = str("refresh_token");
    t.installation_id = str("installation_id");
    t.linked_at = str("linked_at");
    if (j.contains("access_expires_at") && j["access_expires_at"].is_number_integer()) {
        t.access_expires_at = j["access_expires_at"].get<std::int64_t>();
    }
    return std::optional<stored_token>{std::move(t)};
}

cp::status save_token(const std::string& state_dir, const stored_token& t) {
    const nlohmann::json j = {{"tenant_id", t.tenant_id},
                              {"tenant_name", t.tenant_name},
                              {"access_token", t.access_token},
                              {"refresh_token", t.refresh_token},
                              {"access_expires_at", t.access_expires_at},
                              {"installation_id", t.installation_id},
                              {"linked_at", t.linked_at}};
    return write_secret(state_dir, "token.json", mgmt::json_text(j, 2) + "\n");
}

cp::status remove_token(const std::string& state_dir) {
    const std::string path = state_dir + "/token.json";
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return cp::fail("cannot remove " + path + ": " + std::strerror(errno));
    }
    return cp::status::ok();
}

}  // namespace sbc::cp::cloudlink
