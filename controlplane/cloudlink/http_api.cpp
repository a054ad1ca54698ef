#include "controlplane/cloudlink/http_api.hpp"

#include <ctime>

namespace sbc::cp::cloudlink {

namespace {

constexpr named_text outcome_rows[] = {SBC_CLOUDLINK_OUTCOMES(SBC_CLOUDLINK_NAMED_TEXT_ROW)};

// Server text shown to the operator: printable ASCII only, bounded.
std::string sanitize(std::string_view text, std::size_t max = 200) {
    std::string out;
    for (char c : text.substr(0, max)) {
        out.push_back(c >= ' ' && c <= '~' ? c : '?');
    }
    return out;
}

// Tokens are opaque printable ASCII (RFC 6750 §2.1 b64token is narrower); a bound keeps a
// hostile server from making sbcd store megabytes.
bool token_like(const nlohmann::json& v) {
    if (!v.is_string()) {
        return false;
    }
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > 4096) {
        return false;
    }
    for (char c : s) {
        if (c <= ' ' || c > '~') {
            return false;
        }
    }
    return true;
}

// A name for the operator (UTF-8, parsed): bounded, and no control characters, which would
// forge lines in sbcd's log.
bool short_text(const nlohmann::json& v, std::size_t max) {
    if (!v.is_string()) {
        return false;
    }
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > max) {
        return false;
    }
    for (char c : s) {
        if (static_cast<unsigned char>(c) < ' ' || c == '\x7f') {
            return false;
        }
    }
    return true;
}

std::string error_code(const nlohmann::json& body) {
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
        return sanitize(body["error"].get<std::string>(), 64);
    }
    return {};
}

api_result fail(api_result r, outcome o, std::string message) {
    r.result = o;
    r.message = std::move(message);
    return r;
}

}  // namespace

const char* outcome_name(outcome o) {
    return outcome_rows[static_cast<std::size_t>(o)].name;
}
const char* outcome_text(outcome o) {
    return outcome_rows[static_cast<std::size_t>(o)].text;
}

api_result read_answer(const http_response& r, api_op op) {
    api_result out;
    out.http_status = r.status;
    if (r.date) {
        // The Date is stamped while the server answers: compare it with the middle of our
        // request (RFC 9110 §6.6.1; one-second resolution).
        const auto mid = r.sent_at + (r.received_at - r.sent_at) / 2;
        const std::int64_t local =
            std::chrono::duration_cast<std::chrono::seconds>(mid.time_since_epoch()).count();
        out.clock_offset_s = static_cast<std::int64_t>(*r.date) - local;
    }
    if (r.status == 0) {
        return fail(out,
                    r.tls_failure     ? outcome::tls_untrusted
                    : r.proxy_failure ? outcome::proxy_refused
                                      : outcome::unreachable,
                    sanitize(r.error, 300));
    }
    out.retry_after_s = r.retry_after_s;
    // The body of any answer: JSON that does not parse (or is not UTF-8) is simply not read.
    const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    const bool parsed = !body.is_discarded();
    const std::string code = parsed ? error_code(body) : std::string();
    std::string server_message;
    if (parsed && body.is_object() && body.contains("message") && body["message"].is_string()) {
        server_message = sanitize(body["message"].get<std::string>());
    }
    auto with_status = [&](const char* what) {
        std::string m = std::string(what) + " (HTTP " + std::to_string(r.status);
        m += code.empty() ? "" : ", " + code;
        m += server_message.empty() ? ")" : "): " + server_message;
        return m;
    };
    if (r.status >= 500 || r.status == 408) {
        return fail(out, outcome::unreachable, with_status("server error"));
    }
    if (r.status == 429) {
        return fail(out, outcome::rate_limited, with_status("rate limited"));
    }
    if (r.status == 409) {
        return fail(out, outcome::conflict, with_status("installation conflict"));
    }
    if (r.status == 401 || r.status == 403) {
        if (code == "clock_skew") {
            return fail(out, outcome::clock_skew, with_status("clock skew"));
        }
        const outcome o = op == api_op::link      ? outcome::bad_credentials
                          : op == api_op::refresh ? outcome::refresh_refused
                                                  : outcome::token_rejected;
        return fail(out, o, with_status(outcome_text(o)));
    }
    if (r.status == 404 && op == api_op::push) {
        return fail(out, outcome::unknown_device, with_status("unknown device"));
    }
    if (r.status < 200 || r.status >= 300) {
        return fail(out, outcome::rejected, with_status("rejected"));
    }
    // 2xx: what the operation needs, checked field by field.
    if (op == api_op::inventory || op == api_op::unlink) {
        out.result = outcome::ok;
        return out;
    }
    if (!parsed || !body.is_object()) {
        return fail(out, outcome::bad_response,
                    "HTTP " + std::to_string(r.status) + " with a body that is not a JSON object");
    }
    if (op == api_op::push) {
        if (!body.contains("push_id") || !token_like(body["push_id"])) {
            return fail(out, outcome::bad_response, "push accepted without a usable push_id");
        }
        out.push_id = body["push_id"].get<std::string>();
        out.result = outcome::ok;
        return out;
    }
    link_grant& g = out.grant;
    if (!body.contains("access_token") || !token_like(body["access_token"]) ||
        !body.contains("refresh_token") || !token_like(body["refresh_token"])) {
        return fail(out, outcome::bad_response, "grant without usable access/refresh tokens");
    }
    if (!body.contains("expires_in") || !body["expires_in"].is_number_integer() ||
        body["expires_in"].get<std::int64_t>() < 10 ||
        body["expires_in"].get<std::int64_t>() > 31536000) {
        return fail(out, outcome::bad_response, "grant without expires_in in 10..31536000 s");
    }
    g.access_token = body["access_token"].get<std::string>();
    g.refresh_token = body["refresh_token"].get<std::string>();
    g.expires_in_s = static_cast<std::uint32_t>(body["expires_in"].get<std::int64_t>());
    if (op == api_op::link) {
        const nlohmann::json* tenant = body.contains("tenant") ? &body["tenant"] : nullptr;
        if (tenant == nullptr || !tenant->is_object() || !tenant->contains("id") ||
            !token_like((*tenant)["id"]) || !tenant->contains("name") ||
            !short_text((*tenant)["name"], 200)) {
            return fail(out, outcome::bad_response, "link grant without a usable tenant");
        }
        g.tenant_id = (*tenant)["id"].get<std::string>();
        g.tenant_name = (*tenant)["name"].get<std::string>();  // valid UTF-8 (parsed)
    }
    out.result = outcome::ok;
    return out;
}

http_api::http_api(http_worker& http, const proxy_policy& proxy, http_api_settings settings)
    : http_(http), proxy_(proxy), settings_(std::move(settings)) {
    while (!settings_.base_url.empty() && settings_.base_url.back() == '/') {
        settings_.base_url.pop_back();
    }
    split_https_url(settings_.base_url, host_, port_);
}

void http_api::call(std::string method, std::string path, const std::string& bearer,
                    const nlohmann::json* body, std::uint32_t timeout_ms, api_op op, done_fn done) {
    http_request req;
    req.method = std::move(method);
    req.url = settings_.base_url + path;
    req.timeout = std::chrono::milliseconds(timeout_ms);
    req.ca_file = settings_.ca_file;
    req.proxy = proxy_.route(host_, port_);
    req.headers.push_back("Accept: application/json");
    req.headers.push_back("User-Agent: " + settings_.user_agent);
    if (!bearer.empty()) {
        req.headers.push_back("Authorization: Bearer " + bearer);  // RFC 6750 §2.1
    }
    if (body != nullptr) {
        req.headers.push_back("Content-Type: application/json");
        req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    http_.submit(std::move(req),
                 [op, done = std::move(done)](http_response r) { done(read_answer(r, op)); });
}

void http_api::link(const std::string& username, const std::string& password,
                    const installation_info& who, done_fn done) {
    const nlohmann::json body = {{"username", username},
                                 {"password", password},
                                 {"client_time", static_cast<std::int64_t>(std::time(nullptr))},
                                 {"installation",
                                  {{"id", who.id},
                                   {"machine", who.machine},
                                   {"hostname", who.hostname},
                                   {"product", who.product},
                                   {"version", who.version}}}};
    call("POST", "/v1/link", "", &body, settings_.timeout_ms, api_op::link, std::move(done));
}

void http_api::refresh(const std::string& refresh_token, const std::string& installation_id,
                       done_fn done) {
    const nlohmann::json body = {{"refresh_token", refresh_token},
                                 {"installation_id", installation_id},
                                 {"client_time", static_cast<std::int64_t>(std::time(nullptr))}};
    call("POST", "/v1/token", "", &body, settings_.timeout_ms, api_op::refresh, std::move(done));
}

void http_api::report_inventory(const std::string& access_token, const nlohmann::json& report,
                                done_fn done) {
    call("POST", "/v1/inventory", access_token, &report, settings_.timeout_ms, api_op::inventory,
         std::move(done));
}

void http_api::push(const std::string& access_token, const push_target& t, std::uint32_t timeout_ms,
                    done_fn done) {
    const nlohmann::json body = {
        {"device", {{"provider", t.provider}, {"prid", t.prid}, {"param", t.param}}},
        {"call", {{"id", t.call_id}, {"caller", t.caller}}}};
    call("POST", "/v1/push", access_token, &body, timeout_ms, api_op::push, std::move(done));
}

void http_api::unlink(const std::string& access_token, done_fn done) {
    call("DELETE", "/v1/link", access_token, nullptr, settings_.timeout_ms, api_op::unlink,
         std::move(done));
}

}  // namespace sbc::cp::cloudlink
