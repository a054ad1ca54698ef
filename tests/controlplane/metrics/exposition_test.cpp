// The text exposition format (Prometheus 0.0.4) as controlplane/metrics/exposition.hpp writes it:
// names from the counter families, HELP/TYPE once per metric with its samples together, label
// values escaped, histograms cumulative with +Inf, _sum and _count.
#include "controlplane/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp::metrics {
namespace {

#define TEST_METRIC_ROWS(X)                    \
    X(answered, counter, "", "calls answered") \
    X(active, gauge, "", "calls in progress")  \
    X(busy, counter, "seconds", "time spent \\ busy\nreally")

SBC_COUNTER_FAMILY(test_family, "test", TEST_METRIC_ROWS);

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

TEST(Exposition, FamilyRowsBecomeNamedTypedMetrics) {
    test_family f;
    f.answered = 7;
    f.active = 2;
    f.busy = 3;
    exposition e;
    e.family(f, {{"realm", "access"}});
    const std::string t = e.text();
    EXPECT_NE(t.find("# HELP sbc_test_answered_total calls answered\n"
                     "# TYPE sbc_test_answered_total counter\n"
                     "sbc_test_answered_total{realm=\"access\"} 7\n"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("# TYPE sbc_test_active gauge\nsbc_test_active{realm=\"access\"} 2\n"),
              std::string::npos)
        << t;
    // The unit goes before _total; HELP escapes backslash and newline.
    EXPECT_NE(t.find("# HELP sbc_test_busy_seconds_total time spent \\\\ busy\\nreally\n"),
              std::string::npos)
        << t;
}

TEST(Exposition, SamplesOfOneMetricStayTogetherUnderOneHeader) {
    test_family access;
    test_family core;
    access.answered = 1;
    core.answered = 2;
    exposition e;
    e.family(access, {{"realm", "access"}});
    e.family(core, {{"realm", "core"}});
    const std::string t = e.text();
    EXPECT_EQ(count_of(t, "# TYPE sbc_test_answered_total"), 1U) << t;
    EXPECT_NE(t.find("sbc_test_answered_total{realm=\"access\"} 1\n"
                     "sbc_test_answered_total{realm=\"core\"} 2\n"),
              std::string::npos)
        << t;
}

TEST(Exposition, LabelValuesCannotBreakThePage) {
    EXPECT_EQ(escape_label_value("osv\"1\\\n"), "osv\\\"1\\\\\\n");
    EXPECT_EQ(escape_label_value(std::string("a\rb\0c\xff", 6)), "a?b?c?");
    exposition e;
    e.sample("sbc_x", counter_kind::gauge, "x", {{"node", "a\"b\nc"}}, 1);
    const std::string t = e.text();
    EXPECT_NE(t.find("sbc_x{node=\"a\\\"b\\nc\"} 1\n"), std::string::npos) << t;
    EXPECT_EQ(count_of(t, "\n"), 3U) << "HELP, TYPE, one sample: " << t;
}

TEST(Exposition, HistogramIsCumulativeWithInfSumAndCount) {
    latency_histogram h;
    h.observe(0.001);                          // first bucket
    h.observe(std::chrono::milliseconds(30));  // le 0.05
    h.observe(1000.0);                         // +Inf only
    h.observe(-1.0);                           // a clock step back counts as 0
    exposition e;
    e.histogram("sbc_t_seconds", "t", {}, h);
    const std::string t = e.text();
    EXPECT_NE(t.find("# TYPE sbc_t_seconds histogram\n"), std::string::npos) << t;
    EXPECT_NE(t.find("sbc_t_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos) << t;
    EXPECT_NE(t.find("sbc_t_seconds_bucket{le=\"0.025\"} 2\n"), std::string::npos) << t;
    EXPECT_NE(t.find("sbc_t_seconds_bucket{le=\"0.05\"} 3\n"), std::string::npos) << t;
    EXPECT_NE(t.find("sbc_t_seconds_bucket{le=\"120\"} 3\n"), std::string::npos) << t;
    EXPECT_NE(t.find("sbc_t_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << t;
    EXPECT_NE(t.find("sbc_t_seconds_count 4\n"), std::string::npos) << t;
    EXPECT_NE(t.find("sbc_t_seconds_sum 1000.031"), std::string::npos) << t;
}

}  // namespace
}  // namespace sbc::cp::metrics
