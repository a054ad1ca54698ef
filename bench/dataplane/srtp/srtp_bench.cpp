// Per-packet cost of SRTP protect/unprotect for G.711 20 ms packets (12-byte header, 160-byte
// payload) with AES_CM_128_HMAC_SHA1_80: the ipsec-mb fast path in bursts of 32, libsrtp2 on
// the same packets, and the raw ipsec-mb ceiling (the same jobs without SRTP framing), each with
// 1, 1,000, 10,000 and 100,000 live streams (own key each, random stream per packet).
// Benchmarks of one stream count run back to back on one shared set of streams.

#include <benchmark/benchmark.h>
#include <intel-ipsec-mb.h>
#include <srtp2/srtp.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "dataplane/srtp/detail/key_set_layout.hpp"
#include "dataplane/srtp/detail/stream_access.hpp"
#include "dataplane/srtp/srtp.hpp"

namespace {

using namespace sbc::srtp;

constexpr uint16_t burst = 32;
constexpr uint16_t header_len = 12;
constexpr uint16_t payload_len = 160;
constexpr uint16_t plain_len = header_len + payload_len;
constexpr uint16_t slot = 256;                    // packet buffer, room for the tag
constexpr size_t ring_packets = size_t{1} << 16;  // pre-protected packets (16 MiB) for unprotect
constexpr uint32_t libsrtp_max_streams = 10000;

sbc::shm::srtp_key key_for(uint32_t i) {
    sbc::shm::srtp_key k{};
    k.suite = sbc::shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    k.master_key_len = 16;
    k.master_salt_len = 14;
    std::mt19937 rng(i + 1);
    for (auto& b : k.master_key) {
        b = static_cast<uint8_t>(rng());
    }
    for (auto& b : k.master_salt) {
        b = static_cast<uint8_t>(rng());
    }
    return k;
}

void write_rtp(uint8_t* p, uint16_t seq, uint32_t ssrc) {
    p[0] = 0x80;
    p[1] = 0;
    p[2] = static_cast<uint8_t>(seq >> 8);
    p[3] = static_cast<uint8_t>(seq);
    uint32_t ts = __builtin_bswap32(seq * 160u);
    std::memcpy(p + 4, &ts, 4);
    uint32_t s = __builtin_bswap32(ssrc);
    std::memcpy(p + 8, &s, 4);
    std::memset(p + header_len, 0xd5, payload_len);  // µ-law silence
}

srtp_t libsrtp_session(const sbc::shm::srtp_key& k, bool inbound) {
    srtp_policy_t p;
    std::memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    uint8_t key[30];
    std::memcpy(key, k.master_key, 16);
    std::memcpy(key + 16, k.master_salt, 14);
    p.key = key;
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.window_size = 128;
    srtp_t s = nullptr;
    if (srtp_create(&s, &p) != srtp_err_status_ok) {
        std::abort();
    }
    return s;
}

// Everything for one stream count: streams (tx and rx, own key each), libsrtp sessions with the
// same keys, and a ring of packets protected in advance for the unprotect benchmarks.
struct world {
    uint32_t n;
    std::vector<std::unique_ptr<stream>> tx, rx;
    std::vector<srtp_t> lib_tx, lib_rx;
    std::vector<uint16_t> next_seq;  // protect: per-stream sequence
    std::vector<uint32_t> pick;      // random stream per packet (protect), repeating
    std::vector<uint8_t> ring;       // ring_packets protected packets of `ring_len` bytes
    std::vector<uint32_t> ring_stream;
    uint16_t ring_len = 0;

    explicit world(uint32_t count) : n(count), next_seq(count, 1000) {
        static const bool init = srtp_init() == srtp_err_status_ok;
        (void)init;
        for (uint32_t i = 0; i < n; ++i) {
            auto k = key_for(i);
            tx.push_back(std::make_unique<stream>(direction::outbound));
            rx.push_back(std::make_unique<stream>(direction::inbound));
            tx.back()->set_key(k, engine_kind::ipsecmb);
            rx.back()->set_key(k, engine_kind::ipsecmb);
        }
        std::mt19937 rng(42);
        pick.resize(1 << 16);
        for (auto& p : pick) {
            p = static_cast<uint32_t>(rng() % n);
        }
        // The unprotect ring: packets of random streams in sequence order per stream.
        engine e(engine_kind::ipsecmb);
        std::vector<std::unique_ptr<stream>> sender;
        for (uint32_t i = 0; i < n; ++i) {
            sender.push_back(std::make_unique<stream>(direction::outbound));
            sender.back()->set_key(key_for(i), engine_kind::ipsecmb);
        }
        std::vector<uint16_t> seq(n, 5000);
        ring.resize(ring_packets * slot);
        ring_stream.resize(ring_packets);
        for (size_t i = 0; i < ring_packets; ++i) {
            uint32_t s = static_cast<uint32_t>(rng() % n);
            ring_stream[i] = s;
            uint8_t* p = ring.data() + i * slot;
            write_rtp(p, seq[s]++, s);
            packet pk{p, sender[s].get(), plain_len, slot, status::ok, 0, 0};
            protect_rtp(e, &pk, 1);
            ring_len = pk.len;
        }
    }
    // libsrtp2 sessions are made only when a libsrtp benchmark asks: with the NSS backend
    // Debian builds, srtp_create() slows down with every live session (2,000 take 0.3 s,
    // 20,000 take 57 s here), so 100,000 are out of reach.
    bool ensure_libsrtp() {
        if (n > libsrtp_max_streams) {
            return false;
        }
        for (uint32_t i = static_cast<uint32_t>(lib_tx.size()); i < n; ++i) {
            auto k = key_for(i);
            lib_tx.push_back(libsrtp_session(k, false));
            lib_rx.push_back(libsrtp_session(k, true));
        }
        return true;
    }
    ~world() {
        for (auto s : lib_tx) {
            srtp_dealloc(s);
        }
        for (auto s : lib_rx) {
            srtp_dealloc(s);
        }
    }
    // A new pass over the ring replays it: forget what the receivers saw.
    void reset_receivers() {
        for (auto& s : rx) {
            s->forget_index();
        }
        for (uint32_t i = 0; i < lib_rx.size(); ++i) {
            srtp_remove_stream(lib_rx[i], __builtin_bswap32(i));
        }
    }
};

world& get_world(uint32_t n) {
    static std::unique_ptr<world> w;
    if (!w || w->n != n) {
        w.reset();
        w = std::make_unique<world>(n);
    }
    return *w;
}

struct alignas(64) burst_buffers {
    uint8_t data[burst][slot];
};

// Fills a burst with fresh plaintext packets of random streams (shared by all protect benches
// so that their difference is the crypto path).
inline void fill_plain(world& w, burst_buffers& b, uint32_t* streams, size_t& cursor) {
    for (uint16_t i = 0; i < burst; ++i) {
        uint32_t s = w.pick[cursor++ & 0xffff];
        streams[i] = s;
        write_rtp(b.data[i], w.next_seq[s]++, s);
    }
}

void BM_packet_setup(benchmark::State& st) {
    world& w = get_world(static_cast<uint32_t>(st.range(0)));
    burst_buffers b;
    uint32_t streams[burst];
    size_t cursor = 0;
    for (auto _ : st) {
        fill_plain(w, b, streams, cursor);
        benchmark::DoNotOptimize(b.data[0][0]);
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * burst);
}

void BM_protect_ipsecmb(benchmark::State& st) {
    world& w = get_world(static_cast<uint32_t>(st.range(0)));
    engine e(engine_kind::ipsecmb);
    burst_buffers b;
    uint32_t streams[burst];
    packet pk[burst];
    size_t cursor = 0;
    for (auto _ : st) {
        fill_plain(w, b, streams, cursor);
        for (uint16_t i = 0; i < burst; ++i) {
            pk[i] = packet{b.data[i], w.tx[streams[i]].get(), plain_len, slot, status::ok, 0, 0};
        }
        if (protect_rtp(e, pk, burst) != burst) {
            st.SkipWithError("protect failed");
            break;
        }
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * burst);
}

void BM_protect_libsrtp(benchmark::State& st) {
    world& w = get_world(static_cast<uint32_t>(st.range(0)));
    if (!w.ensure_libsrtp()) {
        st.SkipWithError("not run: libsrtp2+NSS session setup is quadratic in live sessions");
        return;
    }
    burst_buffers b;
    uint32_t streams[burst];
    size_t cursor = 0;
    for (auto _ : st) {
        fill_plain(w, b, streams, cursor);
        for (uint16_t i = 0; i < burst; ++i) {
            int len = plain_len;
            if (srtp_protect(w.lib_tx[streams[i]], b.data[i], &len) != srtp_err_status_ok) {
                st.SkipWithError("srtp_protect failed");
                return;
            }
        }
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * burst);
}

// Copies the next burst of pre-protected packets into the work buffers.
inline size_t fill_wire(world& w, burst_buffers& b, uint32_t* streams, size_t cursor) {
    for (uint16_t i = 0; i < burst; ++i) {
        size_t r = (cursor + i) & (ring_packets - 1);
        streams[i] = w.ring_stream[r];
        std::memcpy(b.data[i], w.ring.data() + r * slot, w.ring_len);
    }
    return cursor + burst;
}

// What the unprotect benches spend copying packets out of the ring (subtract to compare with
// protect, whose packets are written in L1 by fill_plain).
void BM_wire_setup(benchmark::State& st) {
    world& w = get_world(static_cast<uint32_t>(st.range(0)));
    burst_buffers b;
    uint32_t streams[burst];
    size_t cursor = 0;
    for (auto _ : st) {
        cursor = fill_wire(w, b, streams, cursor);
        benchmark::DoNotOptimize(b.data[0][0]);
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * burst);
}

template <bool libsrtp>
void unprotect_bench(benchmark::State& st) {
    world& w = get_world(static_cast<uint32_t>(st.range(0)));
    if (libsrtp && !w.ensure_libsrtp()) {
        st.SkipWithError("not run: libsrtp2+NSS session setup is quadratic in live sessions");
        return;
    }
    w.reset_receivers();
    engine e(engine_kind::ipsecmb);
    burst_buffers b;
    uint32_t streams[burst];
    packet pk[burst];
    size_t cursor = 0;
    for (auto _ : st) {
        if ((cursor & (ring_packets - 1)) == 0 && cursor != 0) {
            st.PauseTiming();
            w.reset_receivers();
            st.ResumeTiming();
        }
        cursor = fill_wire(w, b, streams, cursor);
        if constexpr (libsrtp) {
            for (uint16_t i = 0; i < burst; ++i) {
                int len = w.ring_len;
                if (srtp_unprotect(w.lib_rx[streams[i]], b.data[i], &len) != srtp_err_status_ok) {
                    st.SkipWithError("srtp_unprotect failed");
                    return;
                }
            }
        } else {
            for (uint16_t i = 0; i < burst; ++i) {
                pk[i] =
                    packet{b.data[i], w.rx[streams[i]].get(), w.ring_len, slot, status::ok, 0, 0};
            }
            if (unprotect_rtp(e, pk, burst) != burst) {
                st.SkipWithError("unprotect failed");
                return;
            }
        }
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * burst);
}

void BM_unprotect_ipsecmb(benchmark::State& st) {
    unprotect_bench<false>(st);
}
void BM_unprotect_libsrtp(benchmark::State& st) {
    unprotect_bench<true>(st);
}

// A ceiling: the same AES-CTR + HMAC-SHA1 work as chained jobs through the job manager
// (submit 32, flush), same packets and keys, no SRTP framing (no header parsing, index, replay
// or state).
void BM_ceiling_ipsecmb(benchmark::State& st) {
    world& w = get_world(static_cast<uint32_t>(st.range(0)));
    IMB_MGR* mgr = alloc_mb_mgr(0);
    init_mb_mgr_auto(mgr, nullptr);
    burst_buffers b;
    uint32_t streams[burst];
    size_t cursor = 0;
    alignas(16) uint8_t iv[burst][16] = {};
    alignas(16) uint8_t tag[burst][20];
    for (auto _ : st) {
        fill_plain(w, b, streams, cursor);
        for (uint16_t i = 0; i < burst; ++i) {
            if (i + 4 < burst) {  // the same key prefetch as the fast path
                const auto* next = reinterpret_cast<const char*>(
                    sbc::srtp::detail::stream_access::key(*w.tx[streams[i + 4]]));
                for (int line = 0; line < 4; ++line) {  // key_set_layout.hpp: AES-128-CM RTP
                    __builtin_prefetch(next + ptrdiff_t{64} * line);
                }
            }
            const key_set& k = *sbc::srtp::detail::stream_access::key(*w.tx[streams[i]]);
            const auto m = k.rtp_cm();
            IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
            job->cipher_direction = IMB_DIR_ENCRYPT;
            job->chain_order = IMB_ORDER_CIPHER_HASH;
            job->cipher_mode = IMB_CIPHER_CNTR;
            job->enc_keys = m.enc;
            job->dec_keys = m.enc;
            job->key_len_in_bytes = 16;
            job->src = b.data[i];
            job->dst = b.data[i] + header_len;
            job->cipher_start_src_offset_in_bytes = header_len;
            job->msg_len_to_cipher_in_bytes = payload_len;
            job->iv = iv[i];
            job->iv_len_in_bytes = 16;
            job->hash_alg = IMB_AUTH_HMAC_SHA_1;
            job->hash_start_src_offset_in_bytes = 0;
            job->msg_len_to_hash_in_bytes = plain_len + 4;
            job->auth_tag_output = tag[i];
            job->auth_tag_output_len_in_bytes = 20;
            job->u.HMAC._hashed_auth_key_xor_ipad = m.ipad;
            job->u.HMAC._hashed_auth_key_xor_opad = m.opad;
            job = IMB_SUBMIT_JOB_NOCHECK(mgr);
            while (job != nullptr) {
                job = IMB_GET_COMPLETED_JOB(mgr);
            }
        }
        while (IMB_FLUSH_JOB(mgr) != nullptr) {
        }
        benchmark::DoNotOptimize(tag[0][0]);
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * burst);
    free_mb_mgr(mgr);
}

// The ceiling of the way the fast path submits AES-CM: one AES-CTR burst then one HMAC-SHA1
// burst per 32 packets (IMB_SUBMIT_CIPHER_BURST / IMB_SUBMIT_HASH_BURST), same keys, no framing.
void BM_ceiling_burst(benchmark::State& st) {
    world& w = get_world(static_cast<uint32_t>(st.range(0)));
    IMB_MGR* mgr = alloc_mb_mgr(0);
    init_mb_mgr_auto(mgr, nullptr);
    burst_buffers b;
    uint32_t streams[burst];
    size_t cursor = 0;
    alignas(16) uint8_t iv[burst][16] = {};
    alignas(16) uint8_t tag[burst][20];
    static IMB_JOB jobs[burst];
    for (auto _ : st) {
        fill_plain(w, b, streams, cursor);
        for (uint16_t i = 0; i < burst; ++i) {
            if (i + 4 < burst) {
                const auto* next = reinterpret_cast<const char*>(
                    sbc::srtp::detail::stream_access::key(*w.tx[streams[i + 4]]));
                for (int line = 0; line < 4; ++line) {  // key_set_layout.hpp: AES-128-CM RTP
                    __builtin_prefetch(next + ptrdiff_t{64} * line);
                }
            }
            const auto m = sbc::srtp::detail::stream_access::key(*w.tx[streams[i]])->rtp_cm();
            IMB_JOB& j = jobs[i];
            j.enc_keys = m.enc;
            j.dec_keys = m.enc;
            j.key_len_in_bytes = 16;
            j.src = b.data[i];
            j.dst = b.data[i] + header_len;
            j.cipher_start_src_offset_in_bytes = header_len;
            j.msg_len_to_cipher_in_bytes = payload_len;
            j.iv = iv[i];
            j.iv_len_in_bytes = 16;
            j.hash_start_src_offset_in_bytes = 0;
            j.msg_len_to_hash_in_bytes = plain_len + 4;
            j.auth_tag_output = tag[i];
            j.auth_tag_output_len_in_bytes = 20;
            j.u.HMAC._hashed_auth_key_xor_ipad = m.ipad;
            j.u.HMAC._hashed_auth_key_xor_opad = m.opad;
        }
        IMB_SUBMIT_CIPHER_BURST_NOCHECK(mgr, jobs, burst, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
                                        IMB_KEY_128_BYTES);
        IMB_SUBMIT_HASH_BURST_NOCHECK(mgr, jobs, burst, IMB_AUTH_HMAC_SHA_1);
        benchmark::DoNotOptimize(tag[0][0]);
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * burst);
    free_mb_mgr(mgr);
}

// Control path: the packet-path form of one master key (make_key_set: RFC 3711 §4.3 derivation
// of the RTP and RTCP session keys, AES round keys, HMAC-SHA1 pads, allocation), and its
// release. Items = key sets made; flow_add makes two, a key change one.
void BM_make_key_set(benchmark::State& st) {
    std::vector<sbc::shm::srtp_key> keys;
    for (uint32_t n = 0; n < 1024; ++n) {
        keys.push_back(key_for(n));
    }
    uint32_t i = 0;
    key_error err = key_error::none;
    for (auto _ : st) {
        key_set_ptr k =
            make_key_set(keys[i++ & 1023], direction::inbound, engine_kind::ipsecmb, err);
        benchmark::DoNotOptimize(k.get());
    }
    st.SetItemsProcessed(int64_t(st.iterations()));
}

void register_all() {
    benchmark::RegisterBenchmark("make_key_set", BM_make_key_set);
    for (int64_t n : {1, 1000, 10000, 100000}) {
        benchmark::RegisterBenchmark("packet_setup", BM_packet_setup)->Arg(n)->ArgName("streams");
        benchmark::RegisterBenchmark("wire_setup", BM_wire_setup)->Arg(n)->ArgName("streams");
        benchmark::RegisterBenchmark("ceiling_jobs", BM_ceiling_ipsecmb)
            ->Arg(n)
            ->ArgName("streams");
        benchmark::RegisterBenchmark("ceiling_burst", BM_ceiling_burst)->Arg(n)->ArgName("streams");
        benchmark::RegisterBenchmark("protect_ipsecmb", BM_protect_ipsecmb)
            ->Arg(n)
            ->ArgName("streams");
        benchmark::RegisterBenchmark("protect_libsrtp", BM_protect_libsrtp)
            ->Arg(n)
            ->ArgName("streams");
        benchmark::RegisterBenchmark("unprotect_ipsecmb", BM_unprotect_ipsecmb)
            ->Arg(n)
            ->ArgName("streams");
        benchmark::RegisterBenchmark("unprotect_libsrtp", BM_unprotect_libsrtp)
            ->Arg(n)
            ->ArgName("streams");
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
