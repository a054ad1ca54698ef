#pragma once
// Issue 10, "close the class": no exception thrown while handling one peer's bytes may end the
// process or stop an event loop. Every callback the io_loop dispatches (completions, watches,
// timers, posted tasks) runs under a callback_guard: an exception is caught, counted and reported
// with a label saying what was running, and the loop goes on. The layers above decide what a
// fault costs (the transport drops the datagram or closes the connection: transport_layer.hpp).

#include <cstdint>
#include <exception>
#include <functional>
#include <string_view>

namespace sbc::sip {

class callback_guard {
  public:
    // Told of each fault: what was running ("timer", "recv completion", "message handler
    // (TLS 192.0.2.1:5061)") and the exception's what(). Runs on the loop's thread; what it
    // throws is swallowed.
    using reporter = std::function<void(std::string_view label, std::string_view what)>;

    callback_guard();  // reports to stderr until set_reporter()
    void set_reporter(reporter r) { reporter_ = std::move(r); }

    // Runs fn(); an exception from it is counted and reported. True when fn returned normally.
    template <typename Fn>
    bool run(std::string_view label, Fn&& fn) noexcept {
        try {
            fn();
            return true;
        } catch (const std::exception& e) {
            fault(label, e.what());
        } catch (...) {
            fault(label, "an exception that is not a std::exception");
        }
        return false;
    }

    // Counts and reports a fault caught elsewhere (noexcept).
    void fault(std::string_view label, std::string_view what) noexcept;

    // Callbacks that threw since the guard was made.
    std::uint64_t faults() const { return faults_; }

  private:
    reporter reporter_;
    std::uint64_t faults_ = 0;
};

}  // namespace sbc::sip
