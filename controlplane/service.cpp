#include "controlplane/service.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace sbc::cp {

namespace {

nlohmann::json realm_json(const config::realm& r) {
    return {
        {"name", r.name},
        {"signalling_address", r.signalling_address},
        {"sip_udp_port", r.sip_udp_port},
        {"sip_tcp_port", r.sip_tcp_port},
        {"sip_tls_port", r.sip_tls_port},
        {"media_address", r.media_address},
        {"media_ports", std::to_string(r.media_port_min) + "-" + std::to_string(r.media_port_max)},
        {"dpdk_port", r.dpdk_port}};
}

}  // namespace

service::service(config::appliance cfg, service_options opts)
    : cfg_(std::move(cfg)),
      opts_(std::move(opts)),
      mgmt_(loop_),
      dataplane_(loop_, cfg_.instance),
      sip_(loop_, cfg_),
      media_(cfg_, dataplane_.client()),
      b2bua_(sip_, media_, cfg_),
      cloudlink_(
          loop_, cfg_, SBC_VERSION, [this] { return inventory(); },
          [this](const std::string& aor) -> std::optional<push_device> {
              for (const binding* b : sip_.bindings().by_aor(aor)) {
                  if (b->state == binding_state::active && b->has_push()) {
                      return b->push;
                  }
              }
              return std::nullopt;
          }),
      live_(cfg_, opts_.config_source, {sip_, &media_.profiles()}),
      started_(std::chrono::steady_clock::now()) {}

service::~service() {
    if (media_tick_ != 0) {
        loop_.cancel_every(media_tick_);
    }
    dataplane_.stop();
    mgmt_.close();
    if (signal_fd_ >= 0) {
        loop_.unwatch(signal_watch_);
        ::close(signal_fd_);
    }
}

cp::status service::start() {
    retry_policy policy;
    policy.deadline = opts_.dataplane_wait;
    spdlog::info("attaching to dataplane '{}' (waiting up to {} ms)", cfg_.instance,
                 opts_.dataplane_wait.count());
    if (dp_status st = dataplane_.attach_at_startup(policy); !st) {
        return cp::fail(st.message);
    }
    spdlog::info("attached to dataplane pid {}", dataplane_.client().dataplane_pid());
    // Calls: the media manager hears the dataplane's events, replays its flows after a dataplane
    // restart and checks media timeouts once a second; the B2BUA takes INVITEs and dialogs.
    if (cp::status st = media_.open_cdr(); !st) {
        return st;
    }
    // Issue 15: the flows a previous sbcd left in the dataplane, read before any call can be
    // given their ports (media/orphan_flows.cpp).
    const flow_table table = dataplane_.client().read_flow_table(std::chrono::seconds(10));
    if (table.error != dp_errc::none) {
        return cp::fail(std::string("cannot read the dataplane's flow table: ") +
                        to_string(table.error));
    }
    media_.adopt_flow_table(table.flows, std::chrono::steady_clock::now());
    dataplane_.on_event([this](const dp_event& ev) {
        sip_.guard().run(guarded_entry::dataplane_event, "dataplane event",
                         [&] { media_.on_event(ev); });
    });
    dataplane_.on_reattach([this] { media_.replay(); });
    media_tick_ = loop_.run_every(std::chrono::seconds(1),
                                  [this] { media_.tick(std::chrono::steady_clock::now()); });
    b2bua_.use_push(cloudlink_.pushes());
    b2bua_.attach();
    dataplane_.start();

    mgmt_.on("status", [this](const nlohmann::json&) { return status(); });
    mgmt_.on("config", [this](const nlohmann::json&) {
        return nlohmann::json{{"source", live_.source()},
                              {"version", live_.version()},
                              {"toml", config::to_toml(*live_.current())}};
    });
    live_.register_mgmt(mgmt_);
    mgmt_.on("counters", [this](const nlohmann::json&) { return dataplane_.counters_table(); });
    sip_.register_mgmt(mgmt_);
    b2bua_.register_mgmt(mgmt_);
    if (cp::status st = restore_state(); !st) {
        return st;
    }
    cloudlink_.register_mgmt(mgmt_);
    cloudlink_.start();
    if (cp::status st = sip_.start(); !st) {
        return st;
    }
    if (cp::status st = mgmt_.open(cfg_.mgmt.socket, cfg_.mgmt.group); !st) {
        return st;
    }
    spdlog::info("mgmt API on {}", cfg_.mgmt.socket);
    if (cfg_.mgmt.metrics_port != 0) {
        metrics_ =
            std::make_unique<metrics::metrics_endpoint>(loop_, [this] { return metrics_page(); });
        if (cp::status st = metrics_->open(cfg_.mgmt.metrics_address, cfg_.mgmt.metrics_port);
            !st) {
            return st;
        }
        spdlog::info("metrics on http://{}:{}/metrics", cfg_.mgmt.metrics_address,
                     cfg_.mgmt.metrics_port);
    }
    watch_signals();
    return cp::status::ok();
}

void service::watch_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    signal_watch_ = loop_.watch(signal_fd_, POLLIN, [this](unsigned) {
        signalfd_siginfo si{};
        while (::read(signal_fd_, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
            if (si.ssi_signo == SIGHUP) {
                reread_config();
                continue;
            }
            spdlog::info("signal {}: stopping", si.ssi_signo);
            loop_.stop();
        }
    });
}

void service::reread_config() {
    if (opts_.config_source == "embedded default") {
        spdlog::warn("signal SIGHUP: sbcd runs on the embedded default config; nothing to re-read");
        return;
    }
    spdlog::info("signal SIGHUP: re-reading {}", opts_.config_source);
    sip_.guard().run(guarded_entry::mgmt_command, "SIGHUP",
                     [&] { (void)live_.apply_file(opts_.config_source, "sighup"); });
}

void service::run() {
    loop_.run();
}

nlohmann::json service::status() const {
    nlohmann::json j;
    j["instance"] = cfg_.instance;
    j["version"] = SBC_VERSION;
    j["pid"] = ::getpid();
    j["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - started_)
                        .count();
    j["config_source"] = opts_.config_source;
    j["dataplane"] = dataplane_.status_json();
    j["realms"] =
        nlohmann::json::array({realm_json(cfg_.realm.access), realm_json(cfg_.realm.core)});
    const nlohmann::json sip = sip_.status();
    j["sip_server"] = sip["sip_server"];
    j["sip_realms"] = sip["realms"];
    j["registrations"] = sip["registrations"];
    j["security"] = sip["security"];  // details: sbcctl security, sbcctl blacklist
    j["exceptions"] = sip["exceptions"];
    j["calls"] = b2bua_.active();  // details: sbcctl calls
    j["restart"] = media_.restart_json(std::chrono::steady_clock::now());
    j["restart"].update(restored_json());
    const nlohmann::json cl = cloudlink_.link().status();  // details: sbcctl cloudlink status
    j["cloudlink"] = {{"state", cl["state"]}, {"tenant", cl.value("tenant", nlohmann::json())}};
    return j;
}

nlohmann::json service::inventory() const {
    // Registered clients by type: a binding with RFC 8599 push parameters is a mobile app.
    std::size_t mobile = 0, desktop = 0;
    sip_.bindings().for_each([&](const binding& b) {
        if (b.state == binding_state::active) {
            ++(b.has_push() ? mobile : desktop);
        }
    });
    nlohmann::json realms = nlohmann::json::array();
    for (const auto* r : {&cfg_.realm.access, &cfg_.realm.core}) {
        realms.push_back({{"name", r->name}, {"signalling_address", r->signalling_address}});
    }
    return {{"realms", realms},
            {"sessions", {{"max", cfg_.calls.max_sessions}, {"active", b2bua_.active()}}},
            {"registered_clients", {{"desktop", desktop}, {"mobile", mobile}}}};
}

}  // namespace sbc::cp
