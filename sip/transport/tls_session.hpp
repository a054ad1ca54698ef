#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "sip/transport/transport_types.hpp"

namespace sbc::sip {

// One TLS connection's OpenSSL state over memory BIOs: the connection moves ciphertext between
// the socket (io_uring) and feed()/take_output(); OpenSSL never touches the fd.
class tls_session {
  public:
    enum class status : std::uint8_t { ok, want_more, closed, failed };

    // Takes ownership of `ssl` (from tls_server_context or tls_client_context).
    tls_session(SSL* ssl, bool server);
    ~tls_session();
    tls_session(const tls_session&) = delete;
    tls_session& operator=(const tls_session&) = delete;

    // Ciphertext from the network.
    void feed(const char* data, std::size_t n);
    // Drives the handshake: ok when done, want_more while it needs peer data, failed.
    status handshake();
    bool established() const { return SSL_is_init_finished(ssl_) == 1; }
    // Decrypts into `out`; `n` = bytes written. ok (n > 0), want_more, closed (close_notify),
    // failed.
    status read(std::span<char> out, std::size_t& n);
    // Encrypts `plain` (into the output).
    bool write(std::string_view plain);
    // Queues a close_notify alert.
    void shutdown();
    // Ciphertext to put on the wire (records, alerts, tickets); empties the output.
    bool has_output() const;
    std::string take_output();

    tls_peer_info peer_info() const;
    // Why the handshake or a read failed (verification result or OpenSSL errors).
    const std::string& error() const { return error_; }

  private:
    status classify(int rc);

    SSL* ssl_;
    BIO* in_;   // network -> OpenSSL
    BIO* out_;  // OpenSSL -> network
    std::string error_;
};

}  // namespace sbc::sip
