#include "sip/transport/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace sbc::sip {

namespace {

constexpr unsigned char session_id_context[] = "sbc-sip";

// Index of the session-cache key stored on each client SSL.
int session_key_index() {
    static const int index = SSL_get_ex_new_index(
        0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
            delete static_cast<std::string*>(ptr);
        });
    return index;
}

int verify_mode(client_cert_mode m) {
    switch (m) {
        case client_cert_mode::none:
            return SSL_VERIFY_NONE;
        case client_cert_mode::optional:
            return SSL_VERIFY_PEER;
        case client_cert_mode::required:
            return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    return SSL_VERIFY_NONE;
}

// Common settings; returns "" or the error line.
std::string configure(SSL_CTX* ctx, const tls_profile& p, bool server) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    // Client-initiated renegotiation is a cheap CPU attack on servers and useless to SIP.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Idle TLS connections (registered clients) should not pin 34 KB of buffers each.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (!p.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, p.ciphers.c_str()) != 1) {
        return "tls: invalid ciphers '" + p.ciphers + "': " + openssl_errors();
    }
    if (!p.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, p.ciphersuites.c_str()) != 1) {
        return "tls: invalid ciphersuites '" + p.ciphersuites + "': " + openssl_errors();
    }
    if (!p.cert_file.empty() || server) {
        if (SSL_CTX_use_certificate_chain_file(ctx, p.cert_file.c_str()) != 1) {
            return "tls: cannot load cert_file " + p.cert_file + ": " + openssl_errors();
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, p.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
            return "tls: cannot load key_file " + p.key_file + ": " + openssl_errors();
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            return "tls: key_file " + p.key_file + " does not match cert_file " + p.cert_file +
                   ": " + openssl_errors();
        }
    }
    if (!p.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx, p.ca_file.c_str(), nullptr) != 1) {
            return "tls: cannot load ca_file " + p.ca_file + ": " + openssl_errors();
        }
        if (server && p.client_certs != client_cert_mode::none) {
            // Name the acceptable CAs in the CertificateRequest.
            STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(p.ca_file.c_str());
            if (names != nullptr) {
                SSL_CTX_set_client_CA_list(ctx, names);
            }
        }
    } else if ((server && p.client_certs != client_cert_mode::none) ||
               (!server && p.verify_server)) {
        return "tls: ca_file is required to verify peer certificates";
    }
    return {};
}

}  // namespace

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) {
            out += "; ";
        }
        out += buf;
    }
    return out.empty() ? "unknown error" : out;
}

result<std::shared_ptr<tls_server_context>, std::string> tls_server_context::create(
    const std::vector<tls_profile>& profiles) {
    if (profiles.empty()) {
        return std::string("tls: no certificate profile");
    }
    std::shared_ptr<tls_server_context> c(new tls_server_context());
    for (const tls_profile& p : profiles) {
        SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
        if (ctx == nullptr) {
            return "tls: SSL_CTX_new: " + openssl_errors();
        }
        c->ctxs_.push_back(ctx);
        c->modes_.push_back(p.client_certs);
        if (auto err = configure(ctx, p, true); !err.empty()) {
            return err;
        }
        SSL_CTX_set_verify(ctx, verify_mode(p.client_certs), nullptr);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        // Required for resumption when client certificates are verified.
        SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof session_id_context - 1);
    }
    if (c->ctxs_.size() > 1) {
        SSL_CTX_set_tlsext_servername_callback(c->ctxs_[0], &tls_server_context::on_server_name);
        SSL_CTX_set_tlsext_servername_arg(c->ctxs_[0], c.get());
    }
    return c;
}

tls_server_context::~tls_server_context() {
    for (SSL_CTX* ctx : ctxs_) {
        SSL_CTX_free(ctx);
    }
}

SSL* tls_server_context::new_ssl() const {
    return SSL_new(ctxs_[0]);
}

int tls_server_context::on_server_name(SSL* ssl, int*, void* arg) {
    const auto* self = static_cast<const tls_server_context*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) {
        return SSL_TLSEXT_ERR_OK;  // default certificate
    }
    for (std::size_t i = 0; i < self->ctxs_.size(); ++i) {
        X509* cert = SSL_CTX_get0_certificate(self->ctxs_[i]);
        if (cert != nullptr && X509_check_host(cert, name, 0, 0, nullptr) == 1) {
            if (i != 0) {
                SSL_set_SSL_CTX(ssl, self->ctxs_[i]);
                SSL_set_verify(ssl, verify_mode(self->modes_[i]), nullptr);
            }
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

result<std::shared_ptr<tls_client_context>, std::string> tls_client_context::create(
    const tls_profile& profile) {
    std::shared_ptr<tls_client_context> c(new tls_client_context());
    c->ctx_ = SSL_CTX_new(TLS_client_method());
    if (c->ctx_ == nullptr) {
        return "tls: SSL_CTX_new: " + openssl_errors();
    }
    if (auto err = configure(c->ctx_, profile, false); !err.empty()) {
        return err;
    }
    c->verify_ = profile.verify_server;
    SSL_CTX_set_verify(c->ctx_, profile.verify_server ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(c->ctx_,
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c->ctx_, &tls_client_context::on_new_session);
    SSL_CTX_set_app_data(c->ctx_, c.get());
    return c;
}

tls_client_context::~tls_client_context() {
    for (auto& [key, session] : sessions_) {
        SSL_SESSION_free(session);
    }
    SSL_CTX_free(ctx_);
}

SSL* tls_client_context::new_ssl(std::string_view server_name, const socket_address& dest) {
    SSL* ssl = SSL_new(ctx_);
    if (ssl == nullptr) {
        return nullptr;
    }
    const std::string name(server_name);
    const bool name_is_ip = !name.empty() && socket_address::from_ip(name, 0).has_value();
    if (!name.empty() && !name_is_ip) {
        SSL_set_tlsext_host_name(ssl, name.c_str());  // RFC 6066 §3: no IP literals in SNI
    }
    if (verify_) {
        if (!name.empty() && !name_is_ip) {
            SSL_set1_host(ssl, name.c_str());
        } else {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
                                          name_is_ip ? name.c_str() : dest.ip().c_str());
        }
    }
    auto* key = new std::string(name + "|" + dest.to_string());
    SSL_set_ex_data(ssl, session_key_index(), key);
    if (auto it = sessions_.find(*key); it != sessions_.end()) {
        SSL_set_session(ssl, it->second);
    }
    return ssl;
}

int tls_client_context::on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* self = static_cast<tls_client_context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, session_key_index()));
    if (self == nullptr || key == nullptr) {
        return 0;
    }
    auto [it, inserted] = self->sessions_.emplace(*key, session);
    if (!inserted) {
        SSL_SESSION_free(it->second);
        it->second = session;
    }
    return 1;  // we keep the reference
}

}  // namespace sbc::sip
