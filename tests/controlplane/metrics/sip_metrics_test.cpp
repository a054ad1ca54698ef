// The SIP side's metrics after a real registration (TLS client, sip_service, fake OSV that
// challenges): the page names the registrar's, transports' and the node's figures with the
// values sbcctl's JSON has, and the REGISTER relay histogram counted both relays.
#include "controlplane/metrics/sip_metrics.hpp"

#include <gtest/gtest.h>

#include <string>

#include "controlplane/counters_json.hpp"
#include "sip_harness.hpp"

namespace sbc::cp::test {
namespace {

bool has_line(const std::string& page, const std::string& line) {
    return page.find("\n" + line + "\n") != std::string::npos;
}

TEST(SipMetrics, ARegistrationShowsOnThePageAsInSbcctl) {
    sbc_fixture f;
    ASSERT_TRUE(f.start()) << f.start_error;
    auto c = f.client("127.0.0.5");
    register_params p;
    ASSERT_TRUE(f.register_client(*c, p));

    metrics::exposition e;
    sip_metrics(e, *f.sbc);
    const std::string page = e.text();

    EXPECT_TRUE(has_line(page, "sbc_registrar_registers_total 2")) << page;
    EXPECT_TRUE(has_line(page, "sbc_registrar_challenges_total 1")) << page;
    EXPECT_TRUE(has_line(page, "sbc_registrar_accepted_total 1")) << page;
    EXPECT_TRUE(has_line(page, "sbc_registrations 1")) << page;
    EXPECT_TRUE(has_line(page, "sbc_register_relay_seconds_count 2")) << page;
    EXPECT_TRUE(has_line(page, "sbc_register_relay_seconds_bucket{le=\"+Inf\"} 2")) << page;
    EXPECT_TRUE(has_line(page, "sbc_registrar_refused_by_reason_total{reason=\"" +
                                   std::string(refusal_name(register_refusal{})) + "\"} 0"))
        << page;
    // Two REGISTERs in from the client, two out to OSV; a 401 and a 200 each way.
    EXPECT_TRUE(has_line(
        page, "sbc_sip_requests_total{realm=\"access\",direction=\"in\",method=\"REGISTER\"} 2"))
        << page;
    EXPECT_TRUE(has_line(
        page, "sbc_sip_requests_total{realm=\"core\",direction=\"out\",method=\"REGISTER\"} 2"))
        << page;
    EXPECT_TRUE(has_line(
        page, "sbc_sip_responses_total{realm=\"access\",direction=\"out\",class=\"4xx\"} 1"))
        << page;
    // From OSV: the 200 to the REGISTER and the 200 to the trunk's first OPTIONS keep-alive.
    EXPECT_TRUE(has_line(
        page, "sbc_sip_requests_total{realm=\"core\",direction=\"out\",method=\"OPTIONS\"} 1"))
        << page;
    EXPECT_TRUE(
        has_line(page, "sbc_sip_responses_total{realm=\"core\",direction=\"in\",class=\"2xx\"} 2"))
        << page;
    EXPECT_TRUE(
        has_line(page, "sbc_sip_responses_total{realm=\"core\",direction=\"in\",class=\"4xx\"} 1"))
        << page;
    // The access realm's TLS handshake, from the transport family, as `sbcctl sip` has it.
    const auto tls = f.sbc->access().transports().counters().tls_handshakes;
    EXPECT_GE(tls, 1U);
    EXPECT_TRUE(has_line(
        page, "sbc_sip_transport_tls_handshakes_total{realm=\"access\"} " + std::to_string(tls)))
        << page;
    // Every registrar row the JSON has is on the page under its metric name.
    const auto json = f.sbc->registrar().counters_json();
    for (const counter_row& row : registrar_family::rows) {
        const std::string name = metric_name(registrar_family::family, row);
        EXPECT_TRUE(has_line(
            page, name + " " + std::to_string(json[std::string(row.name)].get<std::uint64_t>())))
            << name;
    }
    // One HELP per metric, however many label sets.
    EXPECT_EQ(page.find("# HELP sbc_sip_requests_total"),
              page.rfind("# HELP sbc_sip_requests_total"));
}

}  // namespace
}  // namespace sbc::cp::test
