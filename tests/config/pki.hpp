#pragma once

#include <string>

// The files the config loader's checks are tested on, in a fresh temporary directory removed on
// destruction: ca.crt (a CA), sbc.crt/sbc.key (a leaf signed by it), other.key (the key of
// another leaf), encrypted.key (sbc.key under a passphrase), leaf_only.crt (sbc.crt, which is
// not a CA), garbage.txt (not PEM). The certificates are made by the one test PKI,
// tests/sip/transport/test_pki.hpp.

namespace sbc::config::test {

class test_pki {
  public:
    test_pki();
    ~test_pki();
    test_pki(const test_pki&) = delete;
    test_pki& operator=(const test_pki&) = delete;

    const std::string& dir() const { return dir_; }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }

  private:
    std::string dir_;
};

}  // namespace sbc::config::test
