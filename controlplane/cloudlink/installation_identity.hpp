#pragma once
// The appliance's identity toward CloudLink, and its secrets on disk (guide 8: "Do not clone any
// servers where the CloudLink Daemon is installed").
//
// At first start sbcd creates `state_dir/identity.json`: a random installation id and the
// fingerprint of the machine it was created on (SHA-256 of the SMBIOS system UUID and
// /etc/machine-id, whichever exist). A disk image cloned to another machine (or VM) carries the
// file but not the machine: the fingerprint no longer matches, and the client refuses to use
// the link it finds, saying so, instead of sharing one CloudLink registration between two
// appliances. The token (`state_dir/token.json`) is written 0600 in a 0700 directory, by atomic
// rename, and holds what the link granted; the admin credentials are never stored.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include "controlplane/result.hpp"

namespace sbc::cp::cloudlink {

// Where the machine fingerprint comes from (tests point these at files of their own).
struct machine_sources {
    std::string system_uuid = "/sys/class/dmi/id/product_uuid";
    std::string machine_id = "/etc/machine-id";
};

// SHA-256 (hex) over what the sources hold; "" when none can be read.
std::string machine_fingerprint(const machine_sources& src);

struct installation_identity {
    std::string id;       // RFC 4122 version 4 UUID
    std::string machine;  // fingerprint of the machine it was created on
    std::string created;  // ISO 8601 UTC
};

struct identity_result {
    std::optional<installation_identity> identity;
    bool created = false;  // first start: just made
    bool cloned = false;   // found, but made on another machine
    std::string error;     // cannot read/write the state directory, or a corrupt file
};

// Loads state_dir/identity.json, creating it (and state_dir, 0700) when missing.
identity_result load_or_create_identity(const std::string& state_dir, const std::string& machine);
// Replaces the identity with a new one for `machine` (after a clone: the operator's unlink).
identity_result recreate_identity(const std::string& state_dir, const std::string& machine);

// What the link granted, kept across restarts.
struct stored_token {
    std::string tenant_id, tenant_name;
    std::string access_token, refresh_token;
    std::int64_t access_expires_at = 0;  // unix seconds, local clock
    std::string installation_id;         // the identity the link belongs to
    std::string linked_at;               // ISO 8601 UTC
};

// nullopt (and no error) when there is no token file.
cp::result<std::optional<stored_token>> load_token(const std::string& state_dir);
cp::status save_token(const std::string& state_dir, const stored_token& t);
cp::status remove_token(const std::string& state_dir);

std::string iso8601_utc(std::int64_t unix_seconds);

}  // namespace sbc::cp::cloudlink
