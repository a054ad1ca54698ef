#pragma once
// The control plane's durable state (issue 15): what a restarted sbcd needs to carry on the
// calls and registrations of the one before it. One interface, so that a replicated store for an
// HA pair can stand in for the embedded journal (journal_store.hpp) later.
//
// A record is (kind, id) -> value. The value is opaque here: its owner (the registrar relay for
// bindings, the B2BUA for established calls) encodes it. put() replaces, erase() removes; both
// are durable against a crash of the process when they return.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "controlplane/result.hpp"

namespace sbc::cp::state {

enum class record_kind : uint8_t {
    binding = 1,    // a registration binding: flow token, expiry, push parameters
    call = 2,       // an established call: both legs' dialogs, media session, timer deadlines
    emergency = 3,  // an emergency mark on a call or a caller
};
const char* to_string(record_kind k);

class state_store {
  public:
    using visit_fn =
        std::function<void(record_kind kind, std::string_view id, std::string_view value)>;

    virtual ~state_store() = default;

    // Errors name the store and the cause (disk full, I/O error); nothing is half-written then.
    virtual cp::status put(record_kind kind, std::string_view id, std::string_view value) = 0;
    virtual cp::status erase(record_kind kind, std::string_view id) = 0;
    // Every live record, each once, in no particular order.
    virtual void for_each(const visit_fn& fn) const = 0;
    virtual size_t size() const = 0;
};

}  // namespace sbc::cp::state
