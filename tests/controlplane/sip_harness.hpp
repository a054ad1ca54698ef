#pragma once
// In-process peers around sip_service, all on one io_loop over loopback: a fake OSV node (a
// registrar that challenges, grants, answers 503 or stays silent on demand, and can call
// clients), and SIP clients over TLS (or TCP/UDP) from a chosen 127.0.0.x source.
//
// Fakes, because the unit tests need what the real peers cannot do on demand (a node that
// answers 503 or never answers, exact control of granted expiries, the exact bytes OSV got).
// The real peers (Kamailio, baresip, SIPp) are in tests/system.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controlplane/sip_service.hpp"
#include "sip/builder.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transaction/transport_binding.hpp"
#include "sip/transport/transport_layer.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"

namespace sbc::cp::test {

using namespace std::chrono_literals;

// The digest the fake OSV demands and the clients send (the SBC must not touch it).
inline constexpr std::string_view test_credentials =
    R"(Digest username="alice", realm="pbx.local", nonce="n0nce", uri="sip:pbx.local", )"
    R"(response="0123456789abcdef0123456789abcdef", algorithm=MD5)";
inline constexpr std::string_view test_challenge =
    R"(Digest realm="pbx.local", nonce="n0nce", algorithm=MD5, qop="auth")";

struct received {
    std::string bytes;
    sip::transport_context ctx;  // ctx.tls reset (valid only in the callback)
    std::string tls_subject;     // the peer certificate's subject, TLS only
    sip::message msg() const { return std::move(sip::parse(bytes).value()); }
};

// A fake OSV node: TCP and UDP on `ip`:port.
class fake_osv {
  public:
    enum class mode { answer, silent, unavailable };

    fake_osv(sip::io_loop& loop, const std::string& ip);
    ~fake_osv();

    sip::socket_address address;
    mode registers = mode::answer;
    mode options = mode::answer;
    bool challenge = true;  // REGISTER without Authorization -> 401
    std::uint32_t max_expires = 3600;
    std::vector<received> requests;                 // every request, in order
    std::map<std::string, std::uint32_t> location;  // Contact URI -> granted expiry

    std::size_t count(std::string_view method) const;
    std::vector<received> of(std::string_view method) const;
    // Sends a request to the SBC (e.g. INVITE to a token Contact); responses land in `responses`.
    void send(const std::string& request, const sip::socket_address& sbc);
    std::vector<received> responses;
    // The first final response among `responses`.
    std::optional<received> final_response() const;
    sip::transaction_id last_sent = 0;
    bool cancel_last();

    sip::transport_layer& transports() { return *transports_; }

  private:
    void on_request(sip::transaction_id id, const sip::message& m,
                    const sip::transport_context& ctx);

    std::unique_ptr<sip::transport_layer> transports_;
    std::unique_ptr<sip::transport_binding> binding_;
    std::unique_ptr<sip::transaction_layer> txns_;
};

// A SIP client (softphone stand-in) on its own transport layer from source `ip`.
class sip_client {
  public:
    sip_client(sip::io_loop& loop, const std::string& ip, const std::string& ca_file);

    sip::socket_address source;
    std::vector<received> messages;  // everything received, responses and requests
    std::vector<sip::connection_closed> closed;
    bool answer_requests = true;  // answer requests from the SBC (200, or `answer_code`)
    std::uint16_t answer_code = 200;

    // Sends raw bytes to the SBC over `type` (TLS: SNI sbc.local, verified against the CA).
    bool send(sip::transport_type type, const sip::socket_address& to, std::string bytes);
    std::vector<received> responses() const;
    std::vector<received> requests() const;
    std::optional<received> last_response() const;
    std::size_t response_count() const { return responses().size(); }
    void close_all();
    sip::transport_layer& transports() { return transports_; }
    sip::connection_id connection = 0;

  private:
    sip::transport_layer transports_;
};

struct register_params {
    std::string user = "alice";
    std::string contact;  // default: sip:USER@SOURCE;transport=tls
    std::string call_id = "c1@client";
    std::uint32_t cseq = 1;
    std::optional<std::string> expires = "300";  // Expires header value
    std::string user_agent = "ZoomPbxPhone/6.0 (Windows)";
    bool credentials = false;
    std::string extra;           // more header lines
    std::string contact_params;  // ";+sip.instance=..." etc.
    std::string transport = "TLS";
};
std::string make_register(const sip_client& c, const register_params& p);

// sip_service from the embedded default config, moved onto loopback: access 127.0.0.1 (TLS on
// a free port, certificate from a test PKI), core 127.0.0.1 (TCP+UDP on a free port), nodes
// on 127.0.0.2 / 127.0.0.3 (fake OSVs started by the fixture).
class sbc_fixture {
  public:
    explicit sbc_fixture(config::comm_system mode = config::comm_system::simplex,
                         std::size_t nodes = 1);
    ~sbc_fixture();

    // Edit cfg before start().
    config::appliance cfg;
    bool start();
    // sbcd restarted (issue 15): the sip_service is destroyed (its connections close) and a new
    // one started on the same ports with the same fake OSVs; `before_start` runs on it first
    // (and on the first one, when set before start()).
    bool restart();
    std::function<void(sip_service&)> before_start;
    std::string start_error;

    sip::io_loop loop;
    sip::test::temp_dir dir;
    std::unique_ptr<sip::test::test_pki> pki;
    std::vector<std::unique_ptr<fake_osv>> osv;
    std::unique_ptr<sip_service> sbc;
    sip::socket_address access_tls, access_tcp, core;

    std::unique_ptr<sip_client> client(const std::string& ip = "127.0.0.1");
    template <typename Pred>
    bool run_until(Pred p, std::chrono::milliseconds limit = 5s) {
        return sip::test::run_until(loop, p, limit);
    }
    void run_for(std::chrono::milliseconds span) { sip::test::run_for(loop, span); }

    // Registers `c` through the SBC (401 then 200). True when the client got 200.
    bool register_client(sip_client& c, register_params p);

  private:
    bool start_service();
    sip_listen where_;
};

}  // namespace sbc::cp::test
