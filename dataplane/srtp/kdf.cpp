#include "dataplane/srtp/kdf.hpp"

#include <openssl/evp.h>

#include <cstring>

#include "dataplane/srtp/suite.hpp"

namespace sbc::srtp {

bool kdf(const uint8_t* master_key, size_t key_len, const uint8_t master_salt[14], kdf_label label,
         uint8_t* out, size_t out_len) noexcept {
    if (key_len != 16 && key_len != 32) {
        return false;
    }
    // RFC 3711 §4.3.1: x = key_id XOR master_salt, key_id = label || r (r = 0 with kdr 0), the
    // 56-bit key_id aligned on the salt's least significant bits: the label lands on byte 7.
    // §4.3.3: IV = x * 2^16.
    uint8_t iv[16] = {};
    std::memcpy(iv, master_salt, 14);
    iv[7] ^= static_cast<uint8_t>(label);

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

bool derive_session_keys(const shm::srtp_key& k, bool rtcp, session_keys& out) noexcept {
    const suite_params* s = find_suite(k.suite);
    if (s == nullptr || k.master_key_len != s->master_key_len ||
        k.master_salt_len != s->master_salt_len) {
        return false;
    }
    std::memset(&out, 0, sizeof out);
    // RFC 7714 §11: the 96-bit GCM master salt is used by the AES-CM PRF padded with zeros.
    uint8_t salt[14] = {};
    std::memcpy(salt, k.master_salt, s->master_salt_len);
    auto base = static_cast<uint8_t>(rtcp ? kdf_label::rtcp_encryption : kdf_label::rtp_encryption);
    bool ok = kdf(k.master_key, s->master_key_len, salt, static_cast<kdf_label>(base), out.enc,
                  s->master_key_len) &&
              kdf(k.master_key, s->master_key_len, salt, static_cast<kdf_label>(base + 2), out.salt,
                  s->master_salt_len);
    if (ok && s->auth_key_len > 0) {
        ok = kdf(k.master_key, s->master_key_len, salt, static_cast<kdf_label>(base + 1), out.auth,
                 s->auth_key_len);
    }
    return ok;
}

}  // namespace sbc::srtp
