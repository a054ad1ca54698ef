#include "controlplane/reconfig/live_config.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "config/file_edit.hpp"
#include "controlplane/dos_guard.hpp"
#include "controlplane/media/profile_selector.hpp"
#include "controlplane/mgmt_server.hpp"
#include "controlplane/reconfig/single_key.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp::reconfig {
namespace {

// "sha256:" and the first 16 hex digits: enough to tell two files apart in a diff line.
std::string digest_of(const std::string& path) {
    if (path.empty()) {
        return {};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return {};
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) {
        return {};
    }
    return "sha256:" + hex(md, std::min<unsigned int>(len, 8));
}

std::string utc_text(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

nlohmann::json changes_json(const std::vector<classified_change>& changes) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : changes) {
        out.push_back({{"key", c.change.key},
                       {"from", c.change.from},
                       {"to", c.change.to},
                       {"live", c.kind == key_kind::live},
                       {"why", c.why}});
    }
    return out;
}

constexpr std::array<std::string_view, 3> pem_keys{"certificate", "private_key", "ca"};

}  // namespace

nlohmann::json apply_outcome::to_json() const {
    nlohmann::json errs = nlohmann::json::array();
    for (const auto& e : errors) {
        errs.push_back({{"file", e.file},
                        {"line", e.line},
                        {"column", e.column},
                        {"key", e.key},
                        {"rule", e.rule},
                        {"text", e.to_string()}});
    }
    return {{"applied", applied},      {"version", version},
            {"errors", errs},          {"changes", changes_json(changes)},
            {"refusals", refusals},    {"saved", saved},
            {"save_error", save_error}};
}

pem_digests digest_pem_files(const config::appliance& cfg) {
    pem_digests out;
    for (const auto& p : cfg.certificate_profiles) {
        out.push_back(
            {digest_of(p.certificate), digest_of(p.private_key), digest_of(p.ca.value_or(""))});
    }
    return out;
}

std::vector<config::key_change> pem_changes(const config::appliance& from, const pem_digests& a,
                                            const config::appliance& to, const pem_digests& b) {
    std::vector<config::key_change> out;
    const std::size_t n = std::min(
        {from.certificate_profiles.size(), to.certificate_profiles.size(), a.size(), b.size()});
    for (std::size_t i = 0; i < n; ++i) {
        const auto& p = from.certificate_profiles[i];
        const auto& q = to.certificate_profiles[i];
        const std::array<std::string, 3> before{p.certificate, p.private_key, p.ca.value_or("")};
        const std::array<std::string, 3> after{q.certificate, q.private_key, q.ca.value_or("")};
        for (std::size_t f = 0; f < pem_keys.size(); ++f) {
            // A new path is in the key diff already; here: the same path, new content.
            if (before[f] == after[f] && !after[f].empty() && a[i][f] != b[i][f]) {
                out.push_back(
                    {"certificate_profile[" + std::to_string(i) + "]." + std::string(pem_keys[f]),
                     after[f] + " " + a[i][f], after[f] + " " + b[i][f]});
            }
        }
    }
    return out;
}

live_config::live_config(const config::appliance& initial, std::string source, parts p)
    : parts_(p) {
    version_entry first;
    first.version = 1;
    first.at = std::chrono::system_clock::now();
    first.origin = "start";
    first.source = std::move(source);
    first.config = std::make_shared<const config::appliance>(initial);
    first.pems = digest_pem_files(initial);
    history_.push_back(std::move(first));
}

apply_outcome live_config::apply_file(const std::string& path, std::string_view origin) {
    config::load_result loaded = config::load_file(path);
    if (!loaded.errors.empty()) {
        apply_outcome out;
        out.version = version();
        out.errors = std::move(loaded.errors);
        out.refusals.push_back(path + ": " + std::to_string(out.errors.size()) + " config error" +
                               (out.errors.size() == 1 ? "" : "s") + "; nothing changed");
        log(out, origin);
        return out;
    }
    return apply(std::move(*loaded.config), path, origin);
}

apply_outcome live_config::rollback() {
    if (history_.size() < 2) {
        apply_outcome out;
        out.version = version();
        out.refusals.push_back("no earlier version to roll back to");
        return out;
    }
    const version_entry& previous = history_[history_.size() - 2];
    const std::string name = "version " + std::to_string(previous.version);
    config::load_result loaded = config::load_string(config::to_toml(*previous.config), name);
    if (!loaded.errors.empty()) {
        apply_outcome out;
        out.version = version();
        out.errors = std::move(loaded.errors);
        out.refusals.push_back(name + " is no longer valid; nothing changed");
        log(out, "rollback");
        return out;
    }
    return apply(std::move(*loaded.config), previous.source, "rollback");
}

apply_outcome live_config::set_key(std::string_view key, std::string_view value, bool save) {
    apply_outcome out;
    out.version = version();
    auto text = with_key(*current(), key, value);
    if (!text) {
        out.refusals.push_back(text.error().message());
        log(out, "set");
        return out;
    }
    config::load_result loaded = config::load_string(*text, "sbcctl set");
    if (!loaded.errors.empty()) {
        // Positions in the generated text mean nothing to the operator: the key and the rule.
        for (const auto& e : loaded.errors) {
            out.refusals.push_back((e.key.empty() ? std::string(key) : e.key) + ": " + e.rule);
        }
        log(out, "set");
        return out;
    }
    const std::string file = source();
    apply_outcome out_applied = apply(std::move(*loaded.config), file, "set");
    if (save && out_applied.refusals.empty()) {
        out_applied.save_error = save_key(file, key);
        if (out_applied.save_error.empty()) {
            out_applied.saved = file;
            spdlog::info("config (set): {} written to {}", key, file);
        } else {
            spdlog::warn("config (set): {} not written to {}: {}", key, file,
                         out_applied.save_error);
        }
    }
    return out_applied;
}

std::string live_config::save_key(const std::string& file, std::string_view key) const {
    if (file == "embedded default") {
        return "sbcd runs on the embedded default config: there is no file to write to";
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return "cannot read " + file + ": " + std::strerror(errno);
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    auto value = value_of(*current(), key);
    if (!value) {
        return value.error().message();
    }
    const config::file_edit edit = config::set_in_file(text, key, *value);
    if (!edit.error.empty()) {
        return edit.error;
    }
    // The edited file must load and hold the running value before it replaces the old one.
    config::load_result check = config::load_string(edit.text, file);
    if (!check.errors.empty()) {
        return "the edited file would not load: " + check.errors.front().to_string();
    }
    auto written = value_of(*check.config, key);
    if (!written || *written != *value) {
        return "the edited file would not hold the value; edit it by hand";
    }
    const std::string temp = file + ".sbc-save";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << edit.text;
        out.flush();
        if (!out) {
            std::remove(temp.c_str());
            return "cannot write " + temp + ": " + std::strerror(errno);
        }
    }
    std::error_code ec;
    std::filesystem::permissions(temp, std::filesystem::status(file, ec).permissions(),
                                 std::filesystem::perm_options::replace, ec);
    std::filesystem::rename(temp, file, ec);
    if (ec) {
        std::remove(temp.c_str());
        return "cannot replace " + file + ": " + ec.message();
    }
    return {};
}

cp::result<nlohmann::json> live_config::get_key(std::string_view key) const {
    auto value = value_of(*current(), key);
    if (!value) {
        return value.error();
    }
    const classified_change c = classify(config::key_change{std::string(key), *value, *value});
    return nlohmann::json{{"key", key},
                          {"value", *value},
                          {"live", c.kind == key_kind::live},
                          {"why", c.why},
                          {"version", version()}};
}

void live_config::refuse_client_certificate(const config::appliance& next,
                                            std::vector<classified_change>& changes) const {
    const config::realm* core = next.find_realm(next.sip_server.realm);
    bool tls_node = false;
    for (const auto& n : next.sip_server.nodes) {
        tls_node = tls_node || n.transport == config::sip_transport::tls;
    }
    if (core == nullptr || !tls_node) {
        return;
    }
    for (auto& c : changes) {
        const std::string key = generic_key(c.change.key);
        if (c.kind != key_kind::live || key.rfind("certificate_profile[].", 0) != 0) {
            continue;
        }
        const std::size_t index = std::stoul(c.change.key.substr(c.change.key.find('[') + 1));
        if (index < next.certificate_profiles.size() &&
            next.certificate_profiles[index].name == core->certificate_profile) {
            c.kind = key_kind::restart;
            c.why =
                "needs a restart: the core realm's profile is also the TLS client "
                "certificate toward sip_server nodes, which is taken at start";
        }
    }
}

apply_outcome live_config::apply(config::appliance next_cfg, std::string source,
                                 std::string_view origin) {
    apply_outcome out;
    out.version = version();
    const version_entry& now = history_.back();
    const config::appliance& cur = *now.config;
    pem_digests pems = digest_pem_files(next_cfg);

    std::vector<config::key_change> keys = config::diff(cur, next_cfg);
    for (auto& k : pem_changes(cur, now.pems, next_cfg, pems)) {
        keys.push_back(std::move(k));
    }
    out.changes = classify(keys);
    refuse_client_certificate(next_cfg, out.changes);
    for (const auto& c : needing_restart(out.changes)) {
        out.refusals.push_back(c.change.key + ": " + c.why);
    }
    if (!out.refusals.empty()) {
        log(out, origin);
        return out;
    }
    if (out.changes.empty()) {
        log(out, origin);
        return out;  // nothing to do: no new version
    }

    // Everything that can fail, before anything changes.
    bool tls_changed = false;
    bool ua_changed = false;
    for (const auto& c : out.changes) {
        const std::string key = generic_key(c.change.key);
        tls_changed = tls_changed || key.rfind("certificate_profile", 0) == 0;
        ua_changed = ua_changed || key.rfind("user_agent", 0) == 0;
    }
    realm_edge::tls_contexts tls;
    sip_service& sip = parts_.sip;
    if (tls_changed && (sip.access().serves_tls() || sip.core().serves_tls())) {
        auto built = realm_edge::build_tls(next_cfg.certificate_profiles);
        if (!built) {
            out.refusals.push_back(built.error().message() + "; nothing changed");
            log(out, origin);
            return out;
        }
        tls = std::move(built.value());
    }

    auto next = std::make_shared<const config::appliance>(std::move(next_cfg));
    if (!tls.empty()) {
        for (realm_edge* edge : {&sip.access(), &sip.core()}) {
            if (edge->serves_tls()) {
                edge->use_tls(tls);
            }
        }
    }
    if (ua_changed && parts_.profiles != nullptr) {
        parts_.profiles->use_user_agents(next);
    }
    sip.dos().set_settings(dos_settings::from(next->security.dos));
    sip.registrar().set_throttle(next->remote_subscribers);
    spdlog::set_level(static_cast<spdlog::level::level_enum>(next->log.level));

    version_entry entry;
    entry.version = now.version + 1;
    entry.at = std::chrono::system_clock::now();
    entry.origin = std::string(origin);
    entry.source = std::move(source);
    entry.changes = out.changes;
    entry.config = std::move(next);
    entry.pems = std::move(pems);
    history_.push_back(std::move(entry));
    while (history_.size() > max_history) {
        history_.pop_front();
    }
    out.applied = true;
    out.version = version();
    log(out, origin);
    return out;
}

void live_config::log(const apply_outcome& out, std::string_view origin) const {
    if (out.applied) {
        spdlog::info("config ({}): version {} from {} applied, {} key{} changed", origin,
                     out.version, source(), out.changes.size(), out.changes.size() == 1 ? "" : "s");
        for (const auto& c : out.changes) {
            spdlog::info("config: {}", c.to_string());
        }
        return;
    }
    if (out.refusals.empty()) {
        spdlog::info("config ({}): no change; version {} stays", origin, out.version);
        return;
    }
    for (const auto& e : out.errors) {
        spdlog::warn("config ({}): {}", origin, e.to_string());
    }
    for (const auto& r : out.refusals) {
        spdlog::warn("config ({}): refused: {}", origin, r);
    }
}

nlohmann::json live_config::history_json() const {
    nlohmann::json versions = nlohmann::json::array();
    for (const auto& v : history_) {
        versions.push_back({{"version", v.version},
                            {"at", utc_text(v.at)},
                            {"origin", v.origin},
                            {"source", v.source},
                            {"changes", changes_json(v.changes)}});
    }
    return {{"current", version()}, {"versions", versions}};
}

void live_config::register_mgmt(mgmt_server& mgmt) {
    mgmt.on("config_apply", [this](const nlohmann::json& args) -> cp::result<nlohmann::json> {
        const auto it = args.find("file");
        if (it == args.end() || !it->is_string() || it->get<std::string>().empty()) {
            return cp::fail("config_apply: needs \"file\", the config file's path");
        }
        return apply_file(it->get<std::string>(), "apply").to_json();
    });
    mgmt.on("config_rollback", [this](const nlohmann::json&) -> cp::result<nlohmann::json> {
        return rollback().to_json();
    });
    mgmt.on("config_set", [this](const nlohmann::json& args) -> cp::result<nlohmann::json> {
        const auto key = args.find("key");
        const auto value = args.find("value");
        if (key == args.end() || !key->is_string() || value == args.end() || !value->is_string()) {
            return cp::fail("config_set: needs \"key\" and \"value\" strings");
        }
        const auto save = args.find("save");
        return set_key(key->get<std::string>(), value->get<std::string>(),
                       save != args.end() && save->is_boolean() && save->get<bool>())
            .to_json();
    });
    mgmt.on("config_get", [this](const nlohmann::json& args) -> cp::result<nlohmann::json> {
        const auto key = args.find("key");
        if (key == args.end() || !key->is_string()) {
            return cp::fail("config_get: needs \"key\", a string");
        }
        return get_key(key->get<std::string>());
    });
    mgmt.on("config_history",
            [this](const nlohmann::json&) -> cp::result<nlohmann::json> { return history_json(); });
}

}  // namespace sbc::cp::reconfig
