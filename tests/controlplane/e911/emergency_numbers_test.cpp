// Which Request-URIs are emergency calls (guide 12.1.2, RFC 5031): per realm patterns, user
// parameters ignored, the sos URN on any realm, hostile user parts never matched.
#include <gtest/gtest.h>

#include "controlplane/e911/emergency_numbers.hpp"

namespace sbc::cp::e911 {
namespace {

sip::uri uri(std::string_view text) {
    auto u = sip::parse_uri(text);
    EXPECT_TRUE(u.ok()) << text;
    return u.value();
}

const std::vector<std::string> defaults = {"911", "933"};

TEST(EmergencyNumbers, TheDefaultsMatchThemselvesOnly) {
    const emergency_numbers n(defaults);
    EXPECT_EQ(n.match(uri("sip:911@pbx.local")), "911");
    EXPECT_EQ(n.match(uri("sips:933@10.0.0.1:5061;transport=tls")), "933");
    EXPECT_EQ(n.match(uri("sip:9110@pbx.local")), std::nullopt);
    EXPECT_EQ(n.match(uri("sip:1911@pbx.local")), std::nullopt);
    EXPECT_EQ(n.match(uri("sip:alice@pbx.local")), std::nullopt);
    EXPECT_EQ(n.match(uri("sip:pbx.local")), std::nullopt);  // no user part
}

TEST(EmergencyNumbers, UserParametersAndTelUrisDialTheNumber) {
    const emergency_numbers n(defaults);
    // RFC 3261 §19.1.6: the user part may carry telephone-subscriber parameters.
    EXPECT_EQ(n.match(uri("sip:911;phone-context=+1@pbx.local;user=phone")), "911");
    EXPECT_EQ(n.match(uri("tel:933")), "933");
    EXPECT_EQ(dialled_number(uri("sip:911;phone-context=+1@pbx.local")), "911");
}

TEST(EmergencyNumbers, PatternsAreWholeMatchRegexesPerRealm) {
    // A realm whose PBX dials out with a trunk prefix (9) and the E.164 form.
    const emergency_numbers access({"9?911", R"(\+1911)"});
    EXPECT_EQ(access.match(uri("sip:9911@pbx.local")), "9?911");
    EXPECT_EQ(access.match(uri("sip:911@pbx.local")), "9?911");
    EXPECT_EQ(access.match(uri("sip:+1911@pbx.local")), R"(\+1911)");
    EXPECT_EQ(access.match(uri("sip:933@pbx.local")), std::nullopt);  // not this realm's
    const emergency_numbers none({});
    EXPECT_EQ(none.match(uri("sip:911@pbx.local")), std::nullopt);
}

TEST(EmergencyNumbers, TheSosUrnIsAnEmergencyCallOnAnyRealm) {
    const emergency_numbers none({});
    EXPECT_EQ(none.match(uri("urn:service:sos")), "urn:service:sos");
    EXPECT_EQ(none.match(uri("urn:service:sos.fire")), "urn:service:sos");
    EXPECT_EQ(none.match(uri("URN:Service:SOS.police")), "urn:service:sos");
    EXPECT_EQ(none.match(uri("urn:service:sosa")), std::nullopt);
    EXPECT_EQ(none.match(uri("urn:service:counseling")), std::nullopt);
}

TEST(EmergencyNumbers, OversizeUserPartsAreNotMatchedAtAll) {
    // A pattern that would match any length: the 64-byte bound keeps regex work bounded.
    const emergency_numbers n({"9+"});
    EXPECT_EQ(n.match(uri("sip:" + std::string(64, '9') + "@pbx.local")), "9+");
    EXPECT_EQ(n.match(uri("sip:" + std::string(65, '9') + "@pbx.local")), std::nullopt);
}

}  // namespace
}  // namespace sbc::cp::e911
