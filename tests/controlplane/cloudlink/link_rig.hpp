#pragma once
// A CloudLink client as sbcd runs it (io_loop, curl worker thread, http_api, link_client,
// push_sender) against the stand-in on loopback: real HTTPS, real certificates.

#include <sys/stat.h>

#include <fstream>
#include <memory>

#include "controlplane/cloudlink/http_api.hpp"
#include "controlplane/cloudlink/link_client.hpp"
#include "controlplane/cloudlink/push_sender.hpp"
#include "standin.hpp"
#include "test_support.hpp"

namespace sbc::cp::cloudlink::test {

using namespace std::chrono_literals;

struct link_rig {
    explicit link_rig(const std::string& cert = "cloud") : link_rig(nullptr, cert) {}
    // On `external`'s loop (the B2BUA's, for the push call flow) instead of its own.
    link_rig(sip::io_loop* external, const std::string& cert)
        : server(dir.path(), cert),
          own_loop(external != nullptr ? nullptr : std::make_unique<sip::io_loop>()),
          loop(external != nullptr ? *external : *own_loop) {
        write_machine("machine-a");
        push_cfg.enable = true;
        push_cfg.providers = {"apns", "fcm"};
        push_cfg.max_per_device_per_minute = 3;
        push_cfg.request_timeout_ms = 2000;
    }

    void write_machine(const std::string& id) {
        std::ofstream(dir.file("machine-id")) << id << "\n";
    }

    // (Re)creates the client (a restart of sbcd) and starts it.
    void start(std::uint32_t timeout_ms = 5000) {
        push.reset();
        link.reset();
        api.reset();
        api = std::make_unique<http_api>(
            http, proxy, http_api_settings{server.base_url(), server.ca(), timeout_ms, "sbc/test"});
        link_settings s;
        s.enable = true;
        s.state_dir = dir.file("state");
        s.inventory_interval = inventory_interval;
        s.machine = {dir.file("no-such-uuid"), dir.file("machine-id")};
        s.product = {"", "", "test-host", "sbc", "0.1.0"};
        s.backoff_base = backoff_base;
        s.backoff_cap = 5s;
        link = std::make_unique<link_client>(loop, *api, s, [] {
            return nlohmann::json{{"registered_clients", {{"desktop", 2}, {"mobile", 1}}}};
        });
        push = std::make_unique<push_sender>(loop, *api, *link, push_cfg);
        link->start();
    }

    std::string state() const { return link->status()["state"].get<std::string>(); }

    // Links with the stand-in's admin; true when the attempt ended (either way) in time.
    bool link_with(const std::string& user, const std::string& password) {
        if (const cp::status s = link->link(user, password); !s) {
            last_error = s.message();
            return false;
        }
        return run_until([&] { return link->status()["link_attempt"]["result"] != "pending"; });
    }
    std::string attempt_result() const {
        return link->status()["link_attempt"]["result"].get<std::string>();
    }

    template <typename Pred>
    bool run_until(Pred p, std::chrono::milliseconds limit = 15s) {
        return sip::test::run_until(loop, p, limit);
    }

    sip::test::temp_dir dir;
    standin server;
    std::unique_ptr<sip::io_loop> own_loop;
    sip::io_loop& loop;
    config::proxy_section proxy_cfg;
    proxy_policy proxy{proxy_cfg, [](const char*) -> const char* { return nullptr; }};
    http_worker http{loop};
    config::push_section push_cfg;
    std::chrono::seconds inventory_interval{1800};
    std::chrono::milliseconds backoff_base{200};
    std::unique_ptr<http_api> api;
    std::unique_ptr<link_client> link;
    std::unique_ptr<push_sender> push;
    std::string last_error;
};

inline unsigned mode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 01000;
}

}  // namespace sbc::cp::cloudlink::test
