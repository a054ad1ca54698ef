#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sip/error.hpp"
#include "sip/transport/socket_address.hpp"

namespace sbc::sip {

enum class client_cert_mode : std::uint8_t {
    none,      // do not ask for one
    optional,  // ask; verify when presented
    required,  // ask; fail the handshake without a valid one
};

// A certificate profile. TLS 1.2 and 1.3 only, always.
struct tls_profile {
    std::string cert_file;  // PEM: certificate, intermediates may follow
    std::string key_file;   // PEM private key matching cert_file
    std::string ca_file;    // PEM CA chain: trust anchors for peer certificates; also completes
                            // the chain we send when cert_file holds only the leaf
    client_cert_mode client_certs = client_cert_mode::none;  // server side
    bool verify_server = true;  // client side: peer chain against ca_file, and its name
    std::string ciphers;        // TLS 1.2 cipher list; "" = OpenSSL default
    std::string ciphersuites;   // TLS 1.3 suites; "" = OpenSSL default
};

// Server side: one or more profiles. The first is the default; SNI picks another whose
// certificate matches the requested name (X509_check_host: SAN DNS names, wildcards).
// Sessions resume through the server cache and tickets. Immutable once built: one per
// listener, shareable by loops (SSL_CTX is reference counted and thread-safe).
class tls_server_context {
  public:
    // Fails with one line naming the file or setting at fault.
    static result<std::shared_ptr<tls_server_context>, std::string> create(
        const std::vector<tls_profile>& profiles);
    ~tls_server_context();
    tls_server_context(const tls_server_context&) = delete;
    tls_server_context& operator=(const tls_server_context&) = delete;

    SSL* new_ssl() const;  // caller owns

  private:
    tls_server_context() = default;
    static int on_server_name(SSL* ssl, int* alert, void* arg);

    std::vector<SSL_CTX*> ctxs_;
    std::vector<client_cert_mode> modes_;
};

// Client side: verifies the server (chain against ca_file; name = the SNI name, or the IP we
// connect to), may present a client certificate, and keeps sessions per destination to resume.
// Holds mutable session state: one per loop thread.
class tls_client_context {
  public:
    // cert_file/key_file may be empty (no client certificate).
    static result<std::shared_ptr<tls_client_context>, std::string> create(
        const tls_profile& profile);
    ~tls_client_context();
    tls_client_context(const tls_client_context&) = delete;
    tls_client_context& operator=(const tls_client_context&) = delete;

    // A client SSL for `server_name` (sent as SNI when it is a DNS name; "" = none) at `dest`,
    // with a cached session to resume when there is one.
    SSL* new_ssl(std::string_view server_name, const socket_address& dest);
    std::size_t cached_sessions() const { return sessions_.size(); }

  private:
    tls_client_context() = default;
    static int on_new_session(SSL* ssl, SSL_SESSION* session);

    SSL_CTX* ctx_ = nullptr;
    bool verify_ = true;
    std::unordered_map<std::string, SSL_SESSION*> sessions_;
};

// The OpenSSL error queue as one line (and clears it).
std::string openssl_errors();

}  // namespace sbc::sip
