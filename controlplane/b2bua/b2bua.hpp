#pragma once
// The B2BUA: every call between a remote subscriber (access realm) and OSV (core realm) is two
// dialogs with the SBC in the middle. Calls from a softphone enter as access INVITEs; calls from
// OSV to a registered softphone enter as core INVITEs to the client's flow token and leave down
// the client's live TLS connection. Nothing of one leg's Call-ID, tags, Via, Contact or
// Record-Route reaches the other (topology hiding); SDP is rewritten by the media manager, which
// programs the dataplane before an answer is relayed.
//
// This class is the front door: it takes requests from the dispatcher, decides where a new
// call goes (call_router), creates the call and hands every later message to it through the
// call table. What a call does is the call's (call.hpp); its life is a state machine
// (call_state.hpp; README.md draws it).
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

#include <nlohmann/json.hpp>

#include "common/lifetime.hpp"
#include "controlplane/b2bua/b2bua_counters.hpp"
#include "controlplane/b2bua/call.hpp"
#include "controlplane/b2bua/call_routing.hpp"
#include "controlplane/b2bua/call_table.hpp"
#include "controlplane/media/media_manager.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp {
class mgmt_server;
}

namespace sbc::cp::b2bua {

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
    // Calls from OSV to a push client without a live connection are held and the client woken
    // through `push` (guide 7.6); without it they get 480 at once.
    void use_push(cloudlink::push_sender& push) { ctx_.push = &push; }
    // Issue 15: confirmed calls are written to `store` and erased when they end (durable.hpp).
    void use_store(cp::state::state_store* store) { ctx_.store = store; }

    // At most `limit` calls in full (the listing of 10,000 calls would not fit a mgmt answer);
    // "total" says how many there are.
    nlohmann::json calls_json(size_t limit = 200) const;
    nlohmann::json counters_json() const;
    size_t active() const { return table_.size(); }
    const b2bua_counters& counters() const { return counters_; }
    // Set-up time of answered calls: the caller's INVITE to the 2xx relayed to it.
    const latency_histogram& setup_time() const { return setup_time_; }
    const call* find(call_id_t id) const { return table_.find(id); }

    // Timer C (RFC 3261 §16.6 step 11) for the B2BUA: no final answer within this time ends the
    // call attempt (CANCEL toward the callee, 408 toward the caller).
    // From calls.no_answer_timeout_s and calls.retry_after_s; tests shorten them.
    std::chrono::milliseconds no_answer_timeout;
    uint32_t retry_after_s;  // on 503 for the session limit
    // How long a call held for a push waits for the client's re-REGISTER (push.invite_wait_s).
    std::chrono::milliseconds push_invite_wait;

  private:
    using req_t = inbound_request;

    // New calls and CANCEL (call_setup.cpp).
    void on_access_invite(const req_t& req);
    void on_core_invite(const req_t& req);
    void on_client_invite(const req_t& req);
    void start_call(const req_t& req, binding* client);
    void on_cancel(const req_t& req);
    // A push client's binding has a live flow again (push_wake.cpp): held calls go out on it.
    void on_flow_attached(const binding& b);
    // Everything else for a call, handed to it.
    void on_in_dialog(const req_t& req);
    void on_ack(realm_id realm, sip::message&& ack);
    void on_node_down(node_index n);
    void on_client_flow_closed(sip::connection_id id);
    void on_media_timeout(media::session_id sid);

    sip_service& sip_;
    media::media_manager& media_;
    const config::appliance& cfg_;
    b2bua_counters counters_;
    latency_histogram setup_time_;
    call_table table_;
    call_router router_;
    call_context ctx_;
    lifetime life_;  // last: callbacks stop first
};

}  // namespace sbc::cp::b2bua
