// Per-stage costs of the packet path (Google Benchmark): flow lookup, the path without crypto
// (classify + lookup + latch + rewrite), header rewrite with software checksums, SRTP
// unprotect/protect batches of 32 with each engine, and the command path (ring -> control).

#include <benchmark/benchmark.h>

#include <random>

#include "bench/dataplane/call_set.hpp"
#include "dataplane/core/flow_index.hpp"
#include "dataplane/shm/spsc_ring.hpp"

using namespace sbc;
using namespace sbc::bench;

namespace {

void BM_flow_lookup(benchmark::State& state) {
    const auto n = static_cast<uint32_t>(state.range(0));
    dp::flow_index idx(n);
    std::vector<uint64_t> keys;
    for (uint32_t i = 0; i < n; ++i) {
        keys.push_back(
            dp::pack_key(0, 0x0a000001 + (i >> 15), static_cast<uint16_t>(2 * (i & 0x7fff) + 2)));
        idx.insert(keys.back(), i, [&](uint32_t v) { return keys[v]; });
    }
    std::shuffle(keys.begin(), keys.end(), std::mt19937(1));
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(idx.lookup(keys[i]));
        i = i + 1 == keys.size() ? 0 : i + 1;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_flow_lookup)->Arg(2000)->Arg(20000)->Arg(200000);

// The whole path for RTP->RTP: classify, lookup, latch, statistics, destination, rewrite.
void BM_path_rtp_to_rtp(benchmark::State& state) {
    call_set cs(static_cast<uint32_t>(state.range(0)), mode::rtp_to_rtp);
    for (auto _ : state) {
        state.PauseTiming();
        cs.prepare(32);
        state.ResumeTiming();
        cs.run();
    }
    state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_path_rtp_to_rtp)->Arg(1)->Arg(1000)->Arg(10000);

void BM_rewrite(benchmark::State& state) {
    std::vector<uint8_t> buf(256, 0xd5);
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    for (auto _ : state) {
        benchmark::DoNotOptimize(dp::write_headers(buf.data(), mac, mac, 0x0a000001, 20000,
                                                   0x0a000002, 40000, 0xb8, rtp_bytes, false,
                                                   false));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_rewrite);

// One stream, bursts of 32 G.711 packets, hot keys: the engine's best case. Fresh packets are
// made (and, for unprotect, protected by the peer) outside the timed part; every packet must
// come out ok.
void crypto_bench(benchmark::State& state, srtp::engine_kind k, bool protect) {
    srtp::engine e(k);
    srtp::stream peer(srtp::direction::outbound);
    srtp::stream s(protect ? srtp::direction::outbound : srtp::direction::inbound);
    peer.set_key(bench_key(1), k);
    s.set_key(bench_key(1), k);
    std::vector<std::array<uint8_t, 256>> work(32);
    srtp::packet batch[32];
    uint32_t seq = 0;
    for (auto _ : state) {
        state.PauseTiming();
        for (int i = 0; i < 32; ++i, ++seq) {
            uint8_t* p = work[i].data();
            p[0] = 0x80;
            p[1] = 0;
            dp::wire::store16(p + 2, static_cast<uint16_t>(seq));
            dp::wire::store32(p + 4, seq * 160);
            dp::wire::store32(p + 8, 0x1234);
            std::memset(p + 12, 0xd5, payload_bytes);
            batch[i] =
                srtp::packet{p, protect ? &s : &peer, rtp_bytes, 256, srtp::status::ok, 0, 0};
        }
        if (!protect) {
            srtp::protect_rtp(e, batch, 32);
            for (auto& b : batch) {
                b.strm = &s;
            }
        }
        state.ResumeTiming();
        const uint16_t ok =
            protect ? srtp::protect_rtp(e, batch, 32) : srtp::unprotect_rtp(e, batch, 32);
        if (ok != 32) {
            state.SkipWithError("packets failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * 32);
}
void BM_unprotect_ipsecmb(benchmark::State& s) {
    crypto_bench(s, srtp::engine_kind::ipsecmb, false);
}
void BM_protect_ipsecmb(benchmark::State& s) {
    crypto_bench(s, srtp::engine_kind::ipsecmb, true);
}
void BM_unprotect_libsrtp(benchmark::State& s) {
    crypto_bench(s, srtp::engine_kind::libsrtp, false);
}
void BM_protect_libsrtp(benchmark::State& s) {
    crypto_bench(s, srtp::engine_kind::libsrtp, true);
}
BENCHMARK(BM_unprotect_ipsecmb);
BENCHMARK(BM_protect_ipsecmb);
BENCHMARK(BM_unprotect_libsrtp);
BENCHMARK(BM_protect_libsrtp);

// Commands through a ring into the control: flow_add, flow_update, flow_del of RTP legs
// (arg 0) or SRTP legs with key derivation (arg 1), 64 per ring burst. Items = commands.
void BM_commands(benchmark::State& state) {
    const bool srtp = state.range(0) != 0;
    constexpr uint32_t legs = 4096;
    dp::table_params s;
    s.max_flows = legs + 64;
    dp::media_address m;
    m.dpdk_port = 0;
    m.addr = shm::ipv4(0x0a000001);
    s.media = {m};
    dp::tables t(s, 1, nullptr);
    t.ports[0].present = true;
    uint64_t acks = 0;
    dp::control ctl(t, [&](const shm::event& e) { acks += e.type == shm::event_type::ack; });
    std::vector<uint64_t> mem((shm::spsc_ring<shm::command>::bytes_for(1024) + 7) / 8);
    auto ring = shm::spsc_ring<shm::command>::format(mem.data(), 1024);
    uint32_t next = 0;
    int phase = 0;  // add all, update all, delete all
    shm::command batch[64];
    for (auto _ : state) {
        for (int i = 0; i < 64; ++i) {
            shm::command c{};
            c.type = phase == 0   ? shm::command_type::flow_add
                     : phase == 1 ? shm::command_type::flow_update
                                  : shm::command_type::flow_del;
            c.seq = next;
            const auto port = static_cast<uint16_t>(2000 + 2 * next);
            if (c.type == shm::command_type::flow_del) {
                c.key = shm::make_flow_key(0, m.addr, port);
            } else {
                c.flow.key = shm::make_flow_key(0, m.addr, port);
                c.flow.peer =
                    shm::make_endpoint(shm::ipv4(0x0a000002), static_cast<uint16_t>(port + phase));
                c.flow.protocol = srtp ? shm::media_protocol::srtp : shm::media_protocol::rtp;
                c.flow.rx = bench_key(next * 2 + phase);
                c.flow.tx = bench_key(next * 2 + 1);
            }
            ring.push(c);
            if (++next == legs) {
                next = 0;
                phase = (phase + 1) % 3;
            }
        }
        const uint32_t got = ring.pop_burst(batch, 64);
        for (uint32_t i = 0; i < got; ++i) {
            ctl.apply(batch[i], 1);
        }
        t.rcu.quiescent(0);
        ctl.reclaim();
    }
    if (acks != static_cast<uint64_t>(state.iterations()) * 64) {
        state.SkipWithError("not every command was acked");
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_commands)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
