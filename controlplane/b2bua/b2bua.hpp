#pragma once
// The B2BUA: every call between a remote subscriber (access realm) and OSV (core realm) is two
// dialogs with the SBC in the middle. Calls from a softphone enter as access INVITEs; calls from
// OSV to a registered softphone enter as core INVITEs to the client's flow token and leave down
// the client's live TLS connection. Nothing of one leg's Call-ID, tags, Via, Contact or
// Record-Route reaches the other (topology hiding); SDP is rewritten by the media manager, which
// programs the dataplane before an answer is relayed.
//
// Relayed end to end: provisional responses (reliable ones with RSeq; PRACK with its RAck mapped
// to the other leg's CSeq), final responses (486, the OSV digest challenge), CANCEL (487), ACK
// for 2xx (held until the side that got the 2xx acknowledges it; it carries the answer when the
// 2xx carried the offer), BYE, re-INVITE and UPDATE with or without SDP in both directions,
// REFER/NOTIFY/INFO/MESSAGE. The SBC itself ends a call on: media timeout (no RTP while not
// held), session timer expiry (RFC 4028: no refresh within the interval the 2xx agreed), a 2xx
// never acknowledged, no final answer within the no-answer time. It refuses: calls over the
// session limit (503 + Retry-After), SDP the media manager refuses (400/488 with a Warning), a
// re-INVITE or offer while one is pending (491), requests for unknown dialogs (481).

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "controlplane/b2bua/call.hpp"
#include "controlplane/media/media_manager.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp {
class mgmt_server;
}

namespace sbc::cp::b2bua {

struct b2bua_counters {
    uint64_t calls_from_access = 0, calls_from_core = 0;
    uint64_t answered = 0, failed = 0, cancelled = 0;
    uint64_t refused_capacity = 0, refused_media = 0, refused_no_node = 0;
    uint64_t reinvites = 0, updates = 0, glare_491 = 0, prack = 0, refer = 0, notify = 0;
    uint64_t other_requests = 0;
    uint64_t refreshes_answered = 0;  // UPDATE refreshes answered for a peer without UPDATE
    uint64_t byes = 0, unknown_dialog = 0;
    uint64_t media_timeouts = 0, session_timer_expiries = 0, no_ack = 0, no_answer = 0;
    uint64_t flow_closed = 0;  // calls ended because the client's connection closed
};

class b2bua {
  public:
    b2bua(sip_service& sip, media::media_manager& media, const config::appliance& cfg);
    ~b2bua();
    b2bua(const b2bua&) = delete;
    b2bua& operator=(const b2bua&) = delete;

    // Takes INVITE (both realms), in-dialog requests and ACKs from the dispatcher, and the
    // media manager's timeouts.
    void attach();
    void register_mgmt(mgmt_server& mgmt);

    // At most `limit` calls in full (the listing of 10,000 calls would not fit a mgmt answer);
    // "total" says how many there are.
    nlohmann::json calls_json(size_t limit = 200) const;
    nlohmann::json counters_json() const;
    size_t active() const { return calls_.size(); }
    const b2bua_counters& counters() const { return counters_; }
    const call* find(call_id_t id) const;

    // Timer C (RFC 3261 §16.6 step 11) for the B2BUA: no final answer within this time ends the
    // call attempt (CANCEL toward the callee, 408 toward the caller).
    // From calls.no_answer_timeout_s and calls.retry_after_s; tests shorten them.
    std::chrono::milliseconds no_answer_timeout;
    uint32_t retry_after_s;  // on 503 for the session limit

  private:
    using req_t = inbound_request;

    // entry points (call_setup.cpp)
    void on_access_invite(const req_t& req);
    void on_core_invite(const req_t& req);
    void on_client_invite(const req_t& req);
    void start_call(const req_t& req, binding* client);
    void on_cancel(const req_t& req);
    // INVITE responses and ACK (invite_relay.cpp)
    void send_invite(call& c, sip::outgoing_message&& m);
    // The initial INVITE on leg b, built from the caller's INVITE.
    sip::outgoing_message leg_b_invite(call& c, const sip::message& msg);
    bool fail_over(call& c);
    void on_invite_response(call_id_t id, const sip::message& r);
    void on_invite_failure(call_id_t id, sip::transaction_id txn, sip::client_failure why);
    void on_node_down(node_index n);
    void on_client_flow_closed(sip::connection_id id);
    void invite_response(call& c, const sip::message& r);
    void ack_and_bye(call& c, side s, const sip::message& r2xx, uint32_t cseq);
    void invite_2xx(call& c, const sip::message& r);
    void invite_final(call& c, const sip::message& r);
    void relay_2xx(call& c, const sip::message& r, const std::string& body);
    void arm_2xx_retransmit(call_id_t id);
    void on_ack(realm_id realm, sip::message&& ack, const sip::transport_context& ctx);
    void send_leg_ack(call& c, side s, std::string bytes);
    // in-dialog requests (in_dialog.cpp)
    void on_in_dialog(const req_t& req);
    void on_reinvite(call& c, side s, sip::transaction_id txn);
    void refuse_offer(call& c, side s, sip::transaction_id txn, const sip::message& m,
                      const media::status& st);
    void on_bye(call& c, side s, sip::transaction_id txn);
    void relay_request(call& c, side s, sip::transaction_id txn);
    void request_response(call& c, sip::transaction_id client, const sip::message& r);
    void on_request_response(call_id_t id, sip::transaction_id client, const sip::message& r);
    void on_request_failure(call_id_t id, sip::transaction_id client, sip::client_failure why);
    std::string map_replaces(std::string_view value, realm_id from) const;
    // the end of a call (b2bua.cpp)
    void hang_up(call& c, std::string_view reason, std::string_view reason_header,
                 std::optional<side> bye_from = std::nullopt);
    void finish(call& c);
    void arm_session_timer(call& c, const sip::message& r2xx);
    void arm_session_timer(call& c, uint32_t interval);
    void on_media_timeout(media::session_id sid);

    // helpers (b2bua.cpp)
    call* lookup(call_id_t id);
    realm_edge& edge(realm_id r) { return r == realm_id::access ? sip_.access() : sip_.core(); }
    realm_edge& edge_of(const call& c, side s) { return edge(c.leg(s).realm); }
    // Runs `fn` now, or after the media programming the call is waiting for.
    void run(call_id_t id, std::function<void(call&)> fn);
    void release(call_id_t id);
    using header_list = std::vector<std::pair<std::string, std::string>>;
    std::string response(call& c, side s, sip::transaction_id server, uint16_t code,
                         std::string_view reason, const sip::message* crossing,
                         std::string_view sdp, bool contact, const header_list& extra = {});
    bool respond(call& c, side s, sip::transaction_id server, std::string bytes);
    sip::transaction_id send_request(call& c, side s, sip::outgoing_message&& m,
                                     sip::transaction_layer::client_callbacks cb);
    void index(call& c);
    void unindex(call& c);

    sip_service& sip_;
    media::media_manager& media_;
    const config::appliance& cfg_;
    std::unordered_map<call_id_t, std::unique_ptr<call>> calls_;
    std::unordered_map<std::string, std::pair<call_id_t, side>> by_dialog_;
    std::unordered_map<uint64_t, call_id_t> by_invite_server_;  // realm<<63 | server txn
    std::unordered_map<media::session_id, call_id_t> by_media_;
    call_id_t next_id_ = 1;
    b2bua_counters counters_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sbc::cp::b2bua
