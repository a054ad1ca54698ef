// sip_service start-up errors name the setting at fault; status and counters have the shape
// sbcctl renders.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

TEST(SipService, APortInUseNamesTheSetting) {
    sbc_fixture f;
    sip::io_loop other;
    sip::transport_layer squatter(other, {}, {});
    const auto taken = squatter.listen_tcp(*sip::socket_address::parse("127.0.0.1:0"));
    ASSERT_TRUE(taken);
    sip_service svc(f.loop, f.cfg);
    sip_listen where = sip_listen::from(f.cfg);
    where.access.tls = sip::test::free_port(SOCK_STREAM);
    where.core.tcp = taken.value().port();
    where.core.udp = 0;
    const auto st = svc.start(where);
    EXPECT_FALSE(st);
    EXPECT_NE(st.message().find("realm.core.sip_tcp_port"), std::string::npos) << st.message();
}

TEST(SipService, AnUnreadableCertificateNamesTheProfile) {
    sbc_fixture f;
    f.cfg.certificate_profiles[0].certificate = f.dir.file("missing.crt");
    sip_service svc(f.loop, f.cfg);
    sip_listen where = sip_listen::from(f.cfg);
    where.access.tls = sip::test::free_port(SOCK_STREAM);
    where.core.tcp = where.core.udp = sip::test::free_port(SOCK_STREAM);
    const auto st = svc.start(where);
    EXPECT_FALSE(st);
    EXPECT_NE(st.message().find("certificate_profile sbc-tls"), std::string::npos) << st.message();
}

TEST(SipService, StatusAndCountersForSbcctl) {
    sbc_fixture f;
    ASSERT_TRUE(f.start()) << f.start_error;
    auto c = f.client("127.0.0.5");
    ASSERT_TRUE(f.register_client(*c, {}));
    const auto st = f.sbc->status();
    EXPECT_EQ(st["registrations"], 1);
    ASSERT_EQ(st["realms"].size(), 2u);
    EXPECT_EQ(st["realms"][0]["name"], "access");
    EXPECT_EQ(st["realms"][0]["listeners"][0]["transport"], "TLS");
    EXPECT_EQ(st["realms"][0]["connections"], 1);
    EXPECT_EQ(st["sip_server"]["nodes"][0]["state"], "up");
    const auto counters = f.sbc->counters();
    EXPECT_EQ(counters["columns"], nlohmann::json({"part", "counter", "value"}));
    bool relayed = false;
    for (const auto& row : counters["rows"]) {
        if (row[0] == "registrar" && row[1] == "relayed") {
            relayed = row[2] == 2;
        }
    }
    EXPECT_TRUE(relayed) << counters.dump();
    const auto table = f.sbc->registrar().registrations_table({{"aor", "sip:nobody@pbx.local"}});
    EXPECT_TRUE(table["rows"].empty());
    EXPECT_EQ(table["total"], 0);
    const auto limited = f.sbc->registrar().registrations_table({{"limit", 0}});
    EXPECT_TRUE(limited["rows"].empty());
    EXPECT_EQ(limited["total"], 1);
}

}  // namespace
}  // namespace sbc::cp::test
