#include "controlplane/media/port_pool.hpp"

#include <gtest/gtest.h>

#include <set>

using sbc::cp::media::port_pool;

TEST(port_pool, hands_out_even_ports_with_room_for_rtcp) {
    port_pool p(40000, 40009);
    EXPECT_EQ(p.capacity(), 5u);  // 40000..40008, each with its +1 inside the range
    std::set<uint16_t> got;
    for (int i = 0; i < 5; ++i) {
        auto port = p.allocate();
        ASSERT_TRUE(port.has_value());
        EXPECT_EQ(*port % 2, 0);
        EXPECT_LE(*port + 1, 40009);
        got.insert(*port);
    }
    EXPECT_EQ(got.size(), 5u);
    EXPECT_FALSE(p.allocate().has_value()) << "exhausted";
    EXPECT_EQ(p.used(), 5u);
}

TEST(port_pool, odd_bounds_shrink_to_even_pairs) {
    port_pool p(40001, 40004);  // 40002/40003 only: 40004 has no 40005
    EXPECT_EQ(p.capacity(), 1u);
    EXPECT_EQ(p.allocate().value(), 40002);
    port_pool zero(0, 3);
    EXPECT_EQ(zero.allocate().value(), 2) << "port 0 means a rejected stream";
}

TEST(port_pool, freed_ports_are_reused_last) {
    port_pool p(1000, 1007);  // 1000, 1002, 1004, 1006
    const uint16_t first = p.allocate().value();
    EXPECT_TRUE(p.release(first));
    EXPECT_NE(p.allocate().value(), first);
    EXPECT_NE(p.allocate().value(), first);
    EXPECT_NE(p.allocate().value(), first);
    EXPECT_EQ(p.allocate().value(), first);
}

TEST(port_pool, release_and_take_refuse_what_is_not_theirs) {
    port_pool p(1000, 1007);
    EXPECT_FALSE(p.release(1000)) << "not allocated";
    EXPECT_FALSE(p.release(1001)) << "odd";
    EXPECT_FALSE(p.release(2000)) << "outside";
    EXPECT_TRUE(p.take(1004));
    EXPECT_FALSE(p.take(1004));
    for (int i = 0; i < 3; ++i) {
        EXPECT_NE(p.allocate().value(), 1004);
    }
    EXPECT_FALSE(p.allocate().has_value());
    EXPECT_TRUE(p.release(1004));
    EXPECT_FALSE(p.release(1004)) << "double release";
}
