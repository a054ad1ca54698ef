// The Internet checksum of the packet path (dataplane/core/headers.hpp) against the plain
// RFC 1071 definition, for every length up to a jumbo frame's, odd lengths, carries in every
// position (all-ones payloads) and a running accumulator.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "dataplane/core/headers.hpp"

namespace sbc::dp {
namespace {

using namespace wire;

// RFC 1071 §4.1 in its plainest form: big-endian 16-bit words (an odd byte padded with a zero
// low byte), 32-bit accumulator folded as it goes.
uint16_t reference_sum(const uint8_t* p, size_t len, uint32_t start = 0) {
    uint32_t s = start;
    for (size_t i = 0; i + 1 < len; i += 2) {
        s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
        s = (s & 0xffff) + (s >> 16);
    }
    if (len & 1) {
        s += static_cast<uint32_t>(p[len - 1] << 8);
        s = (s & 0xffff) + (s >> 16);
    }
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// fold() gives the sum in network byte order as stored by memcpy: host order is its byte swap.
uint16_t path_sum(const uint8_t* p, size_t len, uint64_t acc = 0) {
    return __builtin_bswap16(fold(sum_bytes(p, static_cast<uint32_t>(len), acc)));
}

TEST(internet_checksum, matches_rfc1071_for_every_length_and_content) {
    std::mt19937 rng(1071);
    std::vector<uint8_t> buf(9100);
    for (int round = 0; round < 3; ++round) {
        for (auto& b : buf) {
            b = round == 0 ? 0xff : round == 1 ? 0x00 : static_cast<uint8_t>(rng());
        }
        for (size_t len = 0; len <= 1600; ++len) {
            ASSERT_EQ(path_sum(buf.data(), len), reference_sum(buf.data(), len))
                << "round " << round << " len " << len;
        }
        for (size_t len : {size_t{8999}, size_t{9000}, size_t{9100}}) {
            ASSERT_EQ(path_sum(buf.data(), len), reference_sum(buf.data(), len)) << len;
        }
    }
}

TEST(internet_checksum, starts_from_an_accumulator_and_an_even_offset) {
    std::mt19937 rng(768);
    std::vector<uint8_t> buf(256);
    for (int n = 0; n < 2000; ++n) {
        for (auto& b : buf) {
            b = static_cast<uint8_t>(rng());
        }
        const size_t off = 2 * (rng() % 16);
        const size_t len = rng() % (buf.size() - off);
        const uint16_t start = static_cast<uint16_t>(rng());
        // The accumulator is in native (little-endian) order, as the path passes it.
        ASSERT_EQ(path_sum(buf.data() + off, len, __builtin_bswap16(start)),
                  reference_sum(buf.data() + off, len, start))
            << off << " " << len;
    }
    // A full accumulator: every carry out of 64 bits comes back in.
    std::vector<uint8_t> ones(64, 0xff);
    ASSERT_EQ(path_sum(ones.data(), ones.size(), ~uint64_t{0}),
              reference_sum(ones.data(), 64, 0xffff));
}

TEST(internet_checksum, ipv4_header_checksum_verifies) {
    // RFC 1071 §3 style: a header whose checksum field makes the sum all ones.
    uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    const uint16_t c = ipv4_cksum(ip, 20);
    std::memcpy(ip + ip_cksum, &c, 2);
    EXPECT_EQ(load16(ip + ip_cksum), 0xb861);  // the well-known example header
    EXPECT_TRUE(ipv4_cksum_ok(ip, 20));
    ip[15] ^= 1;
    EXPECT_FALSE(ipv4_cksum_ok(ip, 20));
}

}  // namespace
}  // namespace sbc::dp
