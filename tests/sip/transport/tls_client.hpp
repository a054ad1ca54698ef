#pragma once
// A TLS client on a plain non-blocking socket (OpenSSL, same thread as the loop under test), for
// tests that need to control exactly which bytes go out when: a trickle, a request cut short, a
// handshake and then silence.

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "sip/transport/socket_address.hpp"

namespace sbc::sip::test {

class tls_client {
  public:
    // Connects (TCP) to `to` and prepares a TLS client that verifies the server against
    // `ca_file`; the handshake runs in handshake().
    tls_client(const socket_address& to, const std::string& ca_file);
    ~tls_client();
    tls_client(const tls_client&) = delete;
    tls_client& operator=(const tls_client&) = delete;

    // One non-blocking step of the handshake; true once it is done. Run the server's loop in
    // between (test::run_until).
    bool handshake();
    bool failed() const { return failed_; }
    // Writes the bytes as TLS records (one SSL_write); false once the peer has gone.
    bool send(std::string_view bytes);
    // Reads what is there (non-blocking); eof() once the peer closed (close_notify or TCP).
    void pump();
    bool eof() const { return eof_; }
    const std::string& received() const { return received_; }

  private:
    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    bool done_ = false;
    bool failed_ = false;
    bool eof_ = false;
    std::string received_;
};

}  // namespace sbc::sip::test
