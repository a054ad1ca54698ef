#pragma once
// The last line between peer input and the end of sbcd: every control-plane entry point that
// runs on something a peer sent (a SIP message through a realm edge, an ACK, a mgmt command, a
// dataplane event) runs under run(). Whatever it throws — a bug reachable from the wire, a
// std::bad_alloc — is caught, counted by entry point, logged once per second at most with the
// escaped what(), and the message is dropped (the caller answers or closes as its rule says).
// Errors from the network are values (STYLE.md); this is for the bug that makes one a throw,
// so that it costs one message, not every registration and call (issue 10). The io_loop guards
// timers and completions the same way (sip/transport/io_loop.cpp); `sbcctl status` shows both.

#include <array>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "controlplane/log_text.hpp"

namespace sbc::cp {

// X(name, meaning)
#define SBC_CP_GUARDED_ENTRIES(X)                                                 \
    X(access_message, "a message from the access realm (request, response, ACK)") \
    X(core_message, "a message from the core realm")                              \
    X(connection_closed, "a closed connection's handlers")                        \
    X(mgmt_command, "a mgmt command handler")                                     \
    X(dataplane_event, "a dataplane event handler")

enum class guarded_entry : std::uint8_t {
#define SBC_CP_GUARDED_ENUM(name, text) name,
    SBC_CP_GUARDED_ENTRIES(SBC_CP_GUARDED_ENUM)
#undef SBC_CP_GUARDED_ENUM
        count_
};
std::string_view entry_name(guarded_entry e);

class entry_guard {
  public:
    // Runs fn(); true when it returned, false when it threw (then counted and logged with
    // `what_it_was`, which may hold peer bytes: it is escaped).
    template <class Fn>
    bool run(guarded_entry e, std::string_view what_it_was, Fn&& fn) noexcept {
        try {
            fn();
            return true;
        } catch (const std::exception& ex) {
            caught(e, what_it_was, ex.what());
        } catch (...) {
            caught(e, what_it_was, "an exception that is not a std::exception");
        }
        return false;
    }

    std::uint64_t caught() const { return total_; }
    std::uint64_t caught(guarded_entry e) const { return by_entry_[static_cast<std::size_t>(e)]; }
    // {"total", one count per entry point, "last": "<entry>: <what()> (<what it was>)"}.
    nlohmann::json status() const;

  private:
    void caught(guarded_entry e, std::string_view what_it_was, std::string_view what) noexcept;

    std::array<std::uint64_t, static_cast<std::size_t>(guarded_entry::count_)> by_entry_{};
    std::uint64_t total_ = 0;
    std::string last_;
    log_limiter log_{1};
};

}  // namespace sbc::cp
