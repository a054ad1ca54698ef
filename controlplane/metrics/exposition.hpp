#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): one `# HELP` and `# TYPE` per
// metric, then its samples, each metric's samples together. Counter families
// (common/counters.hpp) give the names, kinds, units and help; the exporter never keeps a list
// of its own. Label values come from the config (node names) and compiled tables (drop reasons),
// never from a peer; still, backslash, double quote and newline are escaped as the format says and
// any other control or non-ASCII byte becomes '?', so no value can break the page.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/counters.hpp"
#include "common/latency_histogram.hpp"

namespace sbc::cp::metrics {

struct label {
    std::string_view name;
    std::string_view value;
};
using labels = std::initializer_list<label>;

class exposition {
  public:
    // One sample of a metric; HELP and TYPE come from the first sample of a name.
    void sample(const std::string& name, counter_kind kind, std::string_view help, labels ls,
                double value);

    // Every row of a counter family, with the same labels on each (`realm="access"`).
    template <class Family>
    void family(const Family& f, labels ls = {}) {
        family(Family::family, f, ls);
    }
    // The same under another family's name: rows a family shares with others (the keep-alive's
    // OPTIONS counters of an OSV node are `sbc_osv_node_options_sent_total`).
    template <class Family>
    void family(std::string_view name, const Family& f, labels ls = {}) {
        f.for_each([&](const counter_row& row, std::uint64_t v) {
            sample(metric_name(name, row), row.kind, row.help, ls, static_cast<double>(v));
        });
    }

    // `name` without a suffix: "sbc_call_setup_seconds" gives _bucket, _sum and _count.
    void histogram(const std::string& name, std::string_view help, labels ls,
                   const latency_histogram& h);

    // The whole page, metrics in the order they were first named.
    std::string text() const;

  private:
    struct metric {
        std::string name;
        std::string_view type;
        std::string help;
        std::string samples;
    };
    metric& find(const std::string& name, std::string_view type, std::string_view help);

    std::vector<metric> metrics_;
    std::unordered_map<std::string, std::size_t> index_;
};

// `value` as a label value: \ " and newline escaped, other controls and non-ASCII as '?'.
std::string escape_label_value(std::string_view value);

}  // namespace sbc::cp::metrics
