#pragma once

// What the SIP-side benchmarks share: an io_loop on its own thread whose CPU time is measured,
// and a blocking TCP/TLS client that reads whole SIP messages with the transport's framer.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "sip/transport/io_loop.hpp"
#include "sip/transport/socket_address.hpp"
#include "sip/transport/stream_framer.hpp"

namespace sbc::bench {

inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One thread with its own io_loop: runs `setup(loop)` (whose result lives as long as the loop
// runs), then the loop until finish(). Its CPU time is measured from mark() to finish().
class loop_thread {
  public:
    template <typename Setup>
    explicit loop_thread(Setup setup) {
        std::atomic<bool> ready{false};
        thread_ = std::thread([this, setup, &ready] {
            sip::io_loop loop;
            auto keep = setup(loop);
            ready = true;
            while (!stop_) {
                loop.run_once(std::chrono::milliseconds(5));
                if (measuring_.exchange(false)) {
                    cpu_mark_ = thread_cpu_seconds();
                }
            }
            cpu_end_ = thread_cpu_seconds();
        });
        while (!ready) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    loop_thread(const loop_thread&) = delete;
    loop_thread& operator=(const loop_thread&) = delete;
    ~loop_thread() { finish(); }

    void mark() { measuring_ = true; }
    void finish() {
        if (thread_.joinable()) {
            stop_ = true;
            thread_.join();
        }
    }
    // CPU seconds of the loop thread between mark() and finish().
    double cpu() const { return cpu_end_ - cpu_mark_; }

  private:
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> measuring_{false};
    double cpu_mark_ = 0;
    double cpu_end_ = 0;
};

// A blocking client connection, plain TCP (`ctx` null) or TLS with `ctx` and SNI `server_name`.
class stream_client {
  public:
    stream_client(const sip::socket_address& to, SSL_CTX* ctx, const char* server_name)
        : framer_(sip::stream_limits{}) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd_, to.sa(), to.size()) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect");
        }
        if (ctx != nullptr) {
            ssl_ = SSL_new(ctx);
            SSL_set_fd(ssl_, fd_);
            SSL_set_tlsext_host_name(ssl_, server_name);
            if (SSL_connect(ssl_) != 1) {
                SSL_free(ssl_);
                ::close(fd_);
                throw std::runtime_error("SSL_connect");
            }
        }
    }
    stream_client(const stream_client&) = delete;
    stream_client& operator=(const stream_client&) = delete;
    ~stream_client() {
        if (ssl_ != nullptr) {
            SSL_free(ssl_);
        }
        ::close(fd_);
    }

    void write(const std::string& bytes) {
        if (ssl_ != nullptr) {
            SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
            return;
        }
        std::size_t off = 0;
        while (off < bytes.size()) {
            const ssize_t sent = ::send(fd_, bytes.data() + off, bytes.size() - off, 0);
            if (sent <= 0) {
                throw std::runtime_error("connection lost");
            }
            off += static_cast<std::size_t>(sent);
        }
    }

    // Blocks until a whole message arrived; the view lives until the next call.
    std::string_view next_message() {
        for (;;) {
            sip::stream_frame f = framer_.next();
            if (f.kind == sip::frame_kind::message) {
                return f.bytes;
            }
            if (f.kind == sip::frame_kind::error) {
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
    SSL* ssl_ = nullptr;
    sip::stream_framer framer_;
};

}  // namespace sbc::bench
