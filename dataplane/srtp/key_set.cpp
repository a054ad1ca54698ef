#include "dataplane/srtp/key_set.hpp"

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "dataplane/srtp/detail/key_build.hpp"
#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/detail/libsrtp_session.hpp"
#include "dataplane/srtp/detail/sha1_block.hpp"
#include "dataplane/srtp/kdf.hpp"
#include "dataplane/srtp/suite.hpp"

namespace sbc::srtp {
namespace {

// AES round keys and the HMAC-SHA1 pads (RFC 2104: H(K XOR opad, H(K XOR ipad, m)); the two
// first blocks are precomputed once).
void fill_cm(IMB_MGR* mgr, const session_keys& sk, size_t key_len, uint8_t* enc, uint8_t* ipad,
             uint8_t* opad) {
    alignas(16) uint8_t dec[240];
    if (key_len == 16) {
        IMB_AES_KEYEXP_128(mgr, sk.enc, enc, dec);
    } else {
        IMB_AES_KEYEXP_256(mgr, sk.enc, enc, dec);
    }
    alignas(16) uint8_t block[64];
    std::memset(block, 0x36, sizeof block);
    for (size_t i = 0; i < 20; ++i) {
        block[i] ^= sk.auth[i];
    }
    detail::sha1_one_block(block, ipad);
    std::memset(block, 0x5c, sizeof block);
    for (size_t i = 0; i < 20; ++i) {
        block[i] ^= sk.auth[i];
    }
    detail::sha1_one_block(block, opad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(dec, sizeof dec);
}

void fill_gcm(IMB_MGR* mgr, const session_keys& sk, size_t key_len, uint8_t* cipher) {
    auto* key = reinterpret_cast<gcm_key_data*>(cipher);
    if (key_len == 16) {
        IMB_AES128_GCM_PRE(mgr, sk.enc, key);
    } else {
        IMB_AES256_GCM_PRE(mgr, sk.enc, key);
    }
}

}  // namespace

void key_set_deleter::operator()(key_set* k) const noexcept {
    if (k == nullptr) {
        return;
    }
    if (k->lib() != nullptr) {
        detail::libsrtp_destroy(k->lib());
    }
    uint8_t* block = k->base() - k->alloc_offset;
    OPENSSL_cleanse(k, k->allocation_size());
    std::free(block);
}

const shm::srtp_key& master_of(const key_set& ks) noexcept {
    return ks.master();
}

key_set_ptr make_key_set(const shm::srtp_key& k, direction dir, engine_kind e, key_error& err) {
    err = validate(k);
    if (err != key_error::none) {
        return nullptr;
    }
    session_keys rtp{};
    session_keys rtcp{};
    if (!derive_session_keys(k, rtp, rtcp)) {
        err = key_error::engine_failed;
        return nullptr;
    }
    key_set_ptr ks = detail::make_key_set_from_session_keys(k, rtp, rtcp, dir, e, err);
    OPENSSL_cleanse(&rtp, sizeof rtp);
    OPENSSL_cleanse(&rtcp, sizeof rtcp);
    return ks;
}

namespace detail {

IMB_MGR* key_helpers() noexcept {
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

key_set_ptr make_key_set_from_session_keys(const shm::srtp_key& k, const session_keys& rtp,
                                           const session_keys& rtcp, direction dir, engine_kind e,
                                           key_error& err) {
    err = validate(k);
    if (err != key_error::none) {
        return nullptr;
    }
    const suite_params* s = find_suite(k.suite);
    IMB_MGR* mgr = key_helpers();
    if (mgr == nullptr) {
        err = key_error::engine_failed;
        return nullptr;
    }
    // malloc and align by hand: glibc's aligned allocation (memalign) costs several times a
    // malloc from its thread cache, and flow_add makes two key sets.
    const size_t size = key_set::allocation_size(s->aead, s->master_key_len);
    auto* block = static_cast<uint8_t*>(std::malloc(size + 64));
    if (block == nullptr) {
        err = key_error::engine_failed;
        return nullptr;
    }
    auto* mem =
        reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(block) + 63) & ~uintptr_t{63});
    std::memset(mem, 0, size);
    key_set_ptr ks(new (mem) key_set{});
    ks->alloc_offset = static_cast<uint8_t>(mem - block);
    ks->aead = s->aead ? 1 : 0;
    ks->key_len = s->master_key_len;
    ks->rtp_tag_len = s->rtp_tag_len;
    ks->mki_len = k.mki_len;
    ks->kind = e;
    for (uint8_t i = 0; i < k.mki_len; ++i) {
        ks->mki[i] = static_cast<uint8_t>(k.mki >> (8 * (k.mki_len - 1 - i)));
    }
    std::memcpy(ks->rtp_salt, rtp.salt, s->master_salt_len);
    detail::key_rtcp& r = ks->rtcp();
    r.tag_len = s->rtcp_tag_len;
    r.salt_len = s->master_salt_len;
    r.dir = dir;
    std::memcpy(r.salt, rtcp.salt, s->master_salt_len);
    detail::key_cold& cold = ks->cold();
    cold.master = k;
    std::memset(cold.master.pad, 0, sizeof cold.master.pad);

    if (s->aead) {
        fill_gcm(mgr, rtp, s->master_key_len, ks->cipher(false));
        fill_gcm(mgr, rtcp, s->master_key_len, ks->cipher(true));
    } else {
        fill_cm(mgr, rtp, s->master_key_len, ks->cipher(false), ks->rtp_ipad, ks->rtp_opad);
        fill_cm(mgr, rtcp, s->master_key_len, ks->cipher(true), r.ipad, r.opad);
    }
    if (e == engine_kind::libsrtp) {
        cold.lib = detail::libsrtp_create(k, dir);
        if (cold.lib == nullptr) {
            err = key_error::engine_failed;
            return nullptr;
        }
    }
    return ks;
}

}  // namespace detail
}  // namespace sbc::srtp
