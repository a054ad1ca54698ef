#include "dataplane/srtp/key_set.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <new>

#include "dataplane/srtp/detail/key_build.hpp"
#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/detail/libsrtp_session.hpp"
#include "dataplane/srtp/kdf.hpp"
#include "dataplane/srtp/suite.hpp"

namespace sbc::srtp {
namespace {

// Key expansion and the HMAC pad blocks only need ipsec-mb's stateless helpers; one manager,
// initialised once, serves every thread that makes keys.
IMB_MGR* setup_manager() noexcept {
    static IMB_MGR* mgr = [] {
        IMB_MGR* m = alloc_mb_mgr(0);
        if (m != nullptr) {
            init_mb_mgr_auto(m, nullptr);
            if (imb_get_errno(m) != 0) {
                free_mb_mgr(m);
                m = nullptr;
            }
        }
        return m;
    }();
    return mgr;
}

size_t allocation_size(bool aead) noexcept {
    return detail::key_set_header +
           2 * (aead ? sizeof(detail::gcm_material) : sizeof(detail::cm_material));
}

void fill_cm(IMB_MGR* mgr, const session_keys& sk, size_t key_len, detail::cm_material& m) {
    alignas(16) uint8_t dec[240];
    if (key_len == 16) {
        IMB_AES_KEYEXP_128(mgr, sk.enc, m.enc, dec);
    } else {
        IMB_AES_KEYEXP_256(mgr, sk.enc, m.enc, dec);
    }
    // RFC 2104: H(K XOR opad, H(K XOR ipad, m)); the two first blocks are precomputed once.
    alignas(16) uint8_t block[64];
    std::memset(block, 0x36, sizeof block);
    for (size_t i = 0; i < 20; ++i) {
        block[i] ^= sk.auth[i];
    }
    IMB_SHA1_ONE_BLOCK(mgr, block, m.ipad);
    std::memset(block, 0x5c, sizeof block);
    for (size_t i = 0; i < 20; ++i) {
        block[i] ^= sk.auth[i];
    }
    IMB_SHA1_ONE_BLOCK(mgr, block, m.opad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(dec, sizeof dec);
}

void fill_gcm(IMB_MGR* mgr, const session_keys& sk, size_t key_len, detail::gcm_material& m) {
    if (key_len == 16) {
        IMB_AES128_GCM_PRE(mgr, sk.enc, &m.key);
    } else {
        IMB_AES256_GCM_PRE(mgr, sk.enc, &m.key);
    }
}

}  // namespace

void key_set_deleter::operator()(key_set* k) const noexcept {
    if (k == nullptr) {
        return;
    }
    if (k->lib != nullptr) {
        detail::libsrtp_destroy(k->lib);
    }
    size_t size = allocation_size(k->aead != 0);
    OPENSSL_cleanse(k, size);
    ::operator delete (static_cast<void*>(k), std::align_val_t{64});
}

const shm::srtp_key& master_of(const key_set& ks) noexcept {
    return ks.master;
}

key_set_ptr make_key_set(const shm::srtp_key& k, direction dir, engine_kind e, key_error& err) {
    err = validate(k);
    if (err != key_error::none) {
        return nullptr;
    }
    session_keys rtp{};
    session_keys rtcp{};
    if (!derive_session_keys(k, false, rtp) || !derive_session_keys(k, true, rtcp)) {
        err = key_error::engine_failed;
        return nullptr;
    }
    key_set_ptr ks = detail::make_key_set_from_session_keys(k, rtp, rtcp, dir, e, err);
    OPENSSL_cleanse(&rtp, sizeof rtp);
    OPENSSL_cleanse(&rtcp, sizeof rtcp);
    return ks;
}

namespace detail {

key_set_ptr make_key_set_from_session_keys(const shm::srtp_key& k, const session_keys& rtp,
                                           const session_keys& rtcp, direction dir, engine_kind e,
                                           key_error& err) {
    err = validate(k);
    if (err != key_error::none) {
        return nullptr;
    }
    const suite_params* s = find_suite(k.suite);
    IMB_MGR* mgr = setup_manager();
    if (mgr == nullptr) {
        err = key_error::engine_failed;
        return nullptr;
    }
    size_t size = allocation_size(s->aead);
    void* mem = ::operator new (size, std::align_val_t{64}, std::nothrow);
    if (mem == nullptr) {
        err = key_error::engine_failed;
        return nullptr;
    }
    std::memset(mem, 0, size);
    key_set_ptr ks(new (mem) key_set{});
    ks->aead = s->aead ? 1 : 0;
    ks->key_len = s->master_key_len;
    ks->rtp_tag_len = s->rtp_tag_len;
    ks->rtcp_tag_len = s->rtcp_tag_len;
    ks->mki_len = k.mki_len;
    ks->dir = dir;
    ks->kind = e;
    ks->salt_len = s->master_salt_len;
    for (uint8_t i = 0; i < k.mki_len; ++i) {
        ks->mki[i] = static_cast<uint8_t>(k.mki >> (8 * (k.mki_len - 1 - i)));
    }
    std::memcpy(ks->rtp_salt, rtp.salt, s->master_salt_len);
    std::memcpy(ks->rtcp_salt, rtcp.salt, s->master_salt_len);
    ks->master = k;
    std::memset(ks->master.pad, 0, sizeof ks->master.pad);

    uint8_t* mat = ks->material();
    if (s->aead) {
        fill_gcm(mgr, rtp, s->master_key_len, *reinterpret_cast<detail::gcm_material*>(mat));
        fill_gcm(mgr, rtcp, s->master_key_len,
                 *reinterpret_cast<detail::gcm_material*>(mat + sizeof(detail::gcm_material)));
    } else {
        fill_cm(mgr, rtp, s->master_key_len, *reinterpret_cast<detail::cm_material*>(mat));
        fill_cm(mgr, rtcp, s->master_key_len,
                *reinterpret_cast<detail::cm_material*>(mat + sizeof(detail::cm_material)));
    }
    if (e == engine_kind::libsrtp) {
        ks->lib = detail::libsrtp_create(k, dir);
        if (ks->lib == nullptr) {
            err = key_error::engine_failed;
            return nullptr;
        }
    }
    return ks;
}

}  // namespace detail
}  // namespace sbc::srtp
