#pragma once
// The CloudLink API over HTTPS with JSON (README.md "The API"): requests built, answers read
// as hostile input (JSON that does not parse, invalid UTF-8, wrong types, oversize values are
// a bad_response with a reason, never an exception).

#include <string>

#include "controlplane/cloudlink/api.hpp"
#include "controlplane/cloudlink/http_worker.hpp"
#include "controlplane/cloudlink/proxy_policy.hpp"

namespace sbc::cp::cloudlink {

enum class api_op : std::uint8_t { link, refresh, inventory, push, unlink };

struct http_api_settings {
    std::string base_url;  // https://host[:port][/path], no trailing slash
    std::string ca_file;   // "" = the system trust store
    std::uint32_t timeout_ms = 10000;
    std::string user_agent = "sbc";
};

class http_api final : public api {
  public:
    http_api(http_worker& http, const proxy_policy& proxy, http_api_settings settings);

    void link(const std::string& username, const std::string& password,
              const installation_info& who, done_fn done) override;
    void refresh(const std::string& refresh_token, const std::string& installation_id,
                 done_fn done) override;
    void report_inventory(const std::string& access_token, const nlohmann::json& report,
                          done_fn done) override;
    void push(const std::string& access_token, const push_target& target, std::uint32_t timeout_ms,
              done_fn done) override;
    void unlink(const std::string& access_token, done_fn done) override;

  private:
    void call(std::string method, std::string path, const std::string& bearer,
              const nlohmann::json* body, std::uint32_t timeout_ms, api_op op, done_fn done);

    http_worker& http_;
    const proxy_policy& proxy_;
    http_api_settings settings_;
    std::string host_;
    std::uint16_t port_ = 443;
};

// Reads one answer to `op` (exposed for the fuzz target and unit tests).
api_result read_answer(const http_response& r, api_op op);

}  // namespace sbc::cp::cloudlink
