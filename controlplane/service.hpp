#pragma once
// sbcd as one object: the loaded config, the io_loop, the mgmt API, the dataplane link and the
// SIP side (realms, trunk to OSV, registrar relay; the B2BUA hangs off sip_service too). Each
// part registers its own mgmt commands.

#include <chrono>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/cloudlink/cloudlink_service.hpp"
#include "controlplane/dataplane_link.hpp"
#include "controlplane/media/media_manager.hpp"
#include "controlplane/metrics/metrics_endpoint.hpp"
#include "controlplane/mgmt_server.hpp"
#include "controlplane/reconfig/live_config.hpp"
#include "controlplane/sip_service.hpp"
#include "controlplane/state/journal_store.hpp"
#include "sip/transport/io_loop.hpp"

namespace sbc::cp {

struct service_options {
    std::string config_source;  // "embedded default" or the file path, for status
    std::chrono::milliseconds dataplane_wait{30000};
    // Issue 15: the state store's directory (restart_state.cpp); empty: nothing is kept.
    std::string state_dir;
};

class service {
  public:
    service(config::appliance cfg, service_options opts);
    ~service();

    // Attaches to the dataplane, opens the listeners and the mgmt socket.
    cp::status start();
    // Runs until SIGTERM/SIGINT.
    void run();

    sip::io_loop& loop() { return loop_; }
    sip_service& sip() { return sip_; }
    media::media_manager& media() { return media_; }
    b2bua::b2bua& calls() { return b2bua_; }
    cloudlink::cloudlink_service& cloudlink() { return cloudlink_; }
    const config::appliance& cfg() const { return cfg_; }

  private:
    nlohmann::json status() const;
    // The Prometheus page (controlplane/metrics/service_metrics.cpp).
    std::string metrics_page();
    nlohmann::json inventory() const;  // the appliance's figures for CloudLink's report
    void watch_signals();
    // SIGHUP: the file sbcd was started with, applied like `sbcctl config apply`.
    void reread_config();
    // restart_state.cpp: opens the state store and restores what it holds (before the
    // listeners open); its part of `status`.
    cp::status restore_state();
    nlohmann::json restored_json() const;
    void drop_call_records();

    config::appliance cfg_;
    service_options opts_;
    // Before the parts that write into it: it outlives them.
    std::unique_ptr<state::journal_store> state_;
    std::size_t restored_bindings_ = 0;
    sip::io_loop loop_;
    mgmt_server mgmt_;
    dataplane_link dataplane_;
    sip_service sip_;
    media::media_manager media_;
    b2bua::b2bua b2bua_;
    cloudlink::cloudlink_service cloudlink_;
    reconfig::live_config live_;                          // the current config snapshot (issue 15)
    std::unique_ptr<metrics::metrics_endpoint> metrics_;  // null when mgmt.metrics_port = 0
    uint64_t media_tick_ = 0;
    std::chrono::steady_clock::time_point started_;
    int signal_fd_ = -1;
    sip::op_id signal_watch_;
};

}  // namespace sbc::cp
