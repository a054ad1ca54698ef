#include "dataplane/srtp/kdf.hpp"

#include <immintrin.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

#include "dataplane/srtp/suite.hpp"

namespace sbc::srtp {
namespace {

// RFC 3711 §4.3.1: x = key_id XOR master_salt, key_id = label || r (r = 0 with kdr 0), the
// 56-bit key_id aligned on the salt's least significant bits: the label lands on byte 7.
// §4.3.3: IV = x * 2^16, so the block counter occupies the two low bytes.
void prf_iv(const uint8_t master_salt[14], kdf_label label, uint8_t iv[16]) noexcept {
    std::memset(iv, 0, 16);
    std::memcpy(iv, master_salt, 14);
    iv[7] ^= static_cast<uint8_t>(label);
}

// The AES-CM PRF directly on AES-NI: one key expansion per master key for all six labels
// (OpenSSL's EVP costs a context and a key schedule per label; flow_add derives two master
// keys, twelve labels).
struct aes_ni_schedule {
    __m128i rk[15];
    int rounds;  // 10 or 14
};

__attribute__((target("aes,sse2"))) inline __m128i expand_step128(__m128i k, __m128i assist) {
    assist = _mm_shuffle_epi32(assist, 0xff);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, assist);
}

__attribute__((target("aes,sse2"))) inline __m128i expand_step256b(__m128i k, __m128i prev) {
    // The odd AES-256 round key: SubWord without RotWord, no round constant.
    __m128i assist = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(prev, 0), 0xaa);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, assist);
}

#define SBC_EXPAND128(i, rcon) \
    s.rk[i] = expand_step128(s.rk[i - 1], _mm_aeskeygenassist_si128(s.rk[i - 1], rcon))

__attribute__((target("aes,sse2"))) void expand128(const uint8_t* key, aes_ni_schedule& s) {
    s.rounds = 10;
    s.rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
    SBC_EXPAND128(1, 0x01);
    SBC_EXPAND128(2, 0x02);
    SBC_EXPAND128(3, 0x04);
    SBC_EXPAND128(4, 0x08);
    SBC_EXPAND128(5, 0x10);
    SBC_EXPAND128(6, 0x20);
    SBC_EXPAND128(7, 0x40);
    SBC_EXPAND128(8, 0x80);
    SBC_EXPAND128(9, 0x1b);
    SBC_EXPAND128(10, 0x36);
}
#undef SBC_EXPAND128

#define SBC_EXPAND256(i, rcon)                                                           \
    s.rk[i] = expand_step128(s.rk[i - 2], _mm_aeskeygenassist_si128(s.rk[i - 1], rcon)); \
    s.rk[i + 1] = expand_step256b(s.rk[i - 1], s.rk[i])

__attribute__((target("aes,sse2"))) void expand256(const uint8_t* key, aes_ni_schedule& s) {
    s.rounds = 14;
    s.rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
    s.rk[1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16));
    SBC_EXPAND256(2, 0x01);
    SBC_EXPAND256(4, 0x02);
    SBC_EXPAND256(6, 0x04);
    SBC_EXPAND256(8, 0x08);
    SBC_EXPAND256(10, 0x10);
    SBC_EXPAND256(12, 0x20);
    s.rk[14] = expand_step128(s.rk[12], _mm_aeskeygenassist_si128(s.rk[13], 0x40));
}
#undef SBC_EXPAND256

// AES-ECB of `n` blocks, interleaved so that the rounds of independent blocks overlap (the PRF
// outputs of all labels are independent counter blocks).
__attribute__((target("aes,sse2"))) void encrypt_blocks(const aes_ni_schedule& s,
                                                        uint8_t (*blocks)[16], size_t n) {
    constexpr size_t max_blocks = 12;
    __m128i b[max_blocks];
    n = n < max_blocks ? n : max_blocks;
    for (size_t i = 0; i < n; ++i) {
        b[i] = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks[i])), s.rk[0]);
    }
    for (int r = 1; r < s.rounds; ++r) {
        for (size_t i = 0; i < n; ++i) {
            b[i] = _mm_aesenc_si128(b[i], s.rk[r]);
        }
    }
    for (size_t i = 0; i < n; ++i) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(blocks[i]),
                         _mm_aesenclast_si128(b[i], s.rk[s.rounds]));
    }
}

bool have_aes_ni() noexcept {
    static const bool yes = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
    return yes;
}

bool kdf_openssl(const uint8_t* master_key, size_t key_len, const uint8_t iv[16], uint8_t* out,
                 size_t out_len) noexcept {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) {
        return false;
    }
    const EVP_CIPHER* cipher = key_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
    std::memset(out, 0, out_len);
    int produced = 0;
    bool ok = EVP_EncryptInit_ex(ctx, cipher, nullptr, master_key, iv) == 1 &&
              EVP_EncryptUpdate(ctx, out, &produced, out, static_cast<int>(out_len)) == 1 &&
              static_cast<size_t>(produced) == out_len;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

// The PRF for several labels under one master key: one key schedule, and every output block of
// every label encrypted in one interleaved batch.
class prf {
  public:
    static constexpr size_t max_blocks = 12;

    prf(const uint8_t* master_key, size_t key_len, const uint8_t master_salt[14]) noexcept
        : key_(master_key), key_len_(key_len), salt_(master_salt), ni_(have_aes_ni()) {
        if (ni_) {
            if (key_len == 16) {
                expand128(master_key, s_);
            } else {
                expand256(master_key, s_);
            }
        }
    }
    ~prf() {
        OPENSSL_cleanse(&s_, sizeof s_);
        OPENSSL_cleanse(blocks_, sizeof blocks_);
    }
    prf(const prf&) = delete;
    prf& operator=(const prf&) = delete;

    // Queues out_len bytes of `label`'s output for run(). False when the batch is full.
    bool add(kdf_label label, uint8_t* out, size_t out_len) noexcept {
        const size_t blocks = (out_len + 15) / 16;
        if (n_ + blocks > max_blocks || nout_ == max_outputs) {
            return false;
        }
        outputs_[nout_++] = {label, out, out_len, n_};
        for (size_t b = 0; b < blocks; ++b, ++n_) {
            prf_iv(salt_, label, blocks_[n_]);
            blocks_[n_][14] = static_cast<uint8_t>(b >> 8);
            blocks_[n_][15] = static_cast<uint8_t>(b);
        }
        return true;
    }

    bool run() noexcept {
        if (ni_) {
            encrypt_blocks(s_, blocks_, n_);
            for (size_t o = 0; o < nout_; ++o) {
                std::memcpy(outputs_[o].out, blocks_[outputs_[o].first], outputs_[o].len);
            }
            return true;
        }
        for (size_t o = 0; o < nout_; ++o) {
            uint8_t iv[16];
            prf_iv(salt_, outputs_[o].label, iv);
            if (!kdf_openssl(key_, key_len_, iv, outputs_[o].out, outputs_[o].len)) {
                return false;
            }
        }
        return true;
    }

  private:
    static constexpr size_t max_outputs = 6;
    struct output {
        kdf_label label;
        uint8_t* out;
        size_t len;
        size_t first;  // first block in blocks_
    };
    const uint8_t* key_;
    size_t key_len_;
    const uint8_t* salt_;
    bool ni_;
    aes_ni_schedule s_{};
    alignas(16) uint8_t blocks_[max_blocks][16] = {};
    output outputs_[max_outputs] = {};
    size_t n_ = 0;
    size_t nout_ = 0;
};

bool queue_session_keys(prf& f, const suite_params& s, bool rtcp, session_keys& out) noexcept {
    std::memset(&out, 0, sizeof out);
    const auto base =
        static_cast<uint8_t>(rtcp ? kdf_label::rtcp_encryption : kdf_label::rtp_encryption);
    bool ok = f.add(static_cast<kdf_label>(base), out.enc, s.master_key_len) &&
              f.add(static_cast<kdf_label>(base + 2), out.salt, s.master_salt_len);
    if (ok && s.auth_key_len > 0) {
        ok = f.add(static_cast<kdf_label>(base + 1), out.auth, s.auth_key_len);
    }
    return ok;
}

const suite_params* checked_suite(const shm::srtp_key& k) noexcept {
    const suite_params* s = find_suite(k.suite);
    if (s == nullptr || k.master_key_len != s->master_key_len ||
        k.master_salt_len != s->master_salt_len) {
        return nullptr;
    }
    return s;
}

}  // namespace

bool kdf(const uint8_t* master_key, size_t key_len, const uint8_t master_salt[14], kdf_label label,
         uint8_t* out, size_t out_len) noexcept {
    if (key_len != 16 && key_len != 32) {
        return false;
    }
    if (out_len > prf::max_blocks * 16) {
        uint8_t iv[16];
        prf_iv(master_salt, label, iv);
        return kdf_openssl(master_key, key_len, iv, out, out_len);
    }
    prf f(master_key, key_len, master_salt);
    return f.add(label, out, out_len) && f.run();
}

bool derive_session_keys(const shm::srtp_key& k, bool rtcp, session_keys& out) noexcept {
    const suite_params* s = checked_suite(k);
    if (s == nullptr) {
        return false;
    }
    // RFC 7714 §11: the 96-bit GCM master salt is used by the AES-CM PRF padded with zeros.
    uint8_t salt[14] = {};
    std::memcpy(salt, k.master_salt, s->master_salt_len);
    prf f(k.master_key, s->master_key_len, salt);
    return queue_session_keys(f, *s, rtcp, out) && f.run();
}

bool derive_session_keys(const shm::srtp_key& k, session_keys& rtp, session_keys& rtcp) noexcept {
    const suite_params* s = checked_suite(k);
    if (s == nullptr) {
        return false;
    }
    uint8_t salt[14] = {};
    std::memcpy(salt, k.master_salt, s->master_salt_len);
    prf f(k.master_key, s->master_key_len, salt);
    return queue_session_keys(f, *s, false, rtp) && queue_session_keys(f, *s, true, rtcp) &&
           f.run();
}

}  // namespace sbc::srtp
