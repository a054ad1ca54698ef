#include "tests/config/pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace sbc::config::test {
namespace {

struct pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_free {
    void operator()(X509* x) const { X509_free(x); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

void require(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test PKI: ") + what);
    }
}

pkey_ptr make_key() {
    pkey_ptr key(EVP_EC_gen("P-256"));
    require(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    require(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

x509_ptr make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                   long serial) {
    x509_ptr cert(X509_new());
    require(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 365);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509* signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    add_extension(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (ca) {
        add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    require(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

template <class F>
void write_with(const std::string& path, F&& write) {
    FILE* f = std::fopen(path.c_str(), "w");
    require(f != nullptr, "fopen");
    bool ok = write(f);
    std::fclose(f);
    require(ok, "PEM write");
}

}  // namespace

test_pki::test_pki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sbc-config-pki-XXXXXX");
    require(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    dir_ = pattern;

    pkey_ptr ca_key = make_key();
    x509_ptr ca = make_cert(ca_key.get(), "sbc test CA", nullptr, nullptr, true, 1);
    pkey_ptr leaf_key = make_key();
    x509_ptr leaf = make_cert(leaf_key.get(), "sbc.test", ca.get(), ca_key.get(), false, 2);
    pkey_ptr other_key = make_key();

    write_with(path("ca.crt"), [&](FILE* f) { return PEM_write_X509(f, ca.get()) == 1; });
    write_with(path("sbc.crt"), [&](FILE* f) { return PEM_write_X509(f, leaf.get()) == 1; });
    write_with(path("leaf_only.crt"), [&](FILE* f) { return PEM_write_X509(f, leaf.get()) == 1; });
    write_with(path("sbc.key"), [&](FILE* f) {
        return PEM_write_PrivateKey(f, leaf_key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    });
    write_with(path("other.key"), [&](FILE* f) {
        return PEM_write_PrivateKey(f, other_key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    });
    write_with(path("encrypted.key"), [&](FILE* f) {
        static char passphrase[] = "secret";
        return PEM_write_PrivateKey(f, leaf_key.get(), EVP_aes_128_cbc(),
                                    reinterpret_cast<unsigned char*>(passphrase), 6, nullptr,
                                    nullptr) == 1;
    });
    std::ofstream(path("garbage.txt")) << "this is not PEM\n";
}

test_pki::~test_pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

}  // namespace sbc::config::test
