// CloudLink's answers read as hostile input, without a network: every field checked, nothing
// thrown, messages printable.
#include <gtest/gtest.h>

#include "controlplane/cloudlink/http_api.hpp"

namespace sbc::cp::cloudlink {
namespace {

http_response answer(int status, std::string body) {
    http_response r;
    r.status = status;
    r.body = std::move(body);
    r.sent_at = r.received_at = std::chrono::system_clock::now();
    return r;
}

TEST(CloudLinkAnswer, AGoodGrant) {
    auto r = read_answer(answer(200, R"({"access_token":"a1","refresh_token":"r1","expires_in":600,
        "tenant":{"id":"t1","name":"Société Ünïcode"}})"),
                         api_op::link);
    EXPECT_EQ(r.result, outcome::ok);
    EXPECT_EQ(r.grant.tenant_name, "Société Ünïcode");
    EXPECT_EQ(r.grant.expires_in_s, 600u);
}

TEST(CloudLinkAnswer, HostileBodiesAreBadResponses) {
    const std::string cases[] = {
        "",
        "null",
        "[1,2]",
        "{\"access_token\":\"a\"}",
        "{\"access_token\":\"a "
        "b\",\"refresh_token\":\"r\",\"expires_in\":600,\"tenant\":{\"id\":\"t\",\"name\":\"n\"}}",
        "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":1e99,\"tenant\":{\"id\":"
        "\"t\",\"name\":\"n\"}}",
        "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":-5,\"tenant\":{\"id\":"
        "\"t\",\"name\":\"n\"}}",
        "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":600,\"tenant\":{\"id\":"
        "\"t\",\"name\":\"\"}}",
        "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":600,\"tenant\":{\"id\":"
        "\"t\",\"name\":\"\xff\"}}",
        std::string("{\"access_token\":\"a\0b\"}", 22),
        "{\"access_token\":\"" + std::string(5000, 'x') +
            "\",\"refresh_token\":\"r\",\"expires_in\":600}",
        "{\"a\":" + std::string(10000, '['),
        // A tenant name that would forge a line in sbcd's log.
        "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":600,\"tenant\":{\"id\":"
        "\"t\",\"name\":\"Acme\\n2026 info sbcd: unlinked\"}}",
    };
    for (const auto& body : cases) {
        SCOPED_TRACE(body.substr(0, 80));
        auto r = read_answer(answer(200, body), api_op::link);
        EXPECT_EQ(r.result, outcome::bad_response);
        EXPECT_FALSE(r.message.empty());
    }
}

TEST(CloudLinkAnswer, StatusCodesMapToWhatTheLinkDoesNext) {
    EXPECT_EQ(read_answer(answer(401, R"({"error":"invalid_credentials"})"), api_op::link).result,
              outcome::bad_credentials);
    EXPECT_EQ(read_answer(answer(401, "{}"), api_op::refresh).result, outcome::refresh_refused);
    EXPECT_EQ(read_answer(answer(401, "garbage"), api_op::push).result, outcome::token_rejected);
    EXPECT_EQ(read_answer(answer(401, R"({"error":"clock_skew"})"), api_op::refresh).result,
              outcome::clock_skew);
    EXPECT_EQ(read_answer(answer(409, "{}"), api_op::link).result, outcome::conflict);
    EXPECT_EQ(read_answer(answer(404, "{}"), api_op::push).result, outcome::unknown_device);
    EXPECT_EQ(read_answer(answer(404, "{}"), api_op::inventory).result, outcome::rejected);
    EXPECT_EQ(read_answer(answer(503, "<html>"), api_op::inventory).result, outcome::unreachable);
    auto busy = answer(429, "{}");
    busy.retry_after_s = 7;
    auto r = read_answer(busy, api_op::push);
    EXPECT_EQ(r.result, outcome::rate_limited);
    EXPECT_EQ(r.retry_after_s, 7u);
    // The server's message is shown, made printable and bounded.
    auto odd = read_answer(
        answer(400, "{\"error\":\"bad\\u0000thing\",\"message\":\"line1\\r\\nline2\xff" +
                        std::string(500, 'm') + "\"}"),
        api_op::push);
    EXPECT_EQ(odd.result, outcome::rejected);
    for (char c : odd.message) {
        EXPECT_TRUE(c >= ' ' && c <= '~');
    }
    EXPECT_LT(odd.message.size(), 400u);
}

TEST(CloudLinkAnswer, ClockOffsetFromTheDateHeader) {
    auto r = answer(202, "");
    const auto now = std::chrono::system_clock::now();
    r.sent_at = now;
    r.received_at = now + std::chrono::milliseconds(200);
    r.date = std::chrono::system_clock::to_time_t(now) - 90;
    auto a = read_answer(r, api_op::inventory);
    EXPECT_EQ(a.result, outcome::ok);
    ASSERT_TRUE(a.clock_offset_s);
    EXPECT_NEAR(static_cast<double>(*a.clock_offset_s), -90, 1);
}

TEST(CloudLinkAnswer, TransportFailuresKeepTheirKind) {
    http_response tls;
    tls.tls_failure = true;
    tls.error = "TLS with the server failed";
    EXPECT_EQ(read_answer(tls, api_op::link).result, outcome::tls_untrusted);
    http_response proxy;
    proxy.proxy_failure = true;
    proxy.error = "the proxy refused the CONNECT tunnel with 407";
    EXPECT_EQ(read_answer(proxy, api_op::link).result, outcome::proxy_refused);
    http_response down;
    down.error = "cannot connect";
    EXPECT_EQ(read_answer(down, api_op::push).result, outcome::unreachable);
}

}  // namespace
}  // namespace sbc::cp::cloudlink
