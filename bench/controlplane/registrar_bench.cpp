// REGISTER relays per second per sbcd core, and memory per binding.
//
// BM_Relay: sip_service (sbcd's SIP side: TLS access realm, dispatcher, registrar, core TCP)
// runs alone on its own thread with its own io_loop; a fake OSV node runs on a second thread;
// a client thread keeps N established TLS connections (one softphone each, already
// registered) and sends every connection one refresh REGISTER per iteration, then reads the N
// answers. Throttling off: every refresh is relayed to OSV and back (TLS in, TCP out, TCP in,
// TLS out). Throttling on: refreshes are answered locally. Reported: wall-clock REGISTERs/s and
// REGISTERs per second of sbcd-thread CPU ("per sbcd core").
//
// BM_BindingMemory: 100k bindings as the registrar keeps them (realistic field sizes, the
// indices, one expiry timer each); heap bytes in use per binding (mallinfo2).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/ssl.h>

#include <charconv>
#include <filesystem>
#include <memory>
#include <string>

#include "bench/common/loop_bench.hpp"
#include "config/config.hpp"
#include "controlplane/binding_table.hpp"
#include "controlplane/sip_service.hpp"
#include "sip/ids.hpp"
#include "sip_harness.hpp"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

std::string refresh(int client, std::uint32_t cseq) {
    const std::string user = "+1555" + std::to_string(1000000 + client);
    const std::string port = std::to_string(40000 + client);
    return "REGISTER sip:pbx.local SIP/2.0\r\n"
           "Via: SIP/2.0/TLS 127.0.0.1:" +
           port + ";branch=z9hG4bK-b" + std::to_string(client) + "-" + std::to_string(cseq) +
           ";rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:" +
           user + "@pbx.local>;tag=t" + std::to_string(client) +
           "\r\n"
           "To: <sip:" +
           user +
           "@pbx.local>\r\n"
           "Call-ID: bench-" +
           std::to_string(client) +
           "@client\r\n"
           "CSeq: " +
           std::to_string(cseq) +
           " REGISTER\r\n"
           "Contact: <sip:" +
           user + "@127.0.0.1:" + port +
           ";transport=tls;ob>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-" +
           std::to_string(100000000000 + client) +
           ">\";reg-id=1\r\n"
           "Expires: 600\r\n"
           "Supported: path, outbound, gruu\r\n"
           "User-Agent: ZoomPbxPhone/5.17.0 (Windows)\r\n"
           "Authorization: Digest username=\"" +
           user +
           "\", realm=\"pbx.local\", nonce=\"5f2b6c7d8e9fa0b1c2d3e4f5a6b7c8d9\", "
           "uri=\"sip:pbx.local\", response=\"0123456789abcdef0123456789abcdef\", "
           "algorithm=MD5, qop=auth, nc=00000001, cnonce=\"a1b2c3d4\"\r\n"
           "Content-Length: 0\r\n\r\n";
}

// The status code of the next final response on `c`.
int read_final(bench::stream_client& c) {
    for (;;) {
        const std::string_view m = c.next_message();
        int code = 0;
        const std::string_view digits = m.substr(8, 3);
        std::from_chars(digits.data(), digits.data() + digits.size(), code);
        if (code >= 200) {
            return code;
        }
    }
}

void relay(benchmark::State& state, bool throttling) {
    const int clients = static_cast<int>(state.range(0));
    const auto dir = std::filesystem::temp_directory_path() / "sbc-registrar-bench";
    std::filesystem::create_directories(dir);
    sip::test::test_pki pki(dir.string());
    pki.add_ca("ca");
    const auto leaf = pki.add_leaf("sbc", "ca", {"sbc.local"}, {"127.0.0.1"});

    auto loaded = config::load_string(config::embedded_default_toml(), "<embedded default>",
                                      config::load_options{false});
    config::appliance cfg = *loaded.config;
    for (auto& p : cfg.certificate_profiles) {
        p.certificate = leaf.cert;
        p.private_key = leaf.key;
        p.ca = pki.ca("ca").cert;
    }
    cfg.realm.access.signalling_address = "127.0.0.1";
    cfg.realm.core.signalling_address = "127.0.0.1";
    cfg.remote_subscribers.subnets = {{"127.0.0.0/8", "sbc-tls", "SRTP_SDES"}};
    cfg.remote_subscribers.register_throttling_tls = throttling;
    cfg.sip.max_connections_per_source = 4096;
    // All clients come from 127.0.0.1: the bench measures the relay, not the DoS guard.
    cfg.security.dos.max_requests_per_source_per_s = 1000000;
    cfg.security.dos.max_connections_per_source = 65535;
    cfg.sip_server.nodes[0].address = "127.0.0.2";

    // OSV: answers every REGISTER 200 (the digest is the SBC's to pass, not to check).
    std::atomic<std::uint16_t> osv_port{0};
    bench::loop_thread osv([&](sip::io_loop& loop) {
        auto node = std::make_shared<test::fake_osv>(loop, "127.0.0.2");
        node->challenge = false;
        osv_port = node->address.port();
        return node;
    });
    cfg.sip_server.nodes[0].port = osv_port;
    const auto access_port = sip::test::free_port(SOCK_STREAM);
    sip_listen where = sip_listen::from(cfg);
    where.access = {"127.0.0.1", 0, 0, access_port, "sbc-tls"};
    where.core = {"127.0.0.1", 0, sip::test::free_port(SOCK_STREAM), 0, ""};
    std::atomic<bool> started{false};
    bench::loop_thread sbc([&](sip::io_loop& loop) {
        auto svc = std::make_shared<sip_service>(loop, cfg);
        started = static_cast<bool>(svc->start(where));
        return svc;
    });
    if (!started) {
        state.SkipWithError("sip_service did not start");
        return;
    }

    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    const auto to = *sip::socket_address::from_ip("127.0.0.1", access_port);
    std::vector<std::unique_ptr<bench::stream_client>> conns;
    std::uint32_t cseq = 1;
    for (int i = 0; i < clients; ++i) {
        conns.push_back(std::make_unique<bench::stream_client>(to, ctx, "sbc.local"));
        conns.back()->write(refresh(i, cseq));
        if (read_final(*conns.back()) != 200) {
            state.SkipWithError("initial REGISTER failed");
            return;
        }
    }
    std::int64_t ok = 0, other = 0;
    sbc.mark();
    std::this_thread::sleep_for(10ms);
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
        ++cseq;
        for (int i = 0; i < clients; ++i) {
            conns[static_cast<std::size_t>(i)]->write(refresh(i, cseq));
        }
        for (auto& c : conns) {
            (read_final(*c) == 200 ? ok : other) += 1;
        }
    }
    sbc.finish();
    const double registers = static_cast<double>(state.iterations()) * clients;
    state.SetItemsProcessed(static_cast<std::int64_t>(registers));
    state.counters["per_sbcd_cpu_s"] = registers / sbc.cpu();
    state.counters["not_200"] = static_cast<double>(other);
    conns.clear();
    SSL_CTX_free(ctx);
    osv.finish();
    std::filesystem::remove_all(dir);
}

void BM_RelayThrottlingOff(benchmark::State& state) {
    relay(state, false);
}
void BM_RegisterThrottlingOn(benchmark::State& state) {
    relay(state, true);
}

BENCHMARK(BM_RelayThrottlingOff)->Arg(64)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_RegisterThrottlingOn)->Arg(64)->UseRealTime()->MinTime(3.0);

void BM_BindingMemory(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
        state.PauseTiming();
        malloc_trim(0);
        const auto before = mallinfo2().uordblks;
        state.ResumeTiming();
        auto table = std::make_unique<binding_table>();
        sip::timer_wheel wheel;
        for (std::size_t i = 0; i < n; ++i) {
            const std::string user = "+1555" + std::to_string(1000000 + i);
            binding& b = table->create(
                "sip:" + user + "@pbx.local",
                "<urn:uuid:00000000-0000-1000-8000-" + std::to_string(100000000000 + i) + ">",
                "sip:" + user + "@203.0.113.7:" + std::to_string(40000 + i % 20000) +
                    ";transport=tls;ob");
            b.user_agent = "ZoomPbxPhone/5.17.0 (Windows)";
            b.call_id = "6f1b2c3d4e5f60718293a4b5c6d7e8f9-" + std::to_string(i) + "@203.0.113.7";
            b.credentials = "Authorization: Digest username=\"" + user +
                            "\", realm=\"pbx.local\", nonce=\"5f2b6c7d8e9fa0b1c2d3e4f5a6b7c8d9\", "
                            "uri=\"sip:pbx.local\", response=\"0123456789abcdef0123456789abcdef\", "
                            "algorithm=MD5, qop=auth, nc=00000001, cnonce=\"a1b2c3d4\"\r\n";
            if (i % 2 == 0) {
                b.push = push_device("apns", sip::random_token(64), "ABCD.com.zoom");
            }
            b.core_call_id = sip::make_call_id();
            b.core_from_tag = sip::make_tag();
            b.remote = *sip::socket_address::from_ip("203.0.113.7", 40000);
            table->set_connection(b, i + 1);
            table->mark_active(b);
            b.expiry_timer =
                wheel.schedule_after(std::chrono::seconds(600 + i % 600),
                                     [&t = *table, token = b.token] { (void)t.by_token(token); });
        }
        state.PauseTiming();
        const auto after = mallinfo2().uordblks;
        state.counters["bytes_per_binding"] =
            static_cast<double>(after - before) / static_cast<double>(n);
        state.counters["sizeof_binding"] = sizeof(binding);
        table.reset();
        state.ResumeTiming();
    }
}

BENCHMARK(BM_BindingMemory)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sbc::cp

BENCHMARK_MAIN();
