#pragma once
// The mgmt protocol between sbcctl (and scripts) and sbcd: newline-delimited JSON over a unix
// stream socket. A request is {"v":1,"command":"status","args":{...}}; the answer is
// {"ok":true,"result":{...}} or {"ok":false,"error":"one line an operator can act on"}.

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sbc::mgmt {

inline constexpr int protocol_version = 1;
inline constexpr size_t max_line_bytes = 1 << 20;  // requests and answers are far smaller

struct request {
    std::string command;
    nlohmann::json args = nlohmann::json::object();
};

struct response {
    bool ok = false;
    nlohmann::json result;
    std::string error;
};

std::string encode(const request& r);
std::string encode(const response& r);

// Parse one line. Malformed input yields a value with `ok == false` / an error message; never
// throws.
bool decode(std::string_view line, request& out, std::string& error);
bool decode(std::string_view line, response& out, std::string& error);

// A blocking client for one request at a time (sbcctl, tests).
class client {
  public:
    client() = default;
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Connects to sbcd's socket. On failure returns false with a message naming the path.
    bool connect(const std::string& socket_path, std::string& error);
    // Sends one request and waits up to `timeout` for its answer.
    bool call(const request& req, response& resp, std::string& error,
              std::chrono::milliseconds timeout = std::chrono::seconds(5));

  private:
    int fd_ = -1;
    std::string path_;
    std::string pending_;
};

}  // namespace sbc::mgmt
