#include "sip/transport/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sip/transport/tls_context.hpp"

namespace sbc::sip {

tls_session::tls_session(SSL* ssl, bool server) : ssl_(ssl) {
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);  // empty means "retry", not EOF
    SSL_set_bio(ssl_, in_, out_);     // the SSL owns both now
    if (server) {
        SSL_set_accept_state(ssl_);
    } else {
        SSL_set_connect_state(ssl_);
    }
}

tls_session::~tls_session() {
    SSL_free(ssl_);
}

void tls_session::feed(const char* data, std::size_t n) {
    BIO_write(in_, data, static_cast<int>(n));
}

tls_session::status tls_session::classify(int rc) {
    switch (SSL_get_error(ssl_, rc)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return status::want_more;
        case SSL_ERROR_ZERO_RETURN:
            return status::closed;
        default: {
            const long verify = SSL_get_verify_result(ssl_);
            error_ = verify != X509_V_OK
                         ? std::string("certificate: ") + X509_verify_cert_error_string(verify)
                         : openssl_errors();
            ERR_clear_error();
            return status::failed;
        }
    }
}

tls_session::status tls_session::handshake() {
    const int rc = SSL_do_handshake(ssl_);
    return rc == 1 ? status::ok : classify(rc);
}

tls_session::status tls_session::read(std::span<char> out, std::size_t& n) {
    n = 0;
    const int rc = SSL_read(ssl_, out.data(), static_cast<int>(out.size()));
    if (rc > 0) {
        n = static_cast<std::size_t>(rc);
        return status::ok;
    }
    return classify(rc);
}

bool tls_session::write(std::string_view plain) {
    if (plain.empty()) {
        return true;
    }
    // Memory BIOs grow, so a write never stops half way.
    return SSL_write(ssl_, plain.data(), static_cast<int>(plain.size())) ==
           static_cast<int>(plain.size());
}

void tls_session::shutdown() {
    if (established()) {
        SSL_shutdown(ssl_);
        ERR_clear_error();
    }
}

bool tls_session::has_output() const {
    return BIO_ctrl_pending(out_) > 0;
}

std::string tls_session::take_output() {
    std::string wire;
    const std::size_t pending = BIO_ctrl_pending(out_);
    if (pending == 0) {
        return wire;
    }
    wire.resize(pending);
    const int n = BIO_read(out_, wire.data(), static_cast<int>(pending));
    wire.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return wire;
}

tls_peer_info tls_session::peer_info() const {
    tls_peer_info info;
    if (const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name)) {
        info.server_name = sni;
    }
    info.version = SSL_get_version(ssl_);
    if (const char* cipher = SSL_get_cipher_name(ssl_)) {
        info.cipher = cipher;
    }
    info.resumed = SSL_session_reused(ssl_) == 1;
    if (X509* cert = SSL_get0_peer_certificate(ssl_)) {
        info.peer_verified = SSL_get_verify_result(ssl_) == X509_V_OK;
        char line[512];
        X509_NAME_oneline(X509_get_subject_name(cert), line, sizeof line);
        info.subject = line;
        auto* names = static_cast<GENERAL_NAMES*>(
            X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
        if (names != nullptr) {
            for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
                const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
                if (g->type == GEN_DNS) {
                    const auto* s = g->d.dNSName;
                    info.dns_names.emplace_back(
                        reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                        static_cast<std::size_t>(ASN1_STRING_length(s)));
                }
            }
            GENERAL_NAMES_free(names);
        }
    }
    return info;
}

}  // namespace sbc::sip
