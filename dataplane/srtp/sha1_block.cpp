#include "dataplane/srtp/detail/sha1_block.hpp"

#include <cpuid.h>
#include <immintrin.h>

#include <cstring>

namespace sbc::srtp::detail {
namespace {

// The public-domain SHA-NI block function (Intel's reference, as in Linux sha1_ni_asm.S and
// noloader/SHA-Intrinsics), for one block from the initial state.
__attribute__((target("sha,sse4.1"))) void sha1_ni(const uint8_t* data, uint32_t state[5]) {
    const __m128i mask = _mm_set_epi64x(0x0001020304050607ULL, 0x08090a0b0c0d0e0fULL);
    __m128i abcd = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
    __m128i e0 = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
    abcd = _mm_shuffle_epi32(abcd, 0x1b);
    const __m128i abcd_save = abcd;
    const __m128i e0_save = e0;
    __m128i e1;
    __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data)), mask);
    __m128i m1 =
        _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16)), mask);
    __m128i m2 =
        _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 32)), mask);
    __m128i m3 =
        _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 48)), mask);

    // Rounds 0-3
    e0 = _mm_add_epi32(e0, m0);
    e1 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
    // Rounds 4-7
    e1 = _mm_sha1nexte_epu32(e1, m1);
    e0 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e1, 0);
    m0 = _mm_sha1msg1_epu32(m0, m1);
    // Rounds 8-11
    e0 = _mm_sha1nexte_epu32(e0, m2);
    e1 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
    m1 = _mm_sha1msg1_epu32(m1, m2);
    m0 = _mm_xor_si128(m0, m2);
    // Rounds 12-15
    e1 = _mm_sha1nexte_epu32(e1, m3);
    e0 = abcd;
    m0 = _mm_sha1msg2_epu32(m0, m3);
    abcd = _mm_sha1rnds4_epu32(abcd, e1, 0);
    m2 = _mm_sha1msg1_epu32(m2, m3);
    m1 = _mm_xor_si128(m1, m3);

    // Rounds 16-67: the same four-round step with the message schedule rotating through
    // m0..m3; the function constant changes every 20 rounds.
#define SBC_SHA1_STEP(ea, eb, ma, mb, mc, md, f) \
    ea = _mm_sha1nexte_epu32(ea, ma);            \
    eb = abcd;                                   \
    mb = _mm_sha1msg2_epu32(mb, ma);             \
    abcd = _mm_sha1rnds4_epu32(abcd, ea, f);     \
    md = _mm_sha1msg1_epu32(md, ma);             \
    mc = _mm_xor_si128(mc, ma)

    SBC_SHA1_STEP(e0, e1, m0, m1, m2, m3, 0);  // 16-19
    SBC_SHA1_STEP(e1, e0, m1, m2, m3, m0, 1);  // 20-23
    SBC_SHA1_STEP(e0, e1, m2, m3, m0, m1, 1);  // 24-27
    SBC_SHA1_STEP(e1, e0, m3, m0, m1, m2, 1);  // 28-31
    SBC_SHA1_STEP(e0, e1, m0, m1, m2, m3, 1);  // 32-35
    SBC_SHA1_STEP(e1, e0, m1, m2, m3, m0, 1);  // 36-39
    SBC_SHA1_STEP(e0, e1, m2, m3, m0, m1, 2);  // 40-43
    SBC_SHA1_STEP(e1, e0, m3, m0, m1, m2, 2);  // 44-47
    SBC_SHA1_STEP(e0, e1, m0, m1, m2, m3, 2);  // 48-51
    SBC_SHA1_STEP(e1, e0, m1, m2, m3, m0, 2);  // 52-55
    SBC_SHA1_STEP(e0, e1, m2, m3, m0, m1, 2);  // 56-59
    SBC_SHA1_STEP(e1, e0, m3, m0, m1, m2, 3);  // 60-63
    SBC_SHA1_STEP(e0, e1, m0, m1, m2, m3, 3);  // 64-67
#undef SBC_SHA1_STEP

    // Rounds 68-71
    e1 = _mm_sha1nexte_epu32(e1, m1);
    e0 = abcd;
    m2 = _mm_sha1msg2_epu32(m2, m1);
    abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);
    m3 = _mm_xor_si128(m3, m1);
    // Rounds 72-75
    e0 = _mm_sha1nexte_epu32(e0, m2);
    e1 = abcd;
    m3 = _mm_sha1msg2_epu32(m3, m2);
    abcd = _mm_sha1rnds4_epu32(abcd, e0, 3);
    // Rounds 76-79
    e1 = _mm_sha1nexte_epu32(e1, m3);
    e0 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);

    e0 = _mm_sha1nexte_epu32(e0, e0_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
    abcd = _mm_shuffle_epi32(abcd, 0x1b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state), abcd);
    state[4] = static_cast<uint32_t>(_mm_extract_epi32(e0, 3));
}

// CPUID.(EAX=7,ECX=0):EBX bit 29 (SHA), CPUID.1:ECX bit 19 (SSE4.1). (clang 14's
// __builtin_cpu_supports does not know "sha".)
bool have_sha_ni() noexcept {
    static const bool yes = [] {
        unsigned a = 0, b = 0, c = 0, d = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) == 0 || (c & bit_SSE4_1) == 0) {
            return false;
        }
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) {
            return false;
        }
        return (b & (1u << 29)) != 0;
    }();
    return yes;
}

}  // namespace

void sha1_one_block(IMB_MGR* mgr, const uint8_t block[64], uint8_t state_out[20]) noexcept {
    if (!have_sha_ni()) {
        alignas(16) uint8_t st[32];  // the helper may store more than the 20 bytes
        IMB_SHA1_ONE_BLOCK(mgr, block, st);
        std::memcpy(state_out, st, 20);
        return;
    }
    uint32_t st[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u};
    sha1_ni(block, st);
    std::memcpy(state_out, st, sizeof st);
}

bool sha1_one_block_uses_sha_ni() noexcept {
    return have_sha_ni();
}

}  // namespace sbc::srtp::detail
