// libFuzzer: arbitrary bytes through sbc::srtp unprotect (and protect) with fixed keys. Must
// never crash, read or write out of bounds, or report ok for bytes it did not authenticate.
//
// Input: byte 0 = mode, then packets as [len_hi len_lo bytes...] (len mod 1500), at most 64.
//   mode bits 0-2: suite (mod 6)       bit 3: RTCP instead of RTP
//   bit 4: a pending key is installed  bit 5: keys carry a 2-byte MKI
//   bit 6: libsrtp engine              bit 7: protect each packet first with the same key, so
//                                             the authenticated path sees arbitrary headers

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/srtp/srtp.hpp"

namespace {

using namespace sbc::srtp;

constexpr sbc::shm::srtp_suite suites[] = {
    sbc::shm::srtp_suite::aes_cm_128_hmac_sha1_80, sbc::shm::srtp_suite::aes_cm_128_hmac_sha1_32,
    sbc::shm::srtp_suite::aes_256_cm_hmac_sha1_80, sbc::shm::srtp_suite::aes_256_cm_hmac_sha1_32,
    sbc::shm::srtp_suite::aead_aes_128_gcm,        sbc::shm::srtp_suite::aead_aes_256_gcm,
};

sbc::shm::srtp_key key(sbc::shm::srtp_suite s, uint8_t seed, bool mki) {
    const suite_params* p = find_suite(s);
    sbc::shm::srtp_key k{};
    k.suite = s;
    k.master_key_len = p->master_key_len;
    k.master_salt_len = p->master_salt_len;
    for (int i = 0; i < 32; ++i) {
        k.master_key[i] = static_cast<uint8_t>(seed + i);
    }
    for (int i = 0; i < 14; ++i) {
        k.master_salt[i] = static_cast<uint8_t>(seed * 3 + i);
    }
    if (mki) {
        k.mki_len = 2;
        k.mki = 0x0100u + seed;
    }
    return k;
}

constexpr size_t room = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    static engine fast(engine_kind::ipsecmb);
    static engine lib(engine_kind::libsrtp);
    const uint8_t mode = data[0];
    const auto suite = suites[(mode & 7) % 6];
    const bool rtcp = (mode & 0x08) != 0;
    const bool pending = (mode & 0x10) != 0;
    const bool mki = (mode & 0x20) != 0;
    const engine_kind kind = (mode & 0x40) != 0 ? engine_kind::libsrtp : engine_kind::ipsecmb;
    const bool protect_first = (mode & 0x80) != 0;
    engine& e = kind == engine_kind::libsrtp ? lib : fast;

    stream rx(direction::inbound);
    stream tx(direction::outbound);
    if (rx.set_key(key(suite, 1, mki), kind) != key_error::none ||
        tx.set_key(key(suite, 1, mki), kind) != key_error::none) {
        __builtin_trap();
    }
    if (pending && rx.set_key(key(suite, 2, mki), kind) != key_error::none) {
        __builtin_trap();
    }

    // Each packet in its own heap buffer of exactly len + room bytes, so ASan sees overruns.
    std::vector<std::vector<uint8_t>> bufs;
    std::vector<std::vector<uint8_t>> originals;
    std::vector<packet> pk;
    size_t off = 1;
    while (off + 2 <= size && pk.size() < 64) {
        size_t len = ((size_t{data[off]} << 8) | data[off + 1]) % 1500;
        off += 2;
        len = len < size - off ? len : size - off;
        bufs.emplace_back(data + off, data + off + len);
        bufs.back().resize(len + room);
        originals.emplace_back(data + off, data + off + len);
        off += len;
    }
    for (auto& b : bufs) {
        packet p{};
        p.data = b.data();
        p.len = static_cast<uint16_t>(b.size() - room);
        p.capacity = static_cast<uint16_t>(b.size());
        p.strm = protect_first ? &tx : &rx;
        pk.push_back(p);
    }
    const auto n = static_cast<uint16_t>(pk.size());
    if (n == 0) {
        return 0;
    }
    std::vector<bool> protected_ok(n, false);
    if (protect_first) {
        rtcp ? protect_rtcp(e, pk.data(), n) : protect_rtp(e, pk.data(), n);
        for (uint16_t i = 0; i < n; ++i) {
            protected_ok[i] = pk[i].result == status::ok;
            if (pk[i].len > pk[i].capacity) {
                __builtin_trap();
            }
            pk[i].strm = &rx;
        }
    }
    uint16_t ok = rtcp ? unprotect_rtcp(e, pk.data(), n) : unprotect_rtp(e, pk.data(), n);
    uint16_t counted = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (pk[i].result == status::ok) {
            ++counted;
            // Only what we protected ourselves can authenticate; it must come back unchanged.
            if (!protected_ok[i] || pk[i].len != originals[i].size() ||
                std::memcmp(pk[i].data, originals[i].data(), pk[i].len) != 0) {
                __builtin_trap();
            }
        }
    }
    if (counted != ok) {
        __builtin_trap();
    }
    return 0;
}
