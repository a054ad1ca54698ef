#pragma once
// The CloudLink API as the rest of sbcd sees it: one interface, so that the wire protocol (our
// definition in README.md, since the real one is not public) lives in one implementation
// (http_api.cpp) and can be replaced without touching the link state machine or the push path.
//
// Every call answers exactly once, on the loop's thread, with an api_result whose outcome
// says what to do next; nothing a server sends can throw out of these callbacks.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sbc::cp::cloudlink {

// A row of the name/text tables made from the X-macro lists (outcomes below, link states in
// link_client.hpp), so an enum, its name in JSON and its text for the operator cannot drift.
struct named_text {
    const char* name;
    const char* text;
};
#define SBC_CLOUDLINK_NAMED_TEXT_ROW(name, text) {#name, text},

#define SBC_CLOUDLINK_OUTCOMES(X)                                                 \
    X(ok, "ok")                                                                   \
    X(unreachable, "CloudLink unreachable (connection, timeout or server error)") \
    X(proxy_refused, "the proxy refused or could not be reached")                 \
    X(tls_untrusted, "the server's certificate did not verify")                   \
    X(bad_credentials, "CloudLink refused the admin credentials")                 \
    X(token_rejected, "CloudLink refused the access token")                       \
    X(refresh_refused, "CloudLink refused the refresh token: link again")         \
    X(clock_skew, "CloudLink refused the token: the clocks differ")               \
    X(conflict, "this installation is linked from another machine")               \
    X(rate_limited, "CloudLink asks to slow down (429)")                          \
    X(unknown_device, "CloudLink does not know the device")                       \
    X(rejected, "CloudLink rejected the request")                                 \
    X(bad_response, "CloudLink's answer was not understood")

enum class outcome : std::uint8_t {
#define SBC_CLOUDLINK_OUTCOME_ENUM(name, text) name,
    SBC_CLOUDLINK_OUTCOMES(SBC_CLOUDLINK_OUTCOME_ENUM)
#undef SBC_CLOUDLINK_OUTCOME_ENUM
        count_
};
const char* outcome_name(outcome o);
const char* outcome_text(outcome o);

struct link_grant {
    std::string tenant_id, tenant_name;
    std::string access_token, refresh_token;
    std::uint32_t expires_in_s = 0;
};

struct api_result {
    outcome result = outcome::unreachable;
    std::string message;  // one line for the operator (sanitised: printable ASCII)
    int http_status = 0;
    std::optional<std::uint32_t> retry_after_s;
    // Server clock minus ours, from the response's Date (±1 s): what a token failure needs.
    std::optional<std::int64_t> clock_offset_s;
    link_grant grant;     // link, refresh
    std::string push_id;  // push
};

struct installation_info {
    std::string id, machine, hostname, product, version;
};

struct push_target {
    std::string provider, prid, param;  // RFC 8599 pn-* of the binding
    std::string call_id;                // the call that wants the device awake (for the log)
    std::string caller;                 // shown by the app ("From" display or number)
};

class api {
  public:
    using done_fn = std::function<void(api_result)>;
    virtual ~api() = default;

    virtual void link(const std::string& username, const std::string& password,
                      const installation_info& who, done_fn done) = 0;
    virtual void refresh(const std::string& refresh_token, const std::string& installation_id,
                         done_fn done) = 0;
    virtual void report_inventory(const std::string& access_token, const nlohmann::json& report,
                                  done_fn done) = 0;
    virtual void push(const std::string& access_token, const push_target& target,
                      std::uint32_t timeout_ms, done_fn done) = 0;
    virtual void unlink(const std::string& access_token, done_fn done) = 0;
};

}  // namespace sbc::cp::cloudlink
