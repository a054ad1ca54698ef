// Issue 10: "2,000 TLS connections grew sbcd by ~57 MB that was not returned after they closed".
// Where does that memory go? A transport_layer TLS server (this process) takes N connections
// from a client process (fork: its memory is not ours), each of which handshakes, sends a
// REGISTER-sized request and reads the 200; then every client closes. The server's RSS
// (/proc/self/statm) and glibc's view of the heap (mallinfo2: bytes in use vs held free) are
// printed at the start, with all N open, after all closed, and after malloc_trim(0), for several
// rounds. In-use bytes back at their start level with RSS high means the allocator holds freed
// memory (not a leak); in-use bytes growing round after round would be a leak.
//
//   build/release/bench/sip/transport/sip_tls_memory_bench [connections] [rounds] [--no-trim]
//
// --no-trim: the transport's own trim after a mass close is off (sip_tls_memory_trim below), to
// compare.
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sip/builder.hpp"
#include "sip/transport/transport_layer.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"
#include "tls_client.hpp"

namespace {

using namespace sbc::sip;
using namespace std::chrono_literals;

const std::string request =
    "REGISTER sip:sbc.test SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK-mem\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@sbc.test>;tag=a1\r\n"
    "To: <sip:alice@sbc.test>\r\n"
    "Call-ID: memory-bench\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:alice@127.0.0.1:5099;transport=tls>;+sip.instance=\"<urn:uuid:00000000-0000-"
    "0000-0000-000000000001>\";reg-id=1;expires=3600\r\n"
    "Authorization: Digest username=\"alice\", realm=\"sbc.test\", nonce=\"0123456789abcdef01234"
    "56789abcdef\", uri=\"sip:sbc.test\", response=\"0123456789abcdef0123456789abcdef\", "
    "algorithm=MD5\r\n"
    "User-Agent: ZoomPbxPhone_Windows/6.0.0 (memory bench)\r\n"
    "Content-Length: 0\r\n\r\n";

struct snapshot {
    long rss_kb;
    std::size_t in_use;  // mallinfo2: uordblks + hblkhd
    std::size_t held_free;
};

snapshot take() {
    long pages = 0;
    long resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        std::fclose(f);
    }
    const struct mallinfo2 mi = mallinfo2();
    return {resident * (sysconf(_SC_PAGESIZE) / 1024), mi.uordblks + mi.hblkhd, mi.fordblks};
}

void print(const char* what, int round, const snapshot& s) {
    std::printf("%-22s round %d: RSS %7.1f MB   heap in use %7.1f MB   heap free %7.1f MB\n", what,
                round, double(s.rss_kb) / 1024, double(s.in_use) / (1 << 20),
                double(s.held_free) / (1 << 20));
}

// The client side, in a child process: open `n` connections one after another (each
// handshakes, sends the request, reads the answer), then wait for a byte on `go` and close all.
[[noreturn]] void clients(const socket_address& server, const std::string& ca, int n, int go) {
    io_loop idle;  // test::run_until wants one; nothing runs on it
    std::vector<std::unique_ptr<sbc::sip::test::tls_client>> open;
    for (int i = 0; i < n; ++i) {
        auto c = std::make_unique<sbc::sip::test::tls_client>(server, ca);
        for (int spin = 0; spin < 20000 && !c->handshake() && !c->failed(); ++spin) {
            usleep(100);
        }
        c->send(request);
        for (int spin = 0; spin < 20000 && c->received().find("\r\n\r\n") == std::string::npos;
             ++spin) {
            c->pump();
            usleep(100);
        }
        open.push_back(std::move(c));
    }
    char b;
    (void)::read(go, &b, 1);
    open.clear();
    std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
    const bool trim = !(argc > 3 && std::string(argv[3]) == "--no-trim");
    sbc::sip::test::temp_dir dir;
    sbc::sip::test::test_pki pki(dir.path());
    pki.add_ca("ca");
    const auto cert = pki.add_leaf("sbc", "ca", {"sbc.test"}, {"127.0.0.1"});
    tls_profile p;
    p.cert_file = cert.cert;
    p.key_file = cert.key;
    auto ctx = tls_server_context::create({p});
    if (!ctx) {
        std::fprintf(stderr, "%s\n", ctx.error().c_str());
        return 1;
    }

    io_loop loop;
    transport_limits limits;
    limits.max_connections = std::size_t(n) + 16;
    limits.max_connections_per_source = std::size_t(n) + 16;
    limits.first_message_timeout = 60s;
    limits.trim_after_closes = trim ? limits.trim_after_closes : 0;
    std::size_t answered = 0;
    transport_layer* layer_ptr = nullptr;
    transport_layer layer(loop, limits,
                          {[&](message&& m, const transport_context& c) {
                               ++answered;
                               layer_ptr->reply(c, response_for(m, 200, {}, "t").serialize());
                           },
                           {}});
    layer_ptr = &layer;
    auto bound = layer.listen_tls(*socket_address::parse("127.0.0.1:0"), *ctx);
    if (!bound) {
        std::fprintf(stderr, "%s\n", bound.error().c_str());
        return 1;
    }
    std::printf("%d TLS connections per round, %d rounds, transport trim %s\n", n, rounds,
                trim ? "on" : "off");
    print("start", 0, take());
    for (int round = 1; round <= rounds; ++round) {
        int go[2];
        if (::pipe(go) != 0) {
            return 1;
        }
        const pid_t child = ::fork();
        if (child == 0) {
            ::close(go[1]);
            clients(*bound, pki.ca("ca").cert, n, go[0]);
        }
        ::close(go[0]);
        const std::size_t before = answered;
        sbc::sip::test::run_until(
            loop, [&] { return answered - before >= std::size_t(n); }, 600s);
        print("all open", round, take());
        (void)::write(go[1], "x", 1);
        ::close(go[1]);
        sbc::sip::test::run_until(
            loop, [&] { return layer.connection_count() == 0; }, 120s);
        sbc::sip::test::run_for(loop, 1500ms);  // the transport's trim runs within a second
        int status = 0;
        ::waitpid(child, &status, 0);
        print("all closed", round, take());
    }
    const auto t0 = std::chrono::steady_clock::now();
    malloc_trim(0);
    const auto trim_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    print("after malloc_trim(0)", rounds, take());
    std::printf("malloc_trim(0) took %lld us; transport trims %llu\n",
                static_cast<long long>(trim_us),
                static_cast<unsigned long long>(layer.counters().memory_trims));
    std::printf("handler faults %llu, connections accepted %llu\n",
                static_cast<unsigned long long>(loop.callback_faults()),
                static_cast<unsigned long long>(layer.counters().connections_accepted));
    return 0;
}
