#include "controlplane/entry_guard.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/log_text.hpp"

namespace sbc::cp {

namespace {

constexpr std::string_view entry_names[] = {
#define SBC_CP_GUARDED_NAME(name, text) #name,
    SBC_CP_GUARDED_ENTRIES(SBC_CP_GUARDED_NAME)
#undef SBC_CP_GUARDED_NAME
};

}  // namespace

std::string_view entry_name(guarded_entry e) {
    return entry_names[static_cast<std::size_t>(e)];
}

void entry_guard::caught(guarded_entry e, std::string_view what_it_was,
                         std::string_view what) noexcept {
    ++by_entry_[static_cast<std::size_t>(e)];
    ++total_;
    try {
        last_ =
            std::string(entry_name(e)) + ": " + log_text(what) + " (" + log_text(what_it_was) + ")";
        // One line a second at most: a peer that found a way to make us throw must not also
        // get to flood the log.
        if (std::uint64_t held = 0; log_.allow(held)) {
            spdlog::error("caught and dropped: {}{}", last_,
                          held == 0 ? std::string()
                                    : " (" + std::to_string(held) + " more since the last line)");
        }
    } catch (...) {
        // Out of memory while describing it: the count above stands.
    }
}

nlohmann::json entry_guard::status() const {
    nlohmann::json j = {{"total", total_}};
    for (std::size_t i = 0; i < by_entry_.size(); ++i) {
        j[std::string(entry_names[i])] = by_entry_[i];
    }
    j["last"] = last_;
    return j;
}

}  // namespace sbc::cp
