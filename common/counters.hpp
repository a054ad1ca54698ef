#pragma once
// Counter families: one definition of a family's counters feeds the struct that counts them,
// the mgmt JSON (`sbcctl ... --json`), sbcctl's text and, later, the metrics exporter, so none
// of them can drift (the VPP `foreach_*` way). A family is an X-macro list of rows
//
//     X(name, kind, unit, help)
//
//   name  the counter's field, JSON key and metric suffix, in snake_case: "answered"
//   kind  counter (only goes up; a metric gets `_total`) or gauge (goes up and down)
//   unit  "" for a count of events, or a Prometheus base unit: "seconds", "bytes"
//   help  one line for an operator, without a final period
//
// and SBC_COUNTER_FAMILY(struct_name, "family", LIST) declares the struct: one uint64_t per
// row, `family`, `rows` (the metadata) and for_each(fn(const counter_row&, uint64_t)).
// Standard headers only, so sbcctl can include a family's definition without linking its owner.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sbc {

enum class counter_kind : std::uint8_t { counter, gauge };

struct counter_row {
    std::string_view name;
    counter_kind kind;
    std::string_view unit;
    std::string_view help;
};

// Prometheus naming (https://prometheus.io/docs/practices/naming/): sbc_<family>_<name>, the
// unit, and `_total` for counters: "sbc_b2bua_answered_total".
inline std::string metric_name(std::string_view family, const counter_row& row) {
    std::string out = "sbc_";
    out.append(family).append(1, '_').append(row.name);
    if (!row.unit.empty()) {
        out.append(1, '_').append(row.unit);
    }
    if (row.kind == counter_kind::counter) {
        out.append("_total");
    }
    return out;
}

}  // namespace sbc

#define SBC_COUNTER_FIELD_(name, kind, unit, help) std::uint64_t name = 0;
#define SBC_COUNTER_ROW_(name, kind, unit, help) \
    ::sbc::counter_row{#name, ::sbc::counter_kind::kind, unit, help},
#define SBC_COUNTER_VISIT_(name, kind, unit, help) fn(rows[i++], name);

#define SBC_COUNTER_FAMILY(struct_name, family_name, LIST)                     \
    struct struct_name {                                                       \
        LIST(SBC_COUNTER_FIELD_)                                               \
                                                                               \
        static constexpr std::string_view family = family_name;                \
        static constexpr ::sbc::counter_row rows[] = {LIST(SBC_COUNTER_ROW_)}; \
                                                                               \
        template <class Fn>                                                    \
        void for_each(Fn&& fn) const {                                         \
            std::size_t i = 0;                                                 \
            LIST(SBC_COUNTER_VISIT_)                                           \
        }                                                                      \
    }
