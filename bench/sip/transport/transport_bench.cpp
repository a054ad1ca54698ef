// Messages/s over one established TCP or TLS connection on loopback: a client thread sends a
// REGISTER-sized request (pipelined, `window` in flight) and the server loop (its own thread,
// transport_layer: framing, parsing, response_for, send) answers each with a 200. Reported:
// wall-clock messages/s and messages per second of server-thread CPU ("per server core").
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "sip/builder.hpp"
#include "sip/transport/stream_framer.hpp"
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

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The server loop on its own thread. Answers every request with response_for(request, 200).
class server_thread {
  public:
    server_thread(bool tls, const std::string& dir) {
        std::atomic<bool> ready{false};
        thread_ = std::thread([this, tls, dir, &ready] {
            io_loop loop;
            transport_limits limits;
            limits.idle_timeout = 0ms;
            transport_layer layer(loop, limits,
                                  {[&layer](message&& m, const transport_context& ctx) {
                                       layer.reply(ctx,
                                                   response_for(m, 200, {}, "srv").serialize());
                                   },
                                   {}});
            const auto any = *socket_address::parse("127.0.0.1:0");
            if (tls) {
                test::test_pki pki(dir);
                pki.add_ca("ca");
                auto cert = pki.add_leaf("sbc", "ca", {"sbc.test"}, {"127.0.0.1"});
                tls_profile p;
                p.cert_file = cert.cert;
                p.key_file = cert.key;
                p.ca_file = pki.ca("ca").cert;
                address_ = *layer.listen_tls(any, *tls_server_context::create({p}));
            } else {
                address_ = *layer.listen_tcp(any);
            }
            ready = true;
            while (!stop_) {
                loop.run_once(5ms);
                if (measuring_.exchange(false)) {
                    cpu_mark_ = thread_cpu_seconds();
                }
            }
            cpu_end_ = thread_cpu_seconds();
        });
        while (!ready) {
            std::this_thread::sleep_for(1ms);
        }
    }
    ~server_thread() { finish(); }
    void mark() { measuring_ = true; }
    void finish() {
        if (thread_.joinable()) {
            stop_ = true;
            thread_.join();
        }
    }
    double cpu_since_mark() const { return cpu_end_ - cpu_mark_; }
    const socket_address& address() const { return address_; }

  private:
    std::thread thread_;
    socket_address address_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> measuring_{false};
    double cpu_mark_ = 0;
    double cpu_end_ = 0;
};

// A blocking client connection, TCP or TLS (OpenSSL on the socket).
class client {
  public:
    client(const socket_address& to, bool tls) : framer_(stream_limits{}) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd_, to.sa(), to.size()) != 0) {
            throw std::runtime_error("connect");
        }
        if (tls) {
            ctx_ = SSL_CTX_new(TLS_client_method());
            ssl_ = SSL_new(ctx_);
            SSL_set_fd(ssl_, fd_);
            SSL_set_tlsext_host_name(ssl_, "sbc.test");
            if (SSL_connect(ssl_) != 1) {
                throw std::runtime_error("SSL_connect");
            }
        }
    }
    ~client() {
        if (ssl_ != nullptr) {
            SSL_free(ssl_);
            SSL_CTX_free(ctx_);
        }
        ::close(fd_);
    }
    void write(const std::string& bytes) {
        if (ssl_ != nullptr) {
            SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
        } else {
            std::size_t off = 0;
            while (off < bytes.size()) {
                off += static_cast<std::size_t>(
                    ::send(fd_, bytes.data() + off, bytes.size() - off, 0));
            }
        }
    }
    // Blocks until `n` whole responses arrived.
    void read_responses(int n) {
        while (n > 0) {
            stream_frame f = framer_.next();
            if (f.kind == frame_kind::message) {
                --n;
                continue;
            }
            if (f.kind == frame_kind::error) {
                throw std::runtime_error("bad response stream");
            }
            auto space = framer_.prepare(65536);
            const int got = ssl_ != nullptr
                                ? SSL_read(ssl_, space.data(), static_cast<int>(space.size()))
                                : static_cast<int>(::recv(fd_, space.data(), space.size(), 0));
            if (got <= 0) {
                throw std::runtime_error("connection lost");
            }
            framer_.commit(static_cast<std::size_t>(got));
        }
    }

  private:
    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    stream_framer framer_;
};

void run(benchmark::State& state, bool tls) {
    const int window = static_cast<int>(state.range(0));
    const auto dir = std::filesystem::temp_directory_path() / "sbc-transport-bench";
    std::filesystem::create_directories(dir);
    server_thread server(tls, dir.string());
    client c(server.address(), tls);
    std::string batch;
    for (int i = 0; i < window; ++i) {
        batch += register_request(i + 1);
    }
    c.write(batch);  // warm up
    c.read_responses(window);
    server.mark();
    std::this_thread::sleep_for(10ms);
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
        c.write(batch);
        c.read_responses(window);
    }
    server.finish();
    const double messages = static_cast<double>(state.iterations()) * window;
    state.SetItemsProcessed(static_cast<std::int64_t>(messages));
    state.counters["request_bytes"] = static_cast<double>(register_request(1).size());
    state.counters["msgs_per_server_cpu_s"] = messages / server.cpu_since_mark();
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
