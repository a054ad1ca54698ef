// The full packet path on one core from pre-built buffers (no NIC I/O, no EAL): G.711/20 ms,
// AES_CM_128_HMAC_SHA1_80, 1,000 / 10,000 / 100,000 concurrent calls, one packet per call per
// burst of 32 in round robin (flows are cache-cold at scale, as with real traffic). Only
// path::process is timed (TSC); building and encrypting the input is not. In the same run:
// the raw crypto of the same packets (the engine alone: the ceiling) and libsrtp2's
// srtp_unprotect/srtp_protect on the same packets.
//
//   dataplane_macro_bench [packets-per-point] [--calls=1000,10000,100000]
//       [--modes=srtp_to_rtp,rtp_to_srtp,srtp_to_srtp,rtp_to_rtp] [--no-libsrtp]
//       [--stages] [--offload]
//
// Every burst is timed on its own. `mean` is the mean over all bursts (what the core sustained
// here, time lost to other processes included); `med` is the median burst, which a shared,
// noisy machine disturbs far less (a preempted burst absorbs a whole time slice of another
// process). Mpps and the ratios are from the medians. --stages adds the median cycles per
// packet of each stage of path::process (path::process_profiled). --offload: the ports fill the
// IPv4 and UDP checksums (every 10 GbE NIC can); by default the path computes them.

#include <srtp2/srtp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/dataplane/call_set.hpp"
#include "dataplane/core/state_size.hpp"

using namespace sbc;
using namespace sbc::bench;

namespace {

struct result {
    double mean = 0;  // cycles per packet, mean over bursts
    double med = 0;   // cycles per packet, median burst
    double mpps() const { return med == 0 ? 0 : static_cast<double>(tsc_hz()) / med / 1e6; }
};

struct burst_times {
    std::vector<uint64_t> cycles;
    uint64_t packets = 0;
    void add(uint64_t c, uint64_t n) {
        cycles.push_back(c);
        packets += n;
    }
    result get(uint16_t burst) {
        result r;
        uint64_t sum = 0;
        for (uint64_t c : cycles) {
            sum += c;
        }
        r.mean = static_cast<double>(sum) / static_cast<double>(packets);
        std::nth_element(cycles.begin(), cycles.begin() + cycles.size() / 2, cycles.end());
        r.med = static_cast<double>(cycles[cycles.size() / 2]) / burst;
        return r;
    }
};

constexpr uint16_t burst = 32;

result measure_path(call_set& cs, uint64_t packets, dp::stage_profile* stages) {
    burst_times bt;
    uint64_t fwd = 0;
    std::vector<uint64_t> per_stage[dp::stage_profile::count];
    while (bt.packets < packets) {
        cs.prepare(burst);
        dp::stage_profile sp{};
        bt.add(stages != nullptr ? cs.run_profiled(sp) : cs.run(), burst);
        if (stages != nullptr) {
            for (size_t s = 0; s < dp::stage_profile::count; ++s) {
                per_stage[s].push_back(sp.cycles[s]);
            }
        }
        fwd += cs.forwarded();
    }
    if (fwd != bt.packets) {
        std::fprintf(stderr, "warning: %llu of %llu forwarded\n", (unsigned long long)fwd,
                     (unsigned long long)bt.packets);
    }
    if (stages != nullptr) {
        for (size_t s = 0; s < dp::stage_profile::count; ++s) {
            auto& v = per_stage[s];
            std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
            stages->cycles[s] = v[v.size() / 2];
        }
    }
    return bt.get(burst);
}

// The crypto of the same packets: SRTP input -> unprotect only; RTP -> SRTP -> protect only.
result measure_crypto(uint32_t calls, mode m, uint64_t packets, srtp::engine_kind k) {
    call_set src(calls, m == mode::rtp_to_srtp ? mode::rtp_to_rtp : m);
    srtp::engine e(k);
    stream_array streams(
        calls, m == mode::rtp_to_srtp ? srtp::direction::outbound : srtp::direction::inbound);
    for (uint32_t c = 0; c < calls; ++c) {
        streams[c].set_key(bench_key(c * 4 + (m == mode::rtp_to_srtp ? 1 : 0)), k);
    }
    burst_times bt;
    uint32_t cursor = 0;
    srtp::packet pk[burst];
    const uint32_t warm = (calls + burst - 1) / burst;
    for (uint32_t w = 0; bt.packets < packets; ++w) {
        src.prepare(burst);
        dp::pkt_desc* d = src.descs();
        for (uint16_t i = 0; i < burst; ++i) {
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
        const uint16_t ok = m == mode::rtp_to_srtp ? srtp::protect_rtp(e, pk, burst)
                                                   : srtp::unprotect_rtp(e, pk, burst);
        const uint64_t t1 = __rdtsc();
        if (ok != burst) {
            std::fprintf(stderr, "crypto ceiling: %u of %u ok\n", ok, burst);
            std::exit(1);
        }
        if (w >= warm) {  // the first pass over every stream is the warm-up
            bt.add(t1 - t0, burst);
        }
    }
    return bt.get(burst);
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
    burst_times bt;
    uint32_t cursor = 0;
    // The first pass is the warm-up: libsrtp2 makes each stream from the template on its
    // first packet.
    const uint32_t warm = (calls + burst - 1) / burst;
    for (uint32_t w = 0; bt.packets < packets; ++w) {
        src.prepare(burst);
        dp::pkt_desc* d = src.descs();
        const uint64_t t0 = __rdtsc();
        for (uint16_t i = 0; i < burst; ++i) {
            int len = d[i].len - 42;
            if (m == mode::rtp_to_srtp) {
                srtp_protect(sessions[cursor], d[i].data + 42, &len);
            } else {
                srtp_unprotect(sessions[cursor], d[i].data + 42, &len);
            }
            cursor = cursor + 1 == calls ? 0 : cursor + 1;
        }
        const uint64_t t1 = __rdtsc();
        if (w >= warm) {
            bt.add(t1 - t0, burst);
        }
    }
    for (auto s : sessions) {
        srtp_dealloc(s);
    }
    return bt.get(burst);
}

std::vector<std::string> split(const char* s) {
    std::vector<std::string> out;
    std::string cur;
    for (; *s != 0; ++s) {
        if (*s == ',') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += *s;
        }
    }
    if (!cur.empty()) {
        out.push_back(cur);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t packets = 1'000'000;
    std::vector<uint32_t> call_counts = {1000, 10000, 100000};
    std::vector<mode> modes = {mode::srtp_to_rtp, mode::rtp_to_srtp, mode::srtp_to_srtp,
                               mode::rtp_to_rtp};
    bool libsrtp = true;
    bool stages = false;
    bool offload = false;
    for (int a = 1; a < argc; ++a) {
        const char* arg = argv[a];
        if (std::strncmp(arg, "--calls=", 8) == 0) {
            call_counts.clear();
            for (const auto& c : split(arg + 8)) {
                call_counts.push_back(static_cast<uint32_t>(std::strtoul(c.c_str(), nullptr, 10)));
            }
        } else if (std::strncmp(arg, "--modes=", 8) == 0) {
            modes.clear();
            for (const auto& m : split(arg + 8)) {
                for (mode x :
                     {mode::srtp_to_rtp, mode::rtp_to_srtp, mode::srtp_to_srtp, mode::rtp_to_rtp}) {
                    if (m == mode_id(x)) {
                        modes.push_back(x);
                    }
                }
            }
        } else if (std::strcmp(arg, "--no-libsrtp") == 0) {
            libsrtp = false;
        } else if (std::strcmp(arg, "--offload") == 0) {
            offload = true;
        } else if (std::strcmp(arg, "--stages") == 0) {
            stages = true;
        } else if (arg[0] >= '0' && arg[0] <= '9') {
            packets = std::strtoull(arg, nullptr, 10);
        } else {
            std::fprintf(stderr, "unknown argument %s\n", arg);
            return 2;
        }
    }
    std::printf(
        "TSC %.3f GHz, %llu packets per point, bursts of %u, G.711/20 ms, "
        "AES_CM_128_HMAC_SHA1_80, checksums %s; cycles per packet: mean over bursts / median "
        "burst\n",
        static_cast<double>(tsc_hz()) / 1e9, static_cast<unsigned long long>(packets), burst,
        offload ? "offloaded" : "in software");
    namespace ss = dp::state_size;
    std::printf(
        "state per flow direction beyond keys: %zu bytes RTP->RTP, %zu SRTP->RTP or RTP->SRTP, "
        "%zu SRTP->SRTP (per packet: %zu = runtime %zu + control %zu + stream %zu + counters "
        "%zu); RTCP statistics +%zu where generated\n",
        ss::rtp_to_rtp, ss::srtp_to_rtp, ss::srtp_to_srtp, ss::hot, ss::runtime, ss::control_hot,
        ss::stream_hot, ss::counters_hot, ss::rtcp_statistics);
    std::printf("%-7s %-10s %6s %6s %6s | %6s %6s %6s | %6s %7s | %5s %6s\n", "calls", "mode",
                "Mpps", "mean", "med", "ceil", "mean", "med", "lib", "med", "/ceil", "/lib");
    for (uint32_t calls : call_counts) {
        for (mode m : modes) {
            call_set cs(calls, m, srtp::engine_kind::ipsecmb, offload);
            for (uint32_t w = 0; w < calls / burst + 1; ++w) {  // warm-up: latch every call
                cs.prepare(burst);
                cs.run();
            }
            dp::stage_profile sp{};
            const result path = measure_path(cs, packets, stages ? &sp : nullptr);
            std::printf("%-7u %-10s %6.2f %6.0f %6.0f |", calls, mode_name(m), path.mpps(),
                        path.mean, path.med);
            if (m == mode::rtp_to_rtp) {
                std::printf(" %6s %6s %6s | %6s %7s | %5s %6s\n", "-", "-", "-", "-", "-", "-",
                            "-");
            } else {
                const mode cm = m == mode::srtp_to_srtp ? mode::srtp_to_rtp : m;
                result ceil = measure_crypto(calls, cm, packets, srtp::engine_kind::ipsecmb);
                // libsrtp2 costs tens of thousands of cycles per packet with many sessions:
                // fewer packets, every session warm. 100,000 sessions take minutes to set up.
                result lib = libsrtp && calls <= 10000
                                 ? measure_libsrtp2(calls, cm, std::min<uint64_t>(packets, 64000))
                                 : result{};
                if (m == mode::srtp_to_srtp) {  // unprotect + protect: twice the crypto
                    ceil.mean *= 2;
                    ceil.med *= 2;
                    lib.mean *= 2;
                    lib.med *= 2;
                }
                std::printf(" %6.2f %6.0f %6.0f |", ceil.mpps(), ceil.mean, ceil.med);
                if (lib.med == 0) {
                    std::printf(" %6s %7s | %5.2f %6s\n", "-", "-", ceil.med / path.med, "-");
                } else {
                    std::printf(" %6.3f %7.0f | %5.2f %6.1f\n", lib.mpps(), lib.med,
                                ceil.med / path.med, lib.med / path.med);
                }
            }
            if (stages) {
                std::printf("        stages (median cycles/packet):");
                for (size_t s = 0; s < dp::stage_profile::count; ++s) {
                    std::printf(" %s %.0f", dp::stage_profile::names[s],
                                static_cast<double>(sp.cycles[s]) / burst);
                }
                std::printf("\n");
            }
            std::fflush(stdout);
        }
    }
    return 0;
}
