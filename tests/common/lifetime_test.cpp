// Guarded callbacks: they run while their owner lives, and do nothing after it is destroyed or
// after end() (a stop that orphans callbacks in flight), while guards made later work again.
#include "common/lifetime.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

namespace sbc {
namespace {

TEST(Lifetime, GuardedCallbackRunsWhileTheOwnerLives) {
    lifetime life;
    int calls = 0;
    std::string seen;
    std::function<void(int, const std::string&)> cb = life.guard([&](int n, const std::string& s) {
        calls += n;
        seen = s;
    });
    cb(2, "x");
    cb(3, "y");
    EXPECT_EQ(calls, 5);
    EXPECT_EQ(seen, "y");
}

TEST(Lifetime, NothingRunsAfterTheOwnerIsGone) {
    int calls = 0;
    std::function<void()> cb;
    {
        auto life = std::make_unique<lifetime>();
        cb = life->guard([&] { ++calls; });
        cb();
    }
    cb();
    cb();
    EXPECT_EQ(calls, 1);
}

TEST(Lifetime, EndOrphansEarlierGuardsOnly) {
    lifetime life;
    int old_calls = 0, new_calls = 0;
    std::function<void()> before = life.guard([&] { ++old_calls; });
    life.end();
    std::function<void()> after = life.guard([&] { ++new_calls; });
    before();
    after();
    EXPECT_EQ(old_calls, 0);
    EXPECT_EQ(new_calls, 1);
}

TEST(Lifetime, MoveOnlyArgumentsAreForwarded) {
    lifetime life;
    int got = 0;
    auto cb = life.guard([&](std::unique_ptr<int> p) { got = *p; });
    cb(std::make_unique<int>(7));
    EXPECT_EQ(got, 7);
}

}  // namespace
}  // namespace sbc
