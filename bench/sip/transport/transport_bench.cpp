// Messages/s over one established TCP or TLS connection on loopback: a client thread sends a
// REGISTER-sized request (pipelined, `window` in flight) and the server loop (its own thread,
// transport_layer: framing, parsing, response_for, send) answers each with a 200. Reported:
// wall-clock messages/s and messages per second of server-thread CPU ("per server core").
#include <benchmark/benchmark.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <string>

#include "bench/common/loop_bench.hpp"
#include "sip/builder.hpp"
#include "sip/transport/tls_context.hpp"
#include "sip/transport/transport_layer.hpp"
#include "test_pki.hpp"

namespace sbc::sip {
namespace {

using namespace std::chrono_literals;

std::string register_request(int n) {
    return "REGISTER sip:sbc.test SIP/2.0\r\n"
           "Via: SIP/2.0/TLS 192.0.2.10:50312;branch=z9hG4bK-bench-" +
           std::to_string(n) +
           ";rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:+15551230001@sbc.test>;tag=8d3f0a1b2c\r\n"
           "To: <sip:+15551230001@sbc.test>\r\n"
           "Call-ID: 6f1b2c3d4e5f60718293a4b5c6d7e8f9@192.0.2.10\r\n"
           "CSeq: " +
           std::to_string(n) +
           " REGISTER\r\n"
           "Contact: <sip:+15551230001@192.0.2.10:50312;transport=tls;ob>;+sip.instance="
           "\"<urn:uuid:00000000-0000-1000-8000-00a0c91e6bf6>\";reg-id=1;expires=3600\r\n"
           "Supported: path, outbound, gruu\r\n"
           "User-Agent: ZoomPbxPhone/5.17.0 (Windows)\r\n"
           "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, MESSAGE, UPDATE\r\n"
           "Authorization: Digest username=\"+15551230001\", realm=\"pbx.local\", "
           "nonce=\"5f2b6c7d8e9fa0b1c2d3e4f5a6b7c8d9\", uri=\"sip:sbc.test\", "
           "response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth, "
           "nc=00000001, cnonce=\"a1b2c3d4\"\r\n"
           "Expires: 3600\r\n"
           "Content-Length: 0\r\n\r\n";
}

// The server loop: answers every request with response_for(request, 200). Sets `address`.
struct server {
    server(io_loop& loop, bool tls, const std::string& dir, socket_address& address)
        : layer(loop, limits(),
                {[this](message&& m, const transport_context& ctx) {
                     layer.reply(ctx, response_for(m, 200, {}, "srv").serialize());
                 },
                 {}}) {
        const auto any = *socket_address::parse("127.0.0.1:0");
        if (tls) {
            test::test_pki pki(dir);
            pki.add_ca("ca");
            auto cert = pki.add_leaf("sbc", "ca", {"sbc.test"}, {"127.0.0.1"});
            tls_profile p;
            p.cert_file = cert.cert;
            p.key_file = cert.key;
            p.ca_file = pki.ca("ca").cert;
            address = *layer.listen_tls(any, *tls_server_context::create({p}));
        } else {
            address = *layer.listen_tcp(any);
        }
    }
    static transport_limits limits() {
        transport_limits l;
        l.idle_timeout = 0ms;
        return l;
    }
    transport_layer layer;
};

// Reads `n` whole responses.
void read_responses(bench::stream_client& c, int n) {
    for (int i = 0; i < n; ++i) {
        c.next_message();
    }
}

void run(benchmark::State& state, bool tls) {
    const int window = static_cast<int>(state.range(0));
    const auto dir = std::filesystem::temp_directory_path() / "sbc-transport-bench";
    std::filesystem::create_directories(dir);
    socket_address address;
    bench::loop_thread server_loop(
        [&](io_loop& loop) { return std::make_shared<server>(loop, tls, dir.string(), address); });
    SSL_CTX* ctx = tls ? SSL_CTX_new(TLS_client_method()) : nullptr;
    auto c = std::make_unique<bench::stream_client>(address, ctx, "sbc.test");
    std::string batch;
    for (int i = 0; i < window; ++i) {
        batch += register_request(i + 1);
    }
    c->write(batch);  // warm up
    read_responses(*c, window);
    server_loop.mark();
    std::this_thread::sleep_for(10ms);
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
        c->write(batch);
        read_responses(*c, window);
    }
    server_loop.finish();
    c.reset();
    SSL_CTX_free(ctx);
    const double messages = static_cast<double>(state.iterations()) * window;
    state.SetItemsProcessed(static_cast<std::int64_t>(messages));
    state.counters["request_bytes"] = static_cast<double>(register_request(1).size());
    state.counters["msgs_per_server_cpu_s"] = messages / server_loop.cpu();
    std::filesystem::remove_all(dir);
}

void BM_Tcp(benchmark::State& state) {
    run(state, false);
}
void BM_Tls(benchmark::State& state) {
    run(state, true);
}

BENCHMARK(BM_Tcp)->Arg(1)->Arg(16)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_Tls)->Arg(1)->Arg(16)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace sbc::sip

BENCHMARK_MAIN();
