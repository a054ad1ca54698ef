// The full packet path on one core from pre-built buffers (no NIC I/O, no EAL): G.711/20 ms,
// AES_CM_128_HMAC_SHA1_80, 1,000 / 10,000 / 100,000 concurrent calls, one packet per call per
// burst of 32 in round robin (flows are cache-cold at scale, as with real traffic). Only
// path::process is timed (TSC); building and encrypting the input is not. In the same run:
// the raw crypto of the same packets (the engine alone: the ceiling) and libsrtp2's
// srtp_unprotect/srtp_protect on the same packets.
//
//   dataplane_macro_bench [packets-per-point]   (default 1,000,000)

#include <srtp2/srtp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/dataplane/call_set.hpp"

using namespace sbc;
using namespace sbc::bench;

namespace {

struct result {
    double mpps;
    double cycles;
};

result measure_path(call_set& cs, uint64_t packets) {
    uint64_t cycles = 0, done = 0, fwd = 0;
    while (done < packets) {
        cs.prepare(32);
        cycles += cs.run();
        fwd += cs.forwarded();
        done += 32;
    }
    if (fwd != done) {
        std::fprintf(stderr, "warning: %llu of %llu forwarded\n", (unsigned long long)fwd,
                     (unsigned long long)done);
    }
    const double cpp = static_cast<double>(cycles) / static_cast<double>(done);
    return {static_cast<double>(tsc_hz()) / cpp / 1e6, cpp};
}

// The crypto of the same packets: SRTP input -> unprotect only; RTP -> SRTP -> protect only.
result measure_crypto(uint32_t calls, mode m, uint64_t packets, srtp::engine_kind k) {
    call_set src(calls, m == mode::rtp_to_srtp ? mode::rtp_to_rtp : m);
    srtp::engine e(k);
    dp::stream_array streams(
        calls, m == mode::rtp_to_srtp ? srtp::direction::outbound : srtp::direction::inbound);
    for (uint32_t c = 0; c < calls; ++c) {
        streams[c].set_key(bench_key(c * 4 + (m == mode::rtp_to_srtp ? 1 : 0)), k);
    }
    uint64_t cycles = 0, done = 0;
    uint32_t cursor = 0;
    srtp::packet pk[32];
    for (uint32_t w = 0; w < (calls + 31) / 32; ++w) {  // warm-up, not timed
        src.prepare(32);
        dp::pkt_desc* d = src.descs();
        for (uint16_t i = 0; i < 32; ++i) {
            pk[i] = srtp::packet{d[i].data + 42,
                                 &streams[cursor],
                                 static_cast<uint16_t>(d[i].len - 42),
                                 static_cast<uint16_t>(d[i].len - 42 + d[i].room),
                                 srtp::status::ok,
                                 0,
                                 0};
            cursor = cursor + 1 == calls ? 0 : cursor + 1;
        }
        if (m == mode::rtp_to_srtp) {
            srtp::protect_rtp(e, pk, 32);
        } else {
            srtp::unprotect_rtp(e, pk, 32);
        }
    }
    while (done < packets) {
        src.prepare(32);
        dp::pkt_desc* d = src.descs();
        for (uint16_t i = 0; i < 32; ++i) {
            pk[i] = srtp::packet{d[i].data + 42,
                                 &streams[cursor],
                                 static_cast<uint16_t>(d[i].len - 42),
                                 static_cast<uint16_t>(d[i].len - 42 + d[i].room),
                                 srtp::status::ok,
                                 0,
                                 0};
            cursor = cursor + 1 == calls ? 0 : cursor + 1;
        }
        const uint64_t t0 = __rdtsc();
        if (m == mode::rtp_to_srtp) {
            srtp::protect_rtp(e, pk, 32);
        } else {
            srtp::unprotect_rtp(e, pk, 32);
        }
        cycles += __rdtsc() - t0;
        done += 32;
    }
    const double cpp = static_cast<double>(cycles) / static_cast<double>(done);
    return {static_cast<double>(tsc_hz()) / cpp / 1e6, cpp};
}

// libsrtp2 directly (one session per call), on the same packets.
result measure_libsrtp2(uint32_t calls, mode m, uint64_t packets) {
    static const bool init = srtp_init() == srtp_err_status_ok;
    (void)init;
    call_set src(calls, m == mode::rtp_to_srtp ? mode::rtp_to_rtp : m);
    std::vector<srtp_t> sessions(calls);
    std::vector<std::array<uint8_t, 30>> keys(calls);
    for (uint32_t c = 0; c < calls; ++c) {
        const auto k = bench_key(c * 4 + (m == mode::rtp_to_srtp ? 1 : 0));
        std::memcpy(keys[c].data(), k.master_key, 16);
        std::memcpy(keys[c].data() + 16, k.master_salt, 14);
        srtp_policy_t p{};
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        p.key = keys[c].data();
        p.ssrc.type = m == mode::rtp_to_srtp ? ssrc_any_outbound : ssrc_any_inbound;
        p.window_size = 128;
        if (srtp_create(&sessions[c], &p) != srtp_err_status_ok) {
            std::fprintf(stderr, "srtp_create failed\n");
            std::exit(1);
        }
    }
    uint64_t cycles = 0, done = 0;
    uint32_t cursor = 0;
    // Warm-up, not timed: libsrtp2 makes each stream from the template on its first packet.
    for (uint32_t w = 0; w < (calls + 31) / 32; ++w) {
        src.prepare(32);
        dp::pkt_desc* d = src.descs();
        for (uint16_t i = 0; i < 32; ++i) {
            int len = d[i].len - 42;
            if (m == mode::rtp_to_srtp) {
                srtp_protect(sessions[cursor], d[i].data + 42, &len);
            } else {
                srtp_unprotect(sessions[cursor], d[i].data + 42, &len);
            }
            cursor = cursor + 1 == calls ? 0 : cursor + 1;
        }
    }
    while (done < packets) {
        src.prepare(32);
        dp::pkt_desc* d = src.descs();
        const uint64_t t0 = __rdtsc();
        for (uint16_t i = 0; i < 32; ++i) {
            int len = d[i].len - 42;
            if (m == mode::rtp_to_srtp) {
                srtp_protect(sessions[cursor], d[i].data + 42, &len);
            } else {
                srtp_unprotect(sessions[cursor], d[i].data + 42, &len);
            }
            cursor = cursor + 1 == calls ? 0 : cursor + 1;
        }
        cycles += __rdtsc() - t0;
        done += 32;
    }
    for (auto s : sessions) {
        srtp_dealloc(s);
    }
    const double cpp = static_cast<double>(cycles) / static_cast<double>(done);
    return {static_cast<double>(tsc_hz()) / cpp / 1e6, cpp};
}

}  // namespace

int main(int argc, char** argv) {
    const uint64_t packets = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    std::printf(
        "TSC %.3f GHz, %llu packets per point, bursts of 32, G.711/20 ms, "
        "AES_CM_128_HMAC_SHA1_80\n",
        static_cast<double>(tsc_hz()) / 1e9, static_cast<unsigned long long>(packets));
    std::printf("%-8s %-11s %9s %9s | %9s %9s | %9s %9s | %8s %8s\n", "calls", "mode", "path Mpps",
                "cyc/pkt", "ceil Mpps", "cyc/pkt", "libsrtp2", "cyc/pkt", "path/ceil", "path/lib");
    for (uint32_t calls : {1000u, 10000u, 100000u}) {
        for (mode m :
             {mode::srtp_to_rtp, mode::rtp_to_srtp, mode::srtp_to_srtp, mode::rtp_to_rtp}) {
            call_set cs(calls, m);
            cs.prepare(32);  // warm-up: latch every call once
            for (uint32_t w = 0; w < calls / 32 + 1; ++w) {
                cs.prepare(32);
                cs.run();
            }
            const result path = measure_path(cs, packets);
            if (m == mode::rtp_to_rtp) {
                std::printf("%-8u %-11s %9.2f %9.0f | %9s %9s | %9s %9s | %8s %8s\n", calls,
                            mode_name(m), path.mpps, path.cycles, "-", "-", "-", "-", "-", "-");
                std::fflush(stdout);
                continue;
            }
            const mode cm = m == mode::srtp_to_srtp ? mode::srtp_to_rtp : m;
            const result ceil = measure_crypto(calls, cm, packets, srtp::engine_kind::ipsecmb);
            // libsrtp2 costs tens of thousands of cycles per packet with many sessions: fewer
            // packets, still every session warm.
            // 100,000 libsrtp2 sessions take minutes to warm and gigabytes: measured up to 10,000.
            const result lib = calls <= 10000
                                   ? measure_libsrtp2(calls, cm, std::min<uint64_t>(packets, 64000))
                                   : result{0, 0};
            const double ceil_c = m == mode::srtp_to_srtp ? ceil.cycles * 2 : ceil.cycles;
            const double hz = static_cast<double>(tsc_hz());
            if (lib.cycles == 0) {
                std::printf("%-8u %-11s %9.2f %9.0f | %9.2f %9.0f | %9s %9s | %8.2f %8s\n", calls,
                            mode_name(m), path.mpps, path.cycles, hz / ceil_c / 1e6, ceil_c, "-",
                            "-", ceil_c / path.cycles, "-");
            } else {
                const double lib_c = m == mode::srtp_to_srtp ? lib.cycles * 2 : lib.cycles;
                std::printf("%-8u %-11s %9.2f %9.0f | %9.2f %9.0f | %9.2f %9.0f | %8.2f %8.2f\n",
                            calls, mode_name(m), path.mpps, path.cycles, hz / ceil_c / 1e6, ceil_c,
                            hz / lib_c / 1e6, lib_c, ceil_c / path.cycles, lib_c / path.cycles);
            }
            std::fflush(stdout);
        }
        std::fflush(stdout);
    }
    return 0;
}
