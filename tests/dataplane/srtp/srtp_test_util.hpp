#pragma once
// Helpers shared by the sbc::srtp tests: packets, keys, and a libsrtp2 reference peer.

#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/srtp/detail/libsrtp_session.hpp"
#include "dataplane/srtp/srtp.hpp"

namespace sbc::srtp::test {

inline std::vector<uint8_t> hex(std::string_view s) {
    std::vector<uint8_t> out;
    int hi = -1;
    for (char c : s) {
        int v;
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v = c - 'A' + 10;
        } else {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<uint8_t>(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

// A deterministic master key for `suite` (bytes from `seed`), with an optional MKI.
inline shm::srtp_key make_key(shm::srtp_suite suite, uint8_t seed, uint8_t mki_len = 0,
                              uint32_t mki = 0) {
    const suite_params* s = find_suite(suite);
    if (s == nullptr) {
        throw std::invalid_argument("suite");
    }
    shm::srtp_key k{};
    k.suite = suite;
    k.master_key_len = s->master_key_len;
    k.master_salt_len = s->master_salt_len;
    k.mki_len = mki_len;
    k.mki = mki;
    for (int i = 0; i < s->master_key_len; ++i) {
        k.master_key[i] = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
    }
    for (int i = 0; i < s->master_salt_len; ++i) {
        k.master_salt[i] = static_cast<uint8_t>(seed * 17 + i * 13 + 5);
    }
    return k;
}

struct rtp_opts {
    uint8_t csrc_count = 0;
    uint16_t ext_words = 0;  // 0 = no extension header
    uint8_t pt = 0;
};

// An RTP packet with `payload_len` payload bytes derived from `fill`, in a buffer with room.
inline std::vector<uint8_t> make_rtp(uint16_t seq, uint32_t ssrc, uint16_t payload_len,
                                     uint8_t fill = 0xa5, rtp_opts o = {}) {
    std::vector<uint8_t> p;
    p.push_back(static_cast<uint8_t>(0x80 | (o.ext_words ? 0x10 : 0) | o.csrc_count));
    p.push_back(o.pt);
    p.push_back(static_cast<uint8_t>(seq >> 8));
    p.push_back(static_cast<uint8_t>(seq));
    uint32_t ts = seq * 160u;
    for (int i = 3; i >= 0; --i) {
        p.push_back(static_cast<uint8_t>(ts >> (8 * i)));
    }
    for (int i = 3; i >= 0; --i) {
        p.push_back(static_cast<uint8_t>(ssrc >> (8 * i)));
    }
    for (int c = 0; c < o.csrc_count; ++c) {
        for (int i = 0; i < 4; ++i) {
            p.push_back(static_cast<uint8_t>(0x10 + c));
        }
    }
    if (o.ext_words) {
        p.push_back(0xbe);
        p.push_back(0xde);
        p.push_back(static_cast<uint8_t>(o.ext_words >> 8));
        p.push_back(static_cast<uint8_t>(o.ext_words));
        for (int w = 0; w < o.ext_words * 4; ++w) {
            p.push_back(static_cast<uint8_t>(w));
        }
    }
    for (uint16_t i = 0; i < payload_len; ++i) {
        p.push_back(static_cast<uint8_t>(fill + i * 3));
    }
    return p;
}

// An RTCP sender report (with `extra` bytes of report blocks) from `ssrc`.
inline std::vector<uint8_t> make_rtcp(uint32_t ssrc, uint16_t extra = 20, uint8_t fill = 0x3c) {
    uint16_t words = static_cast<uint16_t>((4 + 20 + extra) / 4 - 1);
    std::vector<uint8_t> p = {0x80, 200, static_cast<uint8_t>(words >> 8),
                              static_cast<uint8_t>(words)};
    for (int i = 3; i >= 0; --i) {
        p.push_back(static_cast<uint8_t>(ssrc >> (8 * i)));
    }
    for (int i = 0; i < 20 + extra - 4; ++i) {
        p.push_back(static_cast<uint8_t>(fill + i));
    }
    return p;
}

// A packet buffer with room after the data, and a packet descriptor pointing at it.
struct buf {
    std::vector<uint8_t> bytes;
    uint16_t len = 0;

    explicit buf(const std::vector<uint8_t>& d, size_t room = 64)
        : bytes(d), len(static_cast<uint16_t>(d.size())) {
        bytes.resize(d.size() + room);
    }
    packet pkt(stream& s) {
        packet p{};
        p.data = bytes.data();
        p.len = len;
        p.capacity = static_cast<uint16_t>(bytes.size());
        p.strm = &s;
        return p;
    }
    std::vector<uint8_t> view() const { return {bytes.begin(), bytes.begin() + len}; }
};

// One packet through a batch function; returns the result and updates `b`.
template <class Fn>
inline status run1(Fn fn, engine& e, stream& s, buf& b, uint8_t* events = nullptr) {
    packet p = b.pkt(s);
    fn(e, &p, 1);
    if (p.result == status::ok) {
        b.len = p.len;
    }
    if (events != nullptr) {
        *events = p.events;
    }
    return p.result;
}

// libsrtp2 as the other end: a session with one ssrc_any template for `k`.
class ref_session {
  public:
    ref_session(const shm::srtp_key& k, bool inbound, bool rtcp_encrypt = true)
        : mki_(k.mki_len > 0) {
        if (!detail::libsrtp_init()) {
            throw std::runtime_error("srtp_init");
        }
        srtp_policy_t p;
        std::memset(&p, 0, sizeof p);
        switch (k.suite) {
            case shm::srtp_suite::aes_cm_128_hmac_sha1_80:
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
                break;
            case shm::srtp_suite::aes_cm_128_hmac_sha1_32:
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
                break;
            case shm::srtp_suite::aes_256_cm_hmac_sha1_80:
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
                break;
            case shm::srtp_suite::aes_256_cm_hmac_sha1_32:
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
                break;
            case shm::srtp_suite::aead_aes_128_gcm:
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
                break;
            case shm::srtp_suite::aead_aes_256_gcm:
                srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
                srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
                break;
            default:
                throw std::invalid_argument("suite");
        }
        if (!rtcp_encrypt) {
            p.rtcp.sec_serv = sec_serv_auth;  // SRTCP with E = 0
        }
        std::memcpy(key_, k.master_key, k.master_key_len);
        std::memcpy(key_ + k.master_key_len, k.master_salt, k.master_salt_len);
        for (int i = 0; i < k.mki_len; ++i) {
            mki_id_[i] = static_cast<uint8_t>(k.mki >> (8 * (k.mki_len - 1 - i)));
        }
        mk_.key = key_;
        mk_.mki_id = mki_id_;
        mk_.mki_size = k.mki_len;
        mks_[0] = &mk_;
        if (mki_) {
            p.keys = mks_;
            p.num_master_keys = 1;
        } else {
            p.key = key_;
        }
        p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
        p.window_size = 128;
        if (srtp_create(&s_, &p) != srtp_err_status_ok) {
            throw std::runtime_error("srtp_create");
        }
    }
    ~ref_session() { srtp_dealloc(s_); }
    ref_session(const ref_session&) = delete;
    ref_session& operator=(const ref_session&) = delete;

    // In place on a vector; returns the libsrtp status.
    srtp_err_status_t protect(std::vector<uint8_t>& p) { return run(p, 0); }
    srtp_err_status_t unprotect(std::vector<uint8_t>& p) { return run(p, 1); }
    srtp_err_status_t protect_rtcp(std::vector<uint8_t>& p) { return run(p, 2); }
    srtp_err_status_t unprotect_rtcp(std::vector<uint8_t>& p) { return run(p, 3); }
    srtp_t get() { return s_; }

  private:
    srtp_err_status_t run(std::vector<uint8_t>& p, int op) {
        int len = static_cast<int>(p.size());
        p.resize(p.size() + 64);
        srtp_err_status_t st;
        switch (op) {
            case 0:
                st = srtp_protect_mki(s_, p.data(), &len, mki_, 0);
                break;
            case 1:
                st = srtp_unprotect_mki(s_, p.data(), &len, mki_);
                break;
            case 2:
                st = srtp_protect_rtcp_mki(s_, p.data(), &len, mki_, 0);
                break;
            default:
                st = srtp_unprotect_rtcp_mki(s_, p.data(), &len, mki_);
                break;
        }
        p.resize(static_cast<size_t>(len));
        return st;
    }

    srtp_t s_ = nullptr;
    bool mki_;
    uint8_t key_[46] = {};
    uint8_t mki_id_[4] = {};
    srtp_master_key_t mk_{};
    srtp_master_key_t* mks_[1] = {};
};

inline constexpr shm::srtp_suite all_suites[] = {
    shm::srtp_suite::aes_cm_128_hmac_sha1_80, shm::srtp_suite::aes_cm_128_hmac_sha1_32,
    shm::srtp_suite::aes_256_cm_hmac_sha1_80, shm::srtp_suite::aes_256_cm_hmac_sha1_32,
    shm::srtp_suite::aead_aes_128_gcm,        shm::srtp_suite::aead_aes_256_gcm,
};

}  // namespace sbc::srtp::test
