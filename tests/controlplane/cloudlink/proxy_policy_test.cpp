// NO_PROXY entries and the proxy route (guide 8.2): config and environment, ports, domains,
// CIDRs, credentials in HTTPS_PROXY, HTTP_PROXY not used for https.
#include <gtest/gtest.h>

#include <map>

#include "config/no_proxy.hpp"
#include "controlplane/cloudlink/proxy_policy.hpp"

namespace sbc::cp::cloudlink {
namespace {

TEST(NoProxy, EntriesOfEveryForm) {
    using config::parse_no_proxy_entry;
    auto port = parse_no_proxy_entry("11.12.13.14:8289");
    ASSERT_TRUE(port);
    EXPECT_TRUE(port->matches("11.12.13.14", 8289));
    EXPECT_FALSE(port->matches("11.12.13.14", 443));  // the port limits the bypass
    auto domain = parse_no_proxy_entry(" .Example.COM ");
    ASSERT_TRUE(domain);
    EXPECT_TRUE(domain->matches("example.com", 443));
    EXPECT_TRUE(domain->matches("api.EXAMPLE.com", 443));
    EXPECT_FALSE(domain->matches("badexample.com", 443));
    EXPECT_FALSE(domain->matches("example.com.evil", 443));
    auto cidr = parse_no_proxy_entry("10.3.0.0/16");
    ASSERT_TRUE(cidr);
    EXPECT_TRUE(cidr->matches("10.3.200.1", 443));
    EXPECT_FALSE(cidr->matches("10.4.0.1", 443));
    EXPECT_FALSE(cidr->matches("cloud.example", 443));  // names are not resolved
    auto v6 = parse_no_proxy_entry("[2001:db8::1]:443");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->matches("[2001:db8::1]", 443));
    EXPECT_TRUE(parse_no_proxy_entry("2001:db8::/32"));
    EXPECT_TRUE(parse_no_proxy_entry("*")->matches("anything", 1));
    auto named_port = parse_no_proxy_entry("cmp.local:8289");
    ASSERT_TRUE(named_port);
    EXPECT_TRUE(named_port->matches("cmp.local", 8289));
    for (const char* bad : {"", "a b", "10.0.0.0/33", "host:0", "host:99999", "[::1", "-bad-.com",
                            "http://x", "1.2.3.4:", "a:b:c:d:e:f:g:h:i"}) {
        EXPECT_FALSE(parse_no_proxy_entry(bad)) << bad;
    }
    const auto list = config::parse_no_proxy("localhost, 127.0.0.1, 11.12.13.14:8289,, bad entry");
    EXPECT_EQ(list.entries.size(), 3u);
    ASSERT_EQ(list.rejected.size(), 1u);
    EXPECT_EQ(list.rejected[0], "bad entry");
}

TEST(ProxyPolicy, ConfigProxyWithBypassAndCredentialsFromAFile) {
    const std::string pw = ::testing::TempDir() + "/proxy.pass";
    {
        FILE* f = std::fopen(pw.c_str(), "w");
        std::fputs("s3cret\n", f);
        std::fclose(f);
    }
    config::proxy_section cfg;
    cfg.enable = true;
    cfg.address = "10.1.0.2";
    cfg.port = 8888;
    cfg.no_proxy = {"10.3.0.0/24", "cmp.local:8289"};
    cfg.username = "sbc";
    cfg.password_file = pw;
    proxy_policy p(cfg, [](const char*) -> const char* { return "http://env-proxy:1"; });
    const auto via = p.route("cloudlink.example", 443);
    EXPECT_EQ(via.url, "http://10.1.0.2:8888");
    EXPECT_EQ(via.username, "sbc");
    EXPECT_EQ(via.password, "s3cret");
    EXPECT_TRUE(p.route("10.3.0.2", 8443).url.empty());
    EXPECT_TRUE(p.route("cmp.local", 8289).url.empty());
    EXPECT_FALSE(p.route("cmp.local", 443).url.empty());
    const auto d = p.describe();
    EXPECT_EQ(d["source"], "config");
    EXPECT_EQ(d.dump().find("s3cret"), std::string::npos);
    EXPECT_EQ(d["no_proxy"][0], "10.3.0.0/24");
}

TEST(ProxyPolicy, EnvironmentLikeTheGuidesSysconfigFile) {
    std::map<std::string, std::string> env = {
        {"HTTPS_PROXY", "http://user:pw@10.1.0.2:3128/"},
        {"HTTP_PROXY", "http://10.9.9.9:80"},
        {"NO_PROXY", "localhost, 127.0.0.1, 11.12.13.14:8289, .corp.example, what ever"}};
    config::proxy_section cfg;
    cfg.from_environment = true;
    proxy_policy p(cfg, [&env](const char* k) -> const char* {
        auto it = env.find(k);
        return it == env.end() ? nullptr : it->second.c_str();
    });
    const auto via = p.route("cloudlink.example", 443);
    EXPECT_EQ(via.url, "http://10.1.0.2:3128");  // credentials out of the URL
    EXPECT_EQ(via.username, "user");
    EXPECT_EQ(via.password, "pw");
    EXPECT_TRUE(p.route("11.12.13.14", 8289).url.empty());
    EXPECT_FALSE(p.route("11.12.13.14", 443).url.empty());
    EXPECT_TRUE(p.route("api.corp.example", 443).url.empty());
    const auto d = p.describe();
    EXPECT_EQ(d["source"], "environment");
    EXPECT_TRUE(d.contains("http_proxy_ignored"));
    ASSERT_EQ(p.problems().size(), 1u);
    EXPECT_NE(p.problems()[0].find("what ever"), std::string::npos);
    EXPECT_EQ(d.dump().find("pw@"), std::string::npos);

    // A lower-case variable wins (curl's order); an https:// proxy is refused, not guessed.
    env["https_proxy"] = "https://10.1.0.2:3129";
    proxy_policy q(cfg, [&env](const char* k) -> const char* {
        auto it = env.find(k);
        return it == env.end() ? nullptr : it->second.c_str();
    });
    EXPECT_TRUE(q.route("cloudlink.example", 443).url.empty());
    EXPECT_NE(q.problems()[0].find("HTTPS_PROXY"), std::string::npos);
}

TEST(ProxyPolicy, NoProxyConfiguredMeansDirect) {
    config::proxy_section cfg;
    proxy_policy p(cfg, [](const char*) -> const char* { return "http://10.1.0.2:3128"; });
    EXPECT_TRUE(p.route("cloudlink.example", 443).url.empty());  // environment not asked
    EXPECT_EQ(p.describe()["source"], "none");
}

}  // namespace
}  // namespace sbc::cp::cloudlink
