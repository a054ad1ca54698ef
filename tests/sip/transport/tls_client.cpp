#include "tls_client.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace sbc::sip::test {

tls_client::tls_client(const socket_address& to, const std::string& ca_file) {
    fd_ = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, to.sa(), to.size()) != 0) {
        throw std::runtime_error("tls_client: connect " + to.to_string() + " failed");
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_connect_state(ssl_);
}

tls_client::~tls_client() {
    if (ssl_ != nullptr) {
        SSL_free(ssl_);
    }
    if (ctx_ != nullptr) {
        SSL_CTX_free(ctx_);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool tls_client::handshake() {
    if (done_ || failed_) {
        return done_;
    }
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) {
        done_ = true;
        return true;
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        failed_ = true;
    }
    return false;
}

bool tls_client::send(std::string_view bytes) {
    if (!done_ || eof_) {
        return false;
    }
    // Loopback takes a test's few kilobytes at once; retry briefly if it does not.
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const int rc = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
        if (rc == static_cast<int>(bytes.size())) {
            return true;
        }
        const int err = SSL_get_error(ssl_, rc);
        if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) {
            return false;
        }
    }
    return false;
}

void tls_client::pump() {
    char buf[16384];
    for (;;) {
        const int rc = SSL_read(ssl_, buf, sizeof buf);
        if (rc > 0) {
            received_.append(buf, static_cast<std::size_t>(rc));
            continue;
        }
        const int err = SSL_get_error(ssl_, rc);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            eof_ = true;
        }
        return;
    }
}

}  // namespace sbc::sip::test
