#pragma once
// CloudLink inside sbcd, wired from [cloudlink] and [push]: the HTTPS worker, the proxy policy,
// the API, the link and the push sender, and their mgmt commands (cloudlink_status,
// cloudlink_link, cloudlink_unlink, cloudlink_push). See README.md for why it lives in sbcd.

#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "config/appliance.hpp"
#include "controlplane/cloudlink/http_api.hpp"
#include "controlplane/cloudlink/http_worker.hpp"
#include "controlplane/cloudlink/link_client.hpp"
#include "controlplane/cloudlink/proxy_policy.hpp"
#include "controlplane/cloudlink/push_sender.hpp"

namespace sbc::cp {
class mgmt_server;
}

namespace sbc::cp::cloudlink {

class cloudlink_service {
  public:
    // `inventory` adds the appliance's figures to each report; `find_device` resolves an AOR to
    // a push-capable binding's device for `sbcctl cloudlink push` (a test push by the operator).
    cloudlink_service(sip::io_loop& loop, const config::appliance& cfg, std::string version,
                      link_client::inventory_fn inventory,
                      std::function<std::optional<push_device>(const std::string& aor)> find_device,
                      machine_sources machine = {});

    void start() { link_.start(); }
    void register_mgmt(mgmt_server& mgmt);
    nlohmann::json status() const;

    link_client& link() { return link_; }
    const link_client& link() const { return link_; }
    push_sender& pushes() { return push_; }

  private:
    const config::appliance& cfg_;
    http_worker http_;
    proxy_policy proxy_;
    http_api api_;
    link_client link_;
    push_sender push_;
    std::function<std::optional<push_device>(const std::string&)> find_device_;
};

}  // namespace sbc::cp::cloudlink
