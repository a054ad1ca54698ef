// Hex for identifiers and digests, and the \xHH escape for peer bytes.
#include "common/hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sbc {
namespace {

TEST(Hex, EveryByteValueIsTwoLowercaseDigits) {
    std::string all;
    for (int b = 0; b < 256; ++b) {
        all.push_back(static_cast<char>(b));
    }
    const std::string h = hex(all);
    ASSERT_EQ(h.size(), 512u);
    EXPECT_EQ(h.substr(0, 6), "000102");
    EXPECT_EQ(h.substr(0x7f * 2, 4), "7f80");
    EXPECT_EQ(h.substr(510), "ff");
    EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(hex(std::string_view()), "");
}

TEST(Hex, TheEscapeShowsTheByteNotItself) {
    std::string out = "a";
    append_escaped_byte(out, 0x00);
    append_escaped_byte(out, '\r');
    append_escaped_byte(out, 0xc3);
    EXPECT_EQ(out, "a\\x00\\x0d\\xc3");
}

}  // namespace
}  // namespace sbc
