#pragma once
// The Prometheus scrape endpoint: plain HTTP/1.x on the mgmt address (`mgmt.metrics_address`,
// `mgmt.metrics_port`), served on sbcd's io_loop. `GET /metrics` answers the exposition page and
// closes; anything else is answered 400/404/405/431 and closed.
//
// A scraper is a peer like any other: the endpoint bounds what one can cost. At most
// `max_connections` at once (more are closed at accept), a request head of at most
// `max_request_bytes` (431), the whole exchange within `request_timeout` from accept (a slow
// sender or a reader that never drains the answer is closed: slowloris), and nothing a scraper
// sends can throw out of the loop's callback.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/counters.hpp"
#include "common/lifetime.hpp"
#include "controlplane/result.hpp"
#include "sip/transport/io_loop.hpp"

namespace sbc::cp::metrics {

// X(name, kind, unit, help) (common/counters.hpp)
#define SBC_METRICS_HTTP_COUNTERS(X)                                                           \
    X(scrapes, counter, "", "GET /metrics answered 200")                                       \
    X(connections, gauge, "", "scrape connections open now")                                   \
    X(refused_connections, counter, "", "connections closed at accept: over the limit")        \
    X(bad_requests, counter, "", "requests answered 400, 404, 405: not GET /metrics HTTP/1.x") \
    X(oversize_requests, counter, "", "request heads over the size limit, answered 431")       \
    X(timeouts, counter, "", "connections closed: the exchange did not finish in time")

SBC_COUNTER_FAMILY(http_counters, "metrics_http", SBC_METRICS_HTTP_COUNTERS);

struct endpoint_limits {
    std::size_t max_connections = 8;
    std::size_t max_request_bytes = 8192;
    std::chrono::milliseconds request_timeout{5000};
};

class metrics_endpoint {
  public:
    using render_fn = std::function<std::string()>;

    metrics_endpoint(sip::io_loop& loop, render_fn render, endpoint_limits limits = {});
    ~metrics_endpoint();
    metrics_endpoint(const metrics_endpoint&) = delete;
    metrics_endpoint& operator=(const metrics_endpoint&) = delete;

    // Listens on address:port (port 0: any free port, for tests). The error names the setting.
    cp::status open(const std::string& address, std::uint16_t port);
    void close();

    std::uint16_t port() const { return port_; }
    const http_counters& counters() const { return counters_; }

  private:
    struct connection {
        int fd = -1;
        sip::op_id watch;
        sip::timer_id deadline;
        std::string in;
        std::string out;
        std::size_t sent = 0;
        bool answered = false;
    };
    void accept_ready();
    void readable(std::uint64_t id);
    void writable(std::uint64_t id);
    void answer(connection& c);
    void drop(std::uint64_t id);

    sip::io_loop& loop_;
    render_fn render_;
    endpoint_limits limits_;
    int listen_fd_ = -1;
    sip::op_id listen_watch_;
    std::uint16_t port_ = 0;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<connection>> conns_;
    http_counters counters_;
    lifetime life_;
};

}  // namespace sbc::cp::metrics
