#include "tests/config/pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/sip/transport/test_pki.hpp"

namespace sbc::config::test {
namespace {

void require(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test PKI: ") + what);
    }
}

// `from` (an unencrypted PEM key) written to `to` under a passphrase, which the loader refuses.
void write_encrypted(const std::string& from, const std::string& to) {
    FILE* in = std::fopen(from.c_str(), "r");
    require(in != nullptr, "fopen key");
    EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    require(key != nullptr, "PEM_read_PrivateKey");
    FILE* out = std::fopen(to.c_str(), "w");
    static char passphrase[] = "secret";
    const bool ok =
        out != nullptr && PEM_write_PrivateKey(out, key, EVP_aes_128_cbc(),
                                               reinterpret_cast<unsigned char*>(passphrase), 6,
                                               nullptr, nullptr) == 1;
    if (out != nullptr) {
        std::fclose(out);
    }
    EVP_PKEY_free(key);
    require(ok, "PEM_write_PrivateKey");
}

}  // namespace

test_pki::test_pki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sbc-config-pki-XXXXXX");
    require(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    dir_ = pattern;

    // The certificates come from the one test PKI (tests/sip/transport/test_pki.hpp); what the
    // loader's file checks need besides them is derived here.
    sip::test::test_pki certs(dir_);
    certs.add_ca("ca");
    certs.add_leaf("sbc", "ca", {"sbc.test"});
    certs.add_leaf("other", "ca", {"other.test"});  // other.key: a key of another certificate
    std::filesystem::copy_file(path("sbc.crt"), path("leaf_only.crt"));
    write_encrypted(path("sbc.key"), path("encrypted.key"));
    std::ofstream(path("garbage.txt")) << "this is not PEM\n";
}

test_pki::~test_pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

}  // namespace sbc::config::test
