#include <grp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "config/validate.hpp"

// Checks against the host: the PEM files named by the config, the mgmt group.

namespace sbc::config::detail {
namespace {

constexpr std::size_t max_pem_bytes = 1 << 20;

struct bio_free {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct x509_free {
    void operator()(X509* x) const { X509_free(x); }
};
struct pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct pem_block {
    std::string name;
    std::string header;  // RFC 1421 headers: "Proc-Type: 4,ENCRYPTED" on legacy encrypted keys
    std::vector<unsigned char> der;
};

// The PEM blocks of a file, or the reason there are none usable.
struct pem_file {
    std::vector<pem_block> blocks;
    std::string problem;
};

pem_file read_pem(const std::string& path) {
    pem_file out;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.problem = "cannot open " + path + ": " + std::strerror(errno);
        return out;
    }
    std::string text(max_pem_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_pem_bytes) {
        out.problem = path + " is larger than 1 MiB";
        return out;
    }
    std::unique_ptr<BIO, bio_free> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    while (true) {
        char* name = nullptr;
        char* header = nullptr;
        unsigned char* data = nullptr;
        long length = 0;
        if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
            break;
        }
        out.blocks.push_back({name, header, std::vector<unsigned char>(data, data + length)});
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
    ERR_clear_error();
    if (out.blocks.empty()) {
        out.problem = path + " holds no PEM data";
    }
    return out;
}

x509_ptr parse_certificate(const pem_block& block) {
    if (block.name != PEM_STRING_X509 && block.name != PEM_STRING_X509_OLD) {
        return nullptr;
    }
    const unsigned char* p = block.der.data();
    x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(block.der.size())));
    ERR_clear_error();
    return cert;
}

// Certificates only, each parsing: a leaf (and chain) file or a CA bundle.
std::vector<x509_ptr> read_certificates(const std::string& path, std::string& problem,
                                        const char* kind) {
    pem_file file = read_pem(path);
    std::vector<x509_ptr> certs;
    if (!file.problem.empty()) {
        problem = file.problem;
        return certs;
    }
    for (std::size_t i = 0; i < file.blocks.size(); ++i) {
        x509_ptr cert = parse_certificate(file.blocks[i]);
        if (!cert) {
            problem = path + ": PEM block " + std::to_string(i + 1) + " (" + file.blocks[i].name +
                      ") is not " + kind;
            certs.clear();
            return certs;
        }
        certs.push_back(std::move(cert));
    }
    return certs;
}

pkey_ptr read_private_key(const std::string& path, std::string& problem) {
    pem_file file = read_pem(path);
    if (!file.problem.empty()) {
        problem = file.problem;
        return nullptr;
    }
    if (file.blocks.size() != 1) {
        problem = path + " must hold exactly one PEM private key, found " +
                  std::to_string(file.blocks.size()) + " PEM blocks";
        return nullptr;
    }
    const pem_block& block = file.blocks.front();
    if (block.name == PEM_STRING_PKCS8 || !block.header.empty()) {
        problem = path + " is an encrypted private key; the appliance needs it unencrypted";
        return nullptr;
    }
    const unsigned char* p = block.der.data();
    pkey_ptr key;
    if (block.name == PEM_STRING_PKCS8INF) {
        key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(block.der.size())));
    } else if (block.name == PEM_STRING_RSA || block.name == PEM_STRING_ECPRIVATEKEY) {
        int type = block.name == PEM_STRING_RSA ? EVP_PKEY_RSA : EVP_PKEY_EC;
        key.reset(d2i_PrivateKey(type, nullptr, &p, static_cast<long>(block.der.size())));
    }
    ERR_clear_error();
    if (!key) {
        problem = path + ": PEM block 1 (" + block.name + ") is not a private key";
    }
    return key;
}

bool readable(const context& ctx, const std::string& key, const std::string& value) {
    return !value.empty() && !ctx.has_error_at(key);
}

void check_certificate_profile(context& ctx, const certificate_profile& profile,
                               const std::string& path) {
    std::string problem;
    std::vector<x509_ptr> chain;
    if (readable(ctx, path + ".certificate", profile.certificate)) {
        chain = read_certificates(profile.certificate, problem, "an X509 certificate");
        if (!problem.empty()) {
            ctx.fail_at(path + ".certificate", problem);
        }
    }
    problem.clear();
    pkey_ptr key;
    if (readable(ctx, path + ".private_key", profile.private_key)) {
        key = read_private_key(profile.private_key, problem);
        if (!problem.empty()) {
            ctx.fail_at(path + ".private_key", problem);
        }
    }
    if (!chain.empty() && key && X509_check_private_key(chain.front().get(), key.get()) != 1) {
        ctx.fail_at(path + ".private_key",
                    "does not match the certificate in " + profile.certificate);
    }
    ERR_clear_error();
    if (profile.ca && readable(ctx, path + ".ca", *profile.ca)) {
        problem.clear();
        auto cas = read_certificates(*profile.ca, problem, "an X509 certificate");
        for (std::size_t i = 0; problem.empty() && i < cas.size(); ++i) {
            if (X509_check_ca(cas[i].get()) == 0) {
                problem = *profile.ca + ": certificate " + std::to_string(i + 1) +
                          " is not a CA certificate";
            }
        }
        if (!problem.empty()) {
            ctx.fail_at(path + ".ca", problem);
        }
    }
}

}  // namespace

void check_host(context& ctx, const appliance& config) {
    for (std::size_t i = 0; i < config.certificate_profiles.size(); ++i) {
        check_certificate_profile(ctx, config.certificate_profiles[i],
                                  index_path("certificate_profile", i));
    }
    if (config.cloudlink.ca && !ctx.has_error_at("cloudlink.ca")) {
        std::string problem;
        read_certificates(*config.cloudlink.ca, problem, "an X509 certificate");
        if (!problem.empty()) {
            ctx.fail_at("cloudlink.ca", problem);
        }
    }
    if (const auto& pw = config.cloudlink.proxy.password_file;
        pw && !ctx.has_error_at("cloudlink.proxy.password_file")) {
        // A secret: readable by sbcd (root), never by everyone.
        struct stat st {};
        if (::stat(pw->c_str(), &st) != 0) {
            ctx.fail_at("cloudlink.proxy.password_file",
                        "cannot read " + *pw + ": " + std::strerror(errno));
        } else if (!S_ISREG(st.st_mode)) {
            ctx.fail_at("cloudlink.proxy.password_file", *pw + " is not a regular file");
        } else if ((st.st_mode & S_IRWXO) != 0) {
            ctx.fail_at("cloudlink.proxy.password_file",
                        *pw + " is accessible to every user (chmod o-rwx)");
        }
    }
    if (!ctx.has_error_at("mgmt.group")) {
        std::vector<char> buffer(16384);
        group entry{};
        group* found = nullptr;
        int rc =
            getgrnam_r(config.mgmt.group.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (found == nullptr) {
            ctx.fail_at("mgmt.group", "no group '" + config.mgmt.group + "' on this host" +
                                          (rc != 0 ? std::string(": ") + std::strerror(rc) : ""));
        }
    }
}

}  // namespace sbc::config::detail
