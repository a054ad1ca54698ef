#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/config/pki.hpp"
#include "tests/config/support.hpp"

// Files named by the config: they must exist and hold PEM of the right kind. The PKI is made
// fresh for each test with OpenSSL.

namespace sbc::config::test {
namespace {

class Files : public ::testing::Test {
  protected:
    std::string config(std::string_view cert = "sbc.crt", std::string_view key = "sbc.key",
                       std::string_view ca = "ca.crt") const {
        std::string text =
            replace(minimal_toml, "/sbc-test-pki/sbc.crt", pki.path(std::string(cert)));
        text = replace(text, "/sbc-test-pki/sbc.key", pki.path(std::string(key)));
        return replace(text, "/sbc-test-pki/ca.crt", pki.path(std::string(ca)));
    }

    test_pki pki;
};

TEST_F(Files, GeneratedPkiPasses) {
    load_result r = load(config(), true);
    ASSERT_TRUE(r.config) << describe(r);
}

TEST_F(Files, CheckFilesOffSkipsThem) {
    load_result r = load(config("missing.crt", "missing.key", "missing.crt"), false);
    ASSERT_TRUE(r.config) << describe(r);
}

TEST_F(Files, MissingFile) {
    std::string text = config("missing.crt");
    expect_one_error(load(text, true), "certificate_profile[0].certificate",
                     locate(text, "certificate = ", 14), "No such file or directory");
}

TEST_F(Files, FileThatIsNotPem) {
    std::string text = config("sbc.crt", "sbc.key", "garbage.txt");
    expect_one_error(load(text, true), "certificate_profile[0].ca", locate(text, "ca = ", 5),
                     "holds no PEM data");
}

TEST_F(Files, KeyFileGivenAsCertificate) {
    std::string text = config("sbc.key");
    expect_one_error(load(text, true), "certificate_profile[0].certificate",
                     locate(text, "certificate = ", 14),
                     "PEM block 1 (PRIVATE KEY) is not an X509 certificate");
}

TEST_F(Files, CertificateGivenAsKey) {
    std::string text = config("sbc.crt", "sbc.crt");
    expect_one_error(load(text, true), "certificate_profile[0].private_key",
                     locate(text, "private_key = ", 14), "(CERTIFICATE) is not a private key");
}

TEST_F(Files, KeyMustMatchCertificate) {
    std::string text = config("sbc.crt", "other.key");
    expect_one_error(load(text, true), "certificate_profile[0].private_key",
                     locate(text, "private_key = ", 14), "does not match the certificate");
}

TEST_F(Files, EncryptedKeyIsRefused) {
    std::string text = config("sbc.crt", "encrypted.key");
    expect_one_error(load(text, true), "certificate_profile[0].private_key",
                     locate(text, "private_key = ", 14), "encrypted");
}

TEST_F(Files, CaFileMustHoldCaCertificates) {
    std::string text = config("sbc.crt", "sbc.key", "leaf_only.crt");
    expect_one_error(load(text, true), "certificate_profile[0].ca", locate(text, "ca = ", 5),
                     "certificate 1 is not a CA certificate");
}

TEST_F(Files, CertificateChainFileMayHoldSeveralCertificates) {
    std::string chain = read_text_file(pki.path("sbc.crt")) + read_text_file(pki.path("ca.crt"));
    std::ofstream(pki.path("chain.crt")) << chain;
    load_result r = load(config("chain.crt"), true);
    ASSERT_TRUE(r.config) << describe(r);
}

TEST_F(Files, CloudlinkCaIsChecked) {
    std::string text = config() + "[cloudlink]\nca = \"" + pki.path("sbc.key") + "\"\n";
    expect_one_error(load(text, true), "cloudlink.ca",
                     locate(text, "ca = \"" + pki.path("sbc.key"), 5),
                     "is not an X509 certificate");
}

TEST_F(Files, ProxyPasswordFileMustBeReadableAndNotEveryones) {
    const std::string pw = pki.path("proxy.pass");
    std::ofstream(pw) << "s3cret\n";
    ::chmod(pw.c_str(), 0644);
    std::string text =
        config() + "[cloudlink.proxy]\nusername = \"sbc\"\npassword_file = \"" + pw + "\"\n";
    expect_one_error(load(text, true), "cloudlink.proxy.password_file", locate(text, "\"" + pw),
                     "accessible to every user");
    ::chmod(pw.c_str(), 0600);
    EXPECT_TRUE(load(text, true).config) << describe(load(text, true));
    text = replace(text, pw, pw + ".missing");
    expect_one_error(load(text, true), "cloudlink.proxy.password_file", locate(text, "\"" + pw),
                     "cannot read");
}

TEST_F(Files, MgmtGroupMustExist) {
    std::string text = config() + "[mgmt]\ngroup = \"no-such-group-sbc\"\n";
    expect_one_error(load(text, true), "mgmt.group", locate(text, "\"no-such-group-sbc\""),
                     "no group 'no-such-group-sbc' on this host");
}

TEST_F(Files, VerifyClientNeedsCa) {
    std::string text =
        replace(config(), "ca = \"" + pki.path("ca.crt") + "\"\n", "verify_client = true\n");
    expect_one_error(load(text, true), "certificate_profile[0].ca",
                     locate(text, "[[certificate_profile]]"), "required when verify_client = true");
}

}  // namespace
}  // namespace sbc::config::test
