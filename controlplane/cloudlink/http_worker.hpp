#pragma once
// HTTPS for the CloudLink client without blocking the SIP loop: libcurl's multi interface runs
// on one worker thread; requests go to it through a queue and answers come back to the io_loop
// through an eventfd the loop watches, so every callback runs on the loop's thread (STYLE.md:
// share nothing, talk through queues). Name resolution, TLS handshakes, proxy CONNECT and
// slow servers all happen on the worker.
//
// Every byte from the server is hostile: bodies are capped (a bigger one aborts the transfer),
// a transfer has a total timeout, a truncated body is an error, redirects are not followed and
// only https is spoken to the server. Certificate verification is always on.

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sip/transport/io_loop.hpp"

namespace sbc::cp::cloudlink {

// Where a request goes: straight to the server, or through an HTTP proxy (CONNECT for https).
struct proxy_route {
    std::string url;  // "" = direct; else "http://host:port"
    std::string username;
    std::string password;
};

struct http_request {
    std::string method = "GET";  // GET, POST, DELETE
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    std::chrono::milliseconds timeout{10000};
    proxy_route proxy;
    std::string ca_file;  // "" = the system trust store
    std::size_t max_body_bytes = 256 * 1024;
};

struct http_response {
    int status = 0;            // 0: no HTTP answer (see error)
    std::string error;         // transport failure in one line: "connection refused", "timeout"...
    bool tls_failure = false;  // the server's certificate did not verify (or TLS failed)
    bool proxy_failure = false;  // the proxy refused (407, 403) or could not be reached
    std::string body;
    std::string content_type;
    std::optional<std::time_t> date;             // the server's Date header (RFC 9110 §6.6.1)
    std::optional<std::uint32_t> retry_after_s;  // Retry-After (RFC 9110 §10.2.3)
    std::chrono::system_clock::time_point sent_at, received_at;  // local wall clock
};

class http_worker {
  public:
    using done_fn = std::function<void(http_response)>;

    explicit http_worker(sip::io_loop& loop);
    ~http_worker();  // stops the thread; callbacks of unfinished requests never run
    http_worker(const http_worker&) = delete;
    http_worker& operator=(const http_worker&) = delete;

    // Queues `req`; `done` runs later on the loop's thread, exactly once (unless the worker is
    // destroyed first). A callback must not destroy the worker.
    void submit(http_request req, done_fn done);

    std::size_t in_flight() const { return in_flight_; }

  private:
    struct shared;
    void drain_answers();

    sip::io_loop& loop_;
    std::shared_ptr<shared> shared_;
    int event_fd_ = -1;
    sip::op_id watch_;
    std::unordered_map<std::uint64_t, done_fn> pending_;  // by request id
    std::uint64_t next_id_ = 1;
    std::size_t in_flight_ = 0;
};

}  // namespace sbc::cp::cloudlink
