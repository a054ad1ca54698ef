#pragma once
// A counter family (common/counters.hpp) as the mgmt API reports it: {"name": value, ...}.

#include <string>

#include <nlohmann/json.hpp>

#include "common/counters.hpp"

namespace sbc::cp {

template <class Family>
nlohmann::json counters_json(const Family& f) {
    nlohmann::json j = nlohmann::json::object();
    f.for_each(
        [&j](const counter_row& row, std::uint64_t value) { j[std::string(row.name)] = value; });
    return j;
}

}  // namespace sbc::cp
