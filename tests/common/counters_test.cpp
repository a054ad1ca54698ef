// Counter families: one X-macro list gives the fields, the rows (name, kind, unit, help) in
// order, the visit, and the Prometheus names.
#include "common/counters.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#define TEST_COUNTERS(X)                           \
    X(requests, counter, "", "requests seen")      \
    X(open, gauge, "", "connections open now")     \
    X(busy, counter, "seconds", "time spent busy") \
    X(received, counter, "bytes", "bytes received")

namespace sbc {
namespace {

SBC_COUNTER_FAMILY(test_counters, "test", TEST_COUNTERS);

TEST(Counters, OneListGivesFieldsRowsAndVisitInOrder) {
    test_counters c;
    c.requests = 3;
    c.open = 2;
    c.received = 1500;
    static_assert(std::size(test_counters::rows) == 4);
    EXPECT_EQ(test_counters::family, "test");
    std::vector<std::string> names;
    std::vector<std::uint64_t> values;
    c.for_each([&](const counter_row& row, std::uint64_t v) {
        names.emplace_back(row.name);
        values.push_back(v);
    });
    EXPECT_EQ(names, (std::vector<std::string>{"requests", "open", "busy", "received"}));
    EXPECT_EQ(values, (std::vector<std::uint64_t>{3, 2, 0, 1500}));
    EXPECT_EQ(test_counters::rows[1].kind, counter_kind::gauge);
    EXPECT_EQ(test_counters::rows[3].help, "bytes received");
}

TEST(Counters, MetricNamesFollowPrometheusConventions) {
    const auto& r = test_counters::rows;
    EXPECT_EQ(metric_name("test", r[0]), "sbc_test_requests_total");
    EXPECT_EQ(metric_name("test", r[1]), "sbc_test_open");
    EXPECT_EQ(metric_name("test", r[2]), "sbc_test_busy_seconds_total");
    EXPECT_EQ(metric_name("test", r[3]), "sbc_test_received_bytes_total");
}

}  // namespace
}  // namespace sbc
