#pragma once
// The control plane's one error convention (controlplane/README.md, "Errors"). An operation that
// can fail for a reason outside the program — peer input, the config, the OS, the dataplane —
// returns a status value: `explicit operator bool()` is success, message() one line for an
// operator naming what failed and why. When it also has a value to give, it returns
// result<T, S>: the value or the status. A status type belongs to its area: `cp::status` (a
// message) for set-up, I/O and the mgmt API; an area whose failures are answered to a SIP peer
// keeps a table of causes with their SIP answers (media::status, register_refusal,
// dispatch_refusal). No `bool` plus `std::string&` out-parameter; nothing thrown out of an
// event-loop callback. Programming errors assert; they are not statuses.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sbc::cp {

class [[nodiscard]] status {
  public:
    static status ok() { return {}; }
    explicit operator bool() const { return message_.empty(); }
    // "access realm: sip_tls_port: Address already in use"; empty when ok.
    const std::string& message() const { return message_; }

  private:
    friend status fail(std::string message);
    std::string message_;
};

// A failure with its one line (never empty: an empty message would read as success).
inline status fail(std::string message) {
    status s;
    s.message_ = message.empty() ? std::string("failed") : std::move(message);
    return s;
}

// A value, or the status that says why there is none.
template <class T, class S = status>
class [[nodiscard]] result {
  public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
    result(S failure) : v_(std::in_place_index<1>, std::move(failure)) { assert(!std::get<1>(v_)); }

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const& { return std::get<0>(v_); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }
    // Why there is no value. Precondition: !ok().
    const S& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, S> v_;
};

}  // namespace sbc::cp
