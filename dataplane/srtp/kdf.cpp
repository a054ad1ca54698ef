#include "dataplane/srtp/kdf.hpp"

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

#include "dataplane/srtp/detail/key_build.hpp"
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

// The AES-CM PRF of several labels under one master key: the keystream of a label is
// AES_k(IV + i) for its blocks i, so the counter blocks of every label are encrypted in one
// batch under one key schedule (flow_add derives two master keys, twelve labels). AES-128 on
// ipsec-mb's stateless helpers (key expansion, one-block encryption); AES-256 master keys
// (RFC 6188 suites; ipsec-mb 1.3 has no one-block AES-256 helper) with OpenSSL's AES-ECB.
// Runs only when a flow is installed or its key changes.
class prf {
  public:
    static constexpr size_t max_blocks = 12;

    prf(const uint8_t* master_key, size_t key_len, const uint8_t master_salt[14]) noexcept
        : key_(master_key), key_len_(key_len), salt_(master_salt) {}
    ~prf() {
        OPENSSL_cleanse(blocks_, sizeof blocks_);
        OPENSSL_cleanse(stream_, sizeof stream_);
    }
    prf(const prf&) = delete;
    prf& operator=(const prf&) = delete;

    // Queues out_len bytes of `label`'s output for run(). False when the batch is full.
    bool add(kdf_label label, uint8_t* out, size_t out_len) noexcept {
        const size_t blocks = (out_len + 15) / 16;
        if (n_ + blocks > max_blocks || nout_ == max_outputs) {
            return false;
        }
        outputs_[nout_++] = {out, out_len, n_};
        for (size_t b = 0; b < blocks; ++b, ++n_) {
            prf_iv(salt_, label, blocks_[n_]);
            blocks_[n_][14] = static_cast<uint8_t>(b >> 8);
            blocks_[n_][15] = static_cast<uint8_t>(b);
        }
        return true;
    }

    bool run() noexcept {
        if (!(key_len_ == 16 ? encrypt_128() : encrypt_256())) {
            return false;
        }
        for (size_t o = 0; o < nout_; ++o) {
            std::memcpy(outputs_[o].out, stream_[outputs_[o].first], outputs_[o].len);
        }
        return true;
    }

  private:
    bool encrypt_128() noexcept {
        IMB_MGR* mgr = detail::key_helpers();
        if (mgr == nullptr) {
            return false;
        }
        alignas(16) uint8_t enc[11 * 16];
        alignas(16) uint8_t dec[11 * 16];
        IMB_AES_KEYEXP_128(mgr, key_, enc, dec);
        static constexpr uint8_t zero[16] = {};
        for (size_t b = 0; b < n_; ++b) {
            // CFB of one block over zeros: AES_k(counter block).
            IMB_AES128_CFB_ONE(mgr, stream_[b], zero, blocks_[b], enc, 16);
        }
        OPENSSL_cleanse(enc, sizeof enc);
        OPENSSL_cleanse(dec, sizeof dec);
        return true;
    }

    bool encrypt_256() noexcept {
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        if (ctx == nullptr) {
            return false;
        }
        const int len = static_cast<int>(n_ * 16);
        int produced = 0;
        const bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_ecb(), nullptr, key_, nullptr) == 1 &&
                        EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                        EVP_EncryptUpdate(ctx, stream_[0], &produced, blocks_[0], len) == 1 &&
                        produced == len;
        EVP_CIPHER_CTX_free(ctx);
        return ok;
    }

  private:
    static constexpr size_t max_outputs = 6;
    struct output {
        uint8_t* out;
        size_t len;
        size_t first;  // first block in blocks_
    };
    const uint8_t* key_;
    size_t key_len_;
    const uint8_t* salt_;
    alignas(16) uint8_t blocks_[max_blocks][16] = {};  // counter blocks
    alignas(16) uint8_t stream_[max_blocks][16] = {};  // their encryption: the PRF output
    output outputs_[max_outputs] = {};
    size_t n_ = 0;
    size_t nout_ = 0;
};

// Outputs longer than one batch (only asked for by tests): OpenSSL's AES-CTR from the IV.
bool kdf_ctr(const uint8_t* master_key, size_t key_len, const uint8_t iv[16], uint8_t* out,
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
        return kdf_ctr(master_key, key_len, iv, out, out_len);
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
