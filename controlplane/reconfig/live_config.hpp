#pragma once
// sbcd's config as immutable snapshots (issue 15, "Live reconfiguration"). The one owner of the
// current snapshot: `sbcctl config apply FILE`, SIGHUP (the file sbcd was started with) and
// `sbcctl config rollback` come here. An apply is all or nothing:
//   1. load and validate the file (every error at once, file:line:column, as at start);
//   2. diff it against the running snapshot by key (config/diff.hpp), certificate files whose
//      content changed under the same path included;
//   3. refuse the whole apply when any changed key needs a restart, naming each key and why
//      (live_keys.cpp);
//   4. build what can fail (the TLS contexts) before touching anything;
//   5. hand each live part its new settings and make the snapshot current.
// New work reads the current snapshot (a new TLS handshake, a new call's User-Agent match, the
// next REGISTER, the DoS guard's next decision); work in progress keeps what it started with (an
// open TLS connection its SSL_CTX, a call its media profile).

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "controlplane/reconfig/live_keys.hpp"
#include "controlplane/result.hpp"

namespace sbc::cp {
class sip_service;
class mgmt_server;
namespace media {
class profile_selector;
}
}  // namespace sbc::cp

namespace sbc::cp::reconfig {

struct apply_outcome {
    bool applied = false;
    std::uint32_t version = 0;               // the version running after the call
    std::vector<config::error> errors;       // the file's own errors (nothing else was looked at)
    std::vector<classified_change> changes;  // the diff against the running snapshot
    std::vector<std::string> refusals;       // "KEY: why" for each reason the apply was refused
    std::string saved;       // set --save: the file the key was written to
    std::string save_error;  // set --save: applied, but the file could not be written (why)

    nlohmann::json to_json() const;
};

// The certificate, key and CA files' SHA-256 of each certificate profile, by index ("" when a
// file is not configured or cannot be read): a file rotated in place is a change.
using pem_digests = std::vector<std::array<std::string, 3>>;
pem_digests digest_pem_files(const config::appliance& cfg);
// The certificate files whose content changed while their path stayed the same.
std::vector<config::key_change> pem_changes(const config::appliance& from, const pem_digests& a,
                                            const config::appliance& to, const pem_digests& b);

class live_config {
  public:
    // The parts that take live keys. `profiles` may be null (no media side: unit tests).
    struct parts {
        sip_service& sip;
        media::profile_selector* profiles = nullptr;
    };

    // Version 1 is `initial`, as sbcd started with it from `source`.
    live_config(const config::appliance& initial, std::string source, parts p);

    std::shared_ptr<const config::appliance> current() const { return history_.back().config; }
    const std::string& source() const { return history_.back().source; }
    std::uint32_t version() const { return history_.back().version; }

    // `origin`: "apply", "sighup" (for the log and the history).
    apply_outcome apply_file(const std::string& path, std::string_view origin);
    // Back to the version before the current one, validated again like a file (its certificate
    // files are read again: a file overwritten since then is the new content).
    apply_outcome rollback();

    // `sbcctl set KEY VALUE`: the running config with one key changed (single_key.hpp),
    // validated and applied like a file; a bad value is refused as "KEY: rule". `save`: once
    // applied, the key is also written into the file sbcd was started with (config/file_edit.hpp),
    // the rest of the file untouched.
    apply_outcome set_key(std::string_view key, std::string_view value, bool save = false);
    // `sbcctl get KEY`: {"key", "value" (TOML text), "live", "why"}.
    cp::result<nlohmann::json> get_key(std::string_view key) const;

    // `config_apply` {"file"}, `config_history`, `config_rollback`, `config_set` {"key",
    // "value"}, `config_get` {"key"}.
    void register_mgmt(mgmt_server& mgmt);
    nlohmann::json history_json() const;

    // Versions kept for history and rollback.
    static constexpr std::size_t max_history = 16;

  private:
    struct version_entry {
        std::uint32_t version = 0;
        std::chrono::system_clock::time_point at;
        std::string origin;  // "start", "apply", "sighup", "rollback"
        std::string source;
        std::vector<classified_change> changes;
        std::shared_ptr<const config::appliance> config;
        pem_digests pems;
    };

    apply_outcome apply(config::appliance next, std::string source, std::string_view origin);
    // Live certificate changes that still need a restart here: the core realm's profile is also
    // the TLS client certificate toward TLS sip_server nodes, which is taken at start.
    void refuse_client_certificate(const config::appliance& next,
                                   std::vector<classified_change>& changes) const;
    void log(const apply_outcome& out, std::string_view origin) const;
    // Writes the running value of `key` into `file` (set --save); "" or why not.
    std::string save_key(const std::string& file, std::string_view key) const;

    parts parts_;
    std::deque<version_entry> history_;
};

}  // namespace sbc::cp::reconfig
