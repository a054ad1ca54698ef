#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <map>
#include <stdexcept>

namespace sbc::sip::test {

struct test_pki::impl {
    struct authority {
        cert_files files;
        X509* cert = nullptr;
        EVP_PKEY* key = nullptr;
    };
    std::map<std::string, authority> cas;
};

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test_pki: ") + what);
    }
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

X509* make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                long not_before_days, long not_after_days) {
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), not_before_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(cert), not_after_days * 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
    (void)issuer_key;
    return cert;
}

void write_pem(const std::string& cert_path, X509* cert, const std::string& key_path,
               EVP_PKEY* key) {
    FILE* f = std::fopen(cert_path.c_str(), "w");
    check(f != nullptr, "open cert");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(key_path.c_str(), "w");
    check(f != nullptr, "open key");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
}

}  // namespace

test_pki::test_pki(std::string dir) : impl_(new impl), dir_(std::move(dir)) {}

test_pki::~test_pki() {
    for (auto& [name, ca] : impl_->cas) {
        X509_free(ca.cert);
        EVP_PKEY_free(ca.key);
    }
    delete impl_;
}

const cert_files& test_pki::add_ca(const std::string& name) {
    impl::authority a;
    a.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    check(a.key != nullptr, "keygen");
    a.cert = make_cert(name, a.key, nullptr, nullptr, -1, 365);
    add_ext(a.cert, a.cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(a.cert, a.cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(a.cert, a.cert, NID_subject_key_identifier, "hash");
    check(X509_sign(a.cert, a.key, EVP_sha256()) > 0, "sign ca");
    a.files = {dir_ + "/" + name + ".crt", dir_ + "/" + name + ".key"};
    write_pem(a.files.cert, a.cert, a.files.key, a.key);
    return impl_->cas.emplace(name, a).first->second.files;
}

const cert_files& test_pki::ca(const std::string& name) const {
    return impl_->cas.at(name).files;
}

cert_files test_pki::add_leaf(const std::string& name, const std::string& issuer,
                              const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses, long not_before_days,
                              long not_after_days) {
    const auto& ca = impl_->cas.at(issuer);
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    check(key != nullptr, "keygen");
    X509* cert = make_cert(name, key, ca.cert, ca.key, not_before_days, not_after_days);
    add_ext(cert, ca.cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert, ca.cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(cert, ca.cert, NID_ext_key_usage, "serverAuth,clientAuth");
    add_ext(cert, ca.cert, NID_authority_key_identifier, "keyid:always");
    std::string san;
    for (const auto& d : dns_names) {
        san += (san.empty() ? "DNS:" : ",DNS:") + d;
    }
    for (const auto& ip : ip_addresses) {
        san += (san.empty() ? "IP:" : ",IP:") + ip;
    }
    if (!san.empty()) {
        add_ext(cert, ca.cert, NID_subject_alt_name, san);
    }
    check(X509_sign(cert, ca.key, EVP_sha256()) > 0, "sign leaf");
    cert_files files{dir_ + "/" + name + ".crt", dir_ + "/" + name + ".key"};
    write_pem(files.cert, cert, files.key, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    return files;
}

}  // namespace sbc::sip::test
