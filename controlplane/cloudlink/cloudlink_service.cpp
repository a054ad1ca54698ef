#include "controlplane/cloudlink/cloudlink_service.hpp"

#include <unistd.h>

#include <cstdlib>

#include "controlplane/mgmt_server.hpp"

namespace sbc::cp::cloudlink {

namespace {

std::string host_name() {
    char buf[256] = {};
    ::gethostname(buf, sizeof(buf) - 1);
    return buf;
}

link_settings settings_from(const config::appliance& cfg, const std::string& version,
                            machine_sources machine) {
    link_settings s;
    s.enable = cfg.cloudlink.enable;
    s.state_dir = cfg.cloudlink.state_dir;
    s.inventory_interval = std::chrono::seconds(cfg.cloudlink.inventory_interval_s);
    s.max_clock_offset_s = cfg.cloudlink.max_clock_offset_s;
    s.machine = std::move(machine);
    s.product.hostname = host_name();
    s.product.product = "sbc";
    s.product.version = version;
    return s;
}

std::string arg_string(const nlohmann::json& args, const char* key) {
    if (!args.is_object() || !args.contains(key) || !args[key].is_string()) {
        return {};
    }
    return args[key].get<std::string>();
}

}  // namespace

cloudlink_service::cloudlink_service(
    sip::io_loop& loop, const config::appliance& cfg, std::string version,
    link_client::inventory_fn inventory,
    std::function<std::optional<push_device>(const std::string&)> find_device,
    machine_sources machine)
    : cfg_(cfg),
      http_(loop),
      proxy_(cfg.cloudlink.proxy, [](const char* name) { return std::getenv(name); }),
      api_(http_, proxy_,
           {cfg.cloudlink.base_url, cfg.cloudlink.ca.value_or(""), cfg.cloudlink.request_timeout_ms,
            "sbc/" + version}),
      link_(loop, api_, settings_from(cfg, version, std::move(machine)), std::move(inventory)),
      push_(loop, api_, link_, cfg.push),
      find_device_(std::move(find_device)) {}

nlohmann::json cloudlink_service::status() const {
    nlohmann::json j = link_.status();
    j["base_url"] = cfg_.cloudlink.base_url;
    j["proxy"] = proxy_.describe();
    j["push"] = {{"enabled", cfg_.push.enable},
                 {"counters", push_.counters_json()},
                 {"recent", push_.recent()}};
    return j;
}

void cloudlink_service::register_mgmt(mgmt_server& mgmt) {
    mgmt.on("cloudlink_status", [this](const nlohmann::json&) { return status(); });
    // The admin credentials cross the mgmt socket (root/group only) once and are dropped after
    // the link request; mgmt_server logs no arguments.
    mgmt.on("cloudlink_link", [this](const nlohmann::json& args) -> cp::result<nlohmann::json> {
        if (cp::status s = link_.link(arg_string(args, "username"), arg_string(args, "password"));
            !s) {
            return s;
        }
        return nlohmann::json{{"state", state_name(link_.state())},
                              {"attempt", link_.status()["link_attempt"]["id"]}};
    });
    mgmt.on("cloudlink_unlink", [this](const nlohmann::json&) { return link_.unlink(); });
    // A test push by the operator to a registered push client: the result appears in
    // status().push.recent.
    mgmt.on("cloudlink_push", [this](const nlohmann::json& args) -> cp::result<nlohmann::json> {
        const std::string aor = arg_string(args, "aor");
        const auto device = find_device_ ? find_device_(aor) : std::nullopt;
        if (!device) {
            return cp::fail("no push-capable binding for '" + aor + "'");
        }
        push_.push(*device, "sbcctl-test", "sbcctl", [](const push_result&) {});
        return nlohmann::json{{"device", device->summary()}, {"requested", true}};
    });
}

}  // namespace sbc::cp::cloudlink
