#pragma once
// The CloudLink stand-in (tools/cloudlink-standin, a real HTTPS server) as a child process of a
// test, with the test PKI (tools/pki) and its control socket.

#include <string>

#include <nlohmann/json.hpp>

namespace sbc::cp::cloudlink::test {

class standin {
  public:
    // Makes a PKI in `dir` and starts the stand-in on 127.0.0.1 with `cert` ("cloud", or
    // "rogue" for a server the CA does not vouch for).
    explicit standin(const std::string& dir, const std::string& cert = "cloud");
    ~standin();
    standin(const standin&) = delete;
    standin& operator=(const standin&) = delete;

    bool ok() const { return port_ != 0; }
    std::uint16_t port() const { return port_; }
    std::string base_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    std::string ca() const { return dir_ + "/pki/ca.crt"; }

    // One control command; {"error":...} when the stand-in cannot be asked.
    nlohmann::json control(const nlohmann::json& cmd) const;
    nlohmann::json records(bool clear = false) const;
    // Records whose path is `path`.
    std::vector<nlohmann::json> requests(const std::string& path) const;

  private:
    std::string dir_;
    int pid_ = -1;
    std::uint16_t port_ = 0;
};

// The repository's root (SBC_SOURCE_DIR, set by ctest).
std::string source_dir();

}  // namespace sbc::cp::cloudlink::test
