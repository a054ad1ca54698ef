#pragma once
// Callbacks that may run after their owner is gone. An object hands callbacks to an event loop,
// a transaction layer or a neighbour that can outlive it (a timer, a response that arrives after
// the owner was torn down, a hook registered on a longer-lived object). The owner keeps one
// `lifetime` as its last member and wraps each such callback with guard(): the callback does
// nothing once the owner is destroyed, or after end() (a stop that orphans callbacks still in
// flight, after which new guards work again).
//
// Single-threaded, like the event loops that use it: the check and the call happen on the
// owner's thread, so the owner cannot die between them.

#include <memory>
#include <utility>

namespace sbc {

class lifetime {
  public:
    lifetime() = default;
    ~lifetime() = default;
    lifetime(const lifetime&) = delete;
    lifetime& operator=(const lifetime&) = delete;

    // `fn`, called only while this lifetime lasts; its result is dropped (guarded callbacks
    // return nothing: a caller that needs an answer must not depend on a dead owner).
    template <class Fn>
    auto guard(Fn fn) const {
        return [token = std::weak_ptr<const char>(token_),
                fn = std::move(fn)](auto&&... args) mutable {
            if (!token.expired()) {
                fn(std::forward<decltype(args)>(args)...);
            }
        };
    }

    // Every guard handed out so far does nothing from now on; guards made later work.
    void end() { token_ = std::make_shared<const char>(); }

  private:
    std::shared_ptr<const char> token_ = std::make_shared<const char>();
};

}  // namespace sbc
