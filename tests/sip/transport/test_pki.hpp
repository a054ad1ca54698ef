#pragma once
// A throw-away PKI for TLS tests, made with the OpenSSL API in a temp dir: two CAs and leaf
// certificates with chosen names, validity and issuer.

#include <string>
#include <vector>

namespace sbc::sip::test {

struct cert_files {
    std::string cert;
    std::string key;
};

class test_pki {
  public:
    explicit test_pki(std::string dir);
    ~test_pki();
    test_pki(const test_pki&) = delete;
    test_pki& operator=(const test_pki&) = delete;

    // A CA (self-signed); returns its certificate file.
    const cert_files& add_ca(const std::string& name);
    // A leaf certificate signed by the CA `issuer` (a name given to add_ca).
    // Validity is [now + not_before_days, now + not_after_days].
    cert_files add_leaf(const std::string& name, const std::string& issuer,
                        const std::vector<std::string>& dns_names,
                        const std::vector<std::string>& ip_addresses = {},
                        long not_before_days = -1, long not_after_days = 30);
    const cert_files& ca(const std::string& name) const;

  private:
    struct impl;
    impl* impl_;
    std::string dir_;
};

}  // namespace sbc::sip::test
