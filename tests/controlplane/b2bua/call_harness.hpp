#pragma once
// The B2BUA in one process with its real neighbours: sip_service (both realms over TCP on
// loopback), the media manager, the B2BUA, and a live sbc-dataplane (net_null ports with the
// appliance's media addresses) reached through dataplane_link, as in sbcd. Around it, scripted
// SIP peers: a softphone on the access realm and an OSV node on the core realm. The peers are
// scripted rather than real (Kamailio, baresip, SIPp are in tests/system) because these tests
// need exact control: answer 486, stay silent, send a 183 with 100rel, race a 200 with a CANCEL.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/dataplane_link.hpp"
#include "controlplane/media/media_manager.hpp"
#include "controlplane/sip_service.hpp"
#include "sip/builder.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transaction/transport_binding.hpp"
#include "sip/transport/transport_layer.hpp"
#include "tests/dataplane/support/dp_process.hpp"

namespace sbc::cp::test {

struct received {
    std::string bytes;
    sip::transport_context ctx;
    sip::transaction_id txn = 0;  // server transaction of a request (0 for ACK)
    sip::message msg() const;
};

// A SIP user agent on loopback with its own transports and transaction layer. Requests it
// receives are recorded; `auto_answer` answers non-INVITE requests 200 (CANCEL too, and then
// the INVITE 487), INVITEs wait for the test.
class sip_peer {
  public:
    sip_peer(sip::io_loop& loop, const std::string& ip, bool fixed_port);
    ~sip_peer();

    std::string ip;
    sip::socket_address address;  // listening (TCP and UDP, same port)
    std::vector<received> requests;
    std::vector<received> acks;
    std::vector<received> responses;  // to every request this peer sent
    bool auto_answer = true;
    bool answer_register = false;  // OSV: REGISTER gets 200 with the Contact echoed
    bool answer_invites_486 = false;

    // Sends a request in a client transaction to `to` (TCP). Responses land in `responses`.
    sip::transaction_id send(const std::string& request, const sip::socket_address& to);
    // Sends raw bytes (an ACK) to `to` over TCP, reusing the connection.
    void send_raw(const std::string& bytes, const sip::socket_address& to);
    bool respond(sip::transaction_id txn, const std::string& response);
    bool cancel(sip::transaction_id client_txn);

    std::vector<received> of(std::string_view method) const;
    std::optional<received> last(std::string_view method) const;
    std::vector<received> responses_to(std::string_view method) const;
    std::optional<received> final_response(std::string_view method) const;
    // Everything this peer received, for topology checks.
    std::string everything() const;

    sip::transaction_layer& txns() { return *txns_; }

  private:
    std::unique_ptr<sip::transport_layer> transports_;
    std::unique_ptr<sip::transport_binding> binding_;
    std::unique_ptr<sip::transaction_layer> txns_;
};

// One side of a dialog as a test peer keeps it, to build requests and responses by hand.
struct peer_dialog {
    std::string call_id;
    std::string local_tag, remote_tag;
    std::string local_uri, remote_uri;  // name-addrs without tags
    std::string remote_target;
    std::string contact;   // <sip:...> of the peer
    std::string via_host;  // host:port for Via sent-by
    uint32_t cseq = 1;

    // A request in this dialog (CSeq from `cseq`, incremented for non-ACK/CANCEL requests).
    std::string request(const std::string& method, const std::string& sdp = {},
                        const std::string& extra = {}, uint32_t cseq_override = 0);
    // A response to `req`, with our tag, Contact and optional SDP body.
    std::string response(const sip::message& req, uint16_t code, const std::string& sdp = {},
                         const std::string& extra = {}) const;
    // UAS side from a received dialog-creating request.
    static peer_dialog uas(const sip::message& req, const std::string& contact);
    // UAC side: learns the remote tag and target from a response.
    void learn(const sip::message& resp);
};

// The SBC (sip_service + media + B2BUA) with a dataplane, a softphone and an OSV node.
class call_fixture {
  public:
    call_fixture();
    ~call_fixture();

    config::appliance cfg;  // edit before start()
    bool start();
    std::string error;

    sip::io_loop loop;
    sbc::test::dp_process dataplane;
    std::string instance;
    std::unique_ptr<dataplane_link> link;
    std::unique_ptr<sip_service> sip;
    std::unique_ptr<media::media_manager> media;
    std::unique_ptr<b2bua::b2bua> b2bua;
    std::unique_ptr<sip_peer> osv;
    std::unique_ptr<sip_peer> osv2;  // a second node, in cfg only when a test adds it
    std::unique_ptr<sip_peer> phone;
    sip::socket_address access_addr, core_addr;
    std::string cdr_path;

    template <typename Pred>
    bool run_until(Pred p, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (!p() && std::chrono::steady_clock::now() < end) {
            loop.run_once(std::chrono::milliseconds(5));
        }
        return p();
    }
    void run_for(std::chrono::milliseconds span) {
        const auto end = std::chrono::steady_clock::now() + span;
        while (std::chrono::steady_clock::now() < end) {
            loop.run_once(std::chrono::milliseconds(5));
        }
    }

    uint32_t flows() const { return link->client().flows_installed(); }
    std::vector<nlohmann::json> records() const;

    // The phone's INVITE toward bob (or `request_uri`: 933) via the SBC. `sdp` empty: an INVITE
    // without offer.
    std::string phone_invite(peer_dialog& d, const std::string& sdp, const std::string& extra = {},
                             const std::string& request_uri = "sip:bob@pbx.local");
    // Registers the phone (REGISTER through the SBC; OSV answers 200). Returns the token
    // Contact OSV learned, or "" on failure.
    std::string register_phone(const std::string& user = "bob");
    // OSV's INVITE to a registered client's token Contact.
    std::string osv_invite(peer_dialog& d, const std::string& token_contact, const std::string& sdp,
                           const std::string& extra = {});
    // Adds osv2 as node 2 (active-standby).
    void add_second_node();

  private:
    uint64_t tick_ = 0;
};

std::string header(const sip::message& m, std::string_view name);
bool contains(const std::string& hay, std::string_view needle);

}  // namespace sbc::cp::test
