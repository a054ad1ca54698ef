#include "controlplane/metrics/exposition.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sbc::cp::metrics {

namespace {

// Integers as integers (counters are uint64_t); others with enough digits to round-trip.
void append_value(std::string& out, double v) {
    char buf[64];
    if (std::isinf(v)) {
        out.append(v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof(buf), "%.0f", v);
        out.append(buf);
        return;
    }
    // The shortest of 15..17 significant digits that reads back as `v` ("0.005", not
    // "0.0050000000000000001").
    for (int digits = 15; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v) {
            break;
        }
    }
    out.append(buf);
}

void append_labels(std::string& out, labels ls, std::string_view le = {}) {
    if (ls.size() == 0 && le.empty()) {
        return;
    }
    out.push_back('{');
    bool first = true;
    for (const label& l : ls) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        out.append(l.name).append("=\"").append(escape_label_value(l.value)).push_back('"');
    }
    if (!le.empty()) {
        out.append(first ? "" : ",").append("le=\"").append(le).push_back('"');
    }
    out.push_back('}');
}

std::string_view type_name(counter_kind k) {
    return k == counter_kind::counter ? "counter" : "gauge";
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\\') {
            out.append("\\\\");
        } else if (c == '"') {
            out.append("\\\"");
        } else if (c == '\n') {
            out.append("\\n");
        } else if (c < 0x20 || c >= 0x7f) {
            out.push_back('?');
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

exposition::metric& exposition::find(const std::string& name, std::string_view type,
                                     std::string_view help) {
    auto [it, fresh] = index_.try_emplace(name, metrics_.size());
    if (fresh) {
        metrics_.push_back(metric{name, type, std::string(help), {}});
    }
    return metrics_[it->second];
}

void exposition::sample(const std::string& name, counter_kind kind, std::string_view help,
                        labels ls, double value) {
    metric& m = find(name, type_name(kind), help);
    m.samples.append(name);
    append_labels(m.samples, ls);
    m.samples.push_back(' ');
    append_value(m.samples, value);
    m.samples.push_back('\n');
}

void exposition::histogram(const std::string& name, std::string_view help, labels ls,
                           const latency_histogram& h) {
    metric& m = find(name, "histogram", help);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= latency_histogram::bounds.size(); ++i) {
        cumulative += h.buckets[i];
        std::string le;
        if (i < latency_histogram::bounds.size()) {
            append_value(le, latency_histogram::bounds[i]);
        } else {
            le = "+Inf";
        }
        m.samples.append(name).append("_bucket");
        append_labels(m.samples, ls, le);
        m.samples.push_back(' ');
        append_value(m.samples, static_cast<double>(cumulative));
        m.samples.push_back('\n');
    }
    m.samples.append(name).append("_sum");
    append_labels(m.samples, ls);
    m.samples.push_back(' ');
    append_value(m.samples, h.sum_seconds);
    m.samples.append("\n").append(name).append("_count");
    append_labels(m.samples, ls);
    m.samples.push_back(' ');
    append_value(m.samples, static_cast<double>(h.count));
    m.samples.push_back('\n');
}

std::string exposition::text() const {
    std::string out;
    for (const metric& m : metrics_) {
        // HELP text escapes backslash and newline (the format's rule for HELP).
        out.append("# HELP ").append(m.name).push_back(' ');
        for (char c : m.help) {
            if (c == '\\') {
                out.append("\\\\");
            } else if (c == '\n') {
                out.append("\\n");
            } else {
                out.push_back(c);
            }
        }
        out.append("\n# TYPE ").append(m.name).push_back(' ');
        out.append(m.type).push_back('\n');
        out.append(m.samples);
    }
    return out;
}

}  // namespace sbc::cp::metrics
