#pragma once
// A call through the B2BUA: one object per call holding its two dialog legs (a = the caller's
// side, where the SBC is UAS; b = the callee's side, where it is UAC), its media session, the
// transactions being relayed across, and its state (call_state.hpp, drawn in README.md). What a
// call does on the wire happens in its own methods: invite_relay.cpp (the INVITE, its responses,
// the ACK), in_dialog.cpp (requests inside the call), call.cpp (sending, hang-up, timers). The
// B2BUA around it (b2bua.hpp) decides where a new call goes (call_routing.hpp), keeps the table
// (call_table.hpp) and hands each message to its call.
//
// What a call is — legs with tags, CSeqs and route sets, its OSV node, its media session id,
// the session-timer deadline, the record fields — is `call_data`: plain data that a state store
// can save and rebuild (durable.hpp). The rest is transient: transactions in flight, timers,
// events held while the dataplane programs.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/latency_histogram.hpp"
#include "common/lifetime.hpp"
#include "controlplane/b2bua/b2bua_counters.hpp"
#include "controlplane/b2bua/call_state.hpp"
#include "controlplane/b2bua/dialog_leg.hpp"
#include "controlplane/e911/location_domains.hpp"
#include "controlplane/media/media_manager.hpp"
#include "controlplane/osv_trunk.hpp"
#include "controlplane/push_device.hpp"

namespace sbc::cp::cloudlink {
class push_sender;
struct push_result;
}  // namespace sbc::cp::cloudlink

namespace sbc::cp {
class sip_service;
}
namespace sbc::cp::state {
class state_store;
}

namespace sbc::cp::b2bua {

using media::side;
using call_id_t = uint64_t;

// X(kind, direction as sbcctl and the call record say it, what it is)
#define SBC_CALL_KINDS(X)                                                                      \
    X(from_access, "access->core", "a softphone calls through OSV")                            \
    X(from_core, "core->access", "OSV calls a registered softphone's flow")                    \
    X(emergency, "core->provider",                                                             \
      "OSV sends an emergency call to a remote endpoint's core_realm_port; it leaves to the "  \
      "E911 provider's location domains (guide 12.2)")                                         \
    X(emergency_from_access, "access->core",                                                   \
      "a softphone dials an emergency number of its realm ([realm.access] emergency_numbers, " \
      "guide 12.1.2); it goes to OSV like any call, admitted first")

enum class call_kind : uint8_t {
#define SBC_X(name, direction, text) name,
    SBC_CALL_KINDS(SBC_X)
#undef SBC_X
};
std::string_view kind_name(call_kind k);
std::string_view direction_of(call_kind k);
// Both emergency kinds: admitted over the session limit, given the media port reserve, marked in
// the call record and counted in the e911 family (call_routing.hpp says the policy).
constexpr bool is_emergency(call_kind k) {
    return k == call_kind::emergency || k == call_kind::emergency_from_access;
}

// A call held for a push notification (guide 7.6, RFC 8599 §5.6.2): the mobile binding it
// waits for, and how the wait ended (the call record says it).
struct push_wait {
    push_device device;
    std::string key;     // push_key(): the AOR and the device token the re-REGISTER must carry
    std::string result;  // "waiting", "woken", "timed_out", "failed", "cancelled"
    std::string detail;  // the push id, or why the push failed
    std::chrono::system_clock::time_point since{};
    int64_t waited_ms = 0;
};

// An emergency call's way to the provider (call_kind::emergency, controlplane/e911): its remote
// endpoint, the location domains in the order they are tried (location_domains::order() when
// the call started), the one the INVITE is at, and what the ones before it answered.
struct emergency_route {
    std::size_t endpoint = 0;  // e911_service::at()
    std::vector<std::size_t> domains;
    std::size_t attempt = 0;  // index into `domains`
    std::string dialled;      // the Request-URI's user (933), kept on every domain's Request-URI
    std::string failures;     // "udp:10.1.0.10:5060: 503 Service Unavailable; tcp:...: timeout"
};

// A call as plain data (see above).
struct call_data {
    call_id_t id = 0;
    call_kind kind = call_kind::from_access;
    call_state state = call_state::calling;
    std::array<dialog_leg, 2> legs;
    media::session_id media = 0;
    std::optional<node_index> node;  // the OSV node of the core leg
    std::string route;               // why leg b goes where it goes (call_routing.cpp)
    uint32_t max_forwards = 70;      // what leg b's INVITE carried
    std::string from_aor, to_aor;
    std::chrono::system_clock::time_point started{};
    std::optional<std::chrono::system_clock::time_point> answered;
    int final_status = 0;
    std::string end_reason;
    uint32_t reinvites = 0, updates = 0, refreshes = 0;
    // RFC 4028: the interval the last refresh agreed, and when the session ends without one.
    uint32_t session_interval = 0;
    std::optional<std::chrono::system_clock::time_point> session_deadline;
    std::optional<push_wait> push;             // the call waited for a push (awaiting_push)
    std::optional<emergency_route> emergency;  // call_kind::emergency only
    // call_kind::emergency_from_access: the caller's source, whose emergency calls in progress
    // bound its admissions over the session limit (call_routing.hpp).
    std::optional<sip::socket_address> emergency_source;

    dialog_leg& leg(side s) { return legs[media::idx(s)]; }
    const dialog_leg& leg(side s) const { return legs[media::idx(s)]; }
};

// An INVITE (initial or re-INVITE) being relayed from leg `from` to the other leg.
struct invite_relay {
    side from = side::a;
    sip::transaction_id server = 0;  // on `from`'s realm
    sip::transaction_id client = 0;  // on the other realm
    uint32_t out_cseq = 0;           // its CSeq on the other leg (ACK, CANCEL, PRACK RAck)
    bool initial = false;
    bool offer_relayed = false;  // the INVITE carried an SDP offer
    bool offer_in_2xx = false;   // it did not: the 2xx carries the offer, the ACK the answer
    bool final_seen = false;     // a final response from the other leg arrived
    bool cancelled = false;      // `from` sent CANCEL
    std::string response_2xx;    // our 2xx toward `from`, retransmitted until its ACK
    std::chrono::milliseconds interval{0};
    sip::timer_id retransmit;
    sip::time_point give_up{};
    bool acked = false;  // `from` acknowledged our 2xx
    // RFC 4028: the interval the INVITE asked for, and whether its UAC does session timers; a
    // 2xx without Session-Expires then gets one (refresher=uac), as a proxy would add (§8.1).
    uint32_t requested_interval = 0;
    bool uac_timer = false;
};

// A non-INVITE request relayed across (BYE excepted), by its client transaction.
struct request_relay {
    side from = side::a;
    sip::transaction_id server = 0;
    sip::sip_method method = sip::sip_method::other;
    bool offer_relayed = false;  // UPDATE with an SDP offer
};

class call_table;

// What every call uses: the SIP side, the media manager, the settings, the counters and the
// table it lives in. Owned by the b2bua; the calls' callbacks hold `life` so that none runs
// after the b2bua is gone.
struct call_context {
    sip_service& sip;
    media::media_manager& media;
    const config::appliance& cfg;
    b2bua_counters& counters;
    latency_histogram& setup_time;  // INVITE received to 2xx relayed, answered calls
    call_table& table;
    const lifetime& life;
    cloudlink::push_sender* push = nullptr;   // none: calls to sleeping clients get 480
    cp::state::state_store* store = nullptr;  // none: calls are not kept across a restart
};

class call {
  public:
    call(call_context& ctx, call_data data) : ctx_(ctx), d_(std::move(data)) {}
    call(const call&) = delete;
    call& operator=(const call&) = delete;

    const call_data& data() const { return d_; }
    call_id_t id() const { return d_.id; }
    call_state state() const { return d_.state; }
    const dialog_leg& leg(side s) const { return d_.leg(s); }
    std::optional<node_index> node() const { return d_.node; }
    bool waiting_for_initial_answer() const {
        return state() == call_state::calling && invite_ && invite_->initial &&
               !invite_->final_seen;
    }

    // The one way a call changes state: asserts that the table allows `e` now.
    void apply(call_event e);

    // Media programming is asynchronous: while it runs, later events for the call are held so
    // they keep their order (a 200 never overtakes the 183 whose answer is being installed).
    bool programming() const { return programming_; }
    void hold(std::function<void()> fn) { held_.push_back(std::move(fn)); }
    std::optional<std::function<void()>> next_held();

    // Starting (call_setup.cpp): leg b's INVITE goes out with `offer` (our SDP for leg b, ""
    // for an INVITE without SDP); the caller's INVITE is server transaction `server`.
    void start(const sip::message& invite, sip::transaction_id server, std::string offer,
               std::chrono::milliseconds no_answer_timeout);
    void on_cancel(sip::transaction_id server);
    void on_node_down();

    // Held for a push (push_wake.cpp): the INVITE from OSV waits in awaiting_push while
    // CloudLink wakes the client; 180 toward OSV meanwhile. `wait` bounds the whole hold.
    void await_push(sip::transaction_id server, std::string offer, push_wait pw,
                    std::chrono::milliseconds wait);
    // The client re-registered over a new flow (`to`, its Contact and User-Agent): the INVITE
    // goes out on it.
    void wake(const sip::transport_target& to, const std::string& contact,
              const std::string& user_agent, std::chrono::milliseconds no_answer_timeout);

    // The INVITE relay and the ACK (invite_relay.cpp).
    void on_invite_response(const sip::message& r);
    void on_invite_failure(sip::transaction_id txn, sip::client_failure why);
    void on_ack(const sip::message& ack, side s);

    // Requests inside the call (in_dialog.cpp). saw_request: the peer's CSeq, at once (a held
    // request must not lower it).
    void saw_request(side s, uint32_t cseq);
    void on_in_dialog(side s, sip::transaction_id txn, sip::sip_method method);
    void on_request_response(sip::transaction_id client, const sip::message& r);
    void on_request_failure(sip::transaction_id client, sip::client_failure why);

    // Ended by the SBC (call.cpp).
    void on_media_timeout();
    // The softphone on leg `s` lost its connection (its flow): nothing reaches it any more.
    void on_flow_closed(side s);
    // The b2bua is going away: no timer of the call may fire.
    void cancel_timers();

  private:
    // invite_relay.cpp
    sip::outgoing_message leg_b_invite(const sip::message& msg);
    void send_invite(sip::outgoing_message&& m);
    bool fail_over();
    void invite_provisional(const sip::message& r);
    void invite_2xx(const sip::message& r);
    void answer_programmed(const sip::message& r, const media::status& st, const std::string& body);
    void invite_final(const sip::message& r);
    void ack_and_bye(side s, const sip::message& r2xx, uint32_t cseq);
    void relay_2xx(const sip::message& r, const std::string& body);
    void arm_2xx_retransmit();
    // emergency_call.cpp: the location domains of an emergency call.
    void arm_failover_timer();
    bool location_domain_failed(e911::domain_outcome outcome, std::string detail, uint16_t status);
    void emergency_answered();
    void emergency_over();
    void send_ack(side to, uint32_t cseq, const sip::outgoing_message& m);
    // in_dialog.cpp
    void on_bye(side s, sip::transaction_id txn);
    void on_reinvite(side s, sip::transaction_id txn);
    void relay_request(side s, sip::transaction_id txn);
    void refuse_offer(side s, sip::transaction_id txn, const sip::message& m,
                      const media::status& st);
    void request_response(sip::transaction_id client, const sip::message& r);
    // push_wake.cpp
    void on_push_result(const cloudlink::push_result& r);
    void cancel_push_wait();
    void end_push_wait(uint16_t code, std::string_view result, std::string detail,
                       std::string_view reason_header);
    // call.cpp
    realm_edge& edge_of(side s);
    std::string response(side s, sip::transaction_id server, uint16_t code, std::string_view reason,
                         const sip::message* crossing, std::string_view sdp, bool contact,
                         const sip::header_list& extra = {});
    bool respond(side s, sip::transaction_id server, std::string bytes);
    sip::transaction_id send_request(side s, sip::outgoing_message&& m,
                                     sip::transaction_layer::client_callbacks cb);
    void send_leg_ack(side s, std::string bytes);
    // Answers `body` from the peer on `from` through the media manager: `then` runs with the
    // outcome once the dataplane has the flows; events for the call are held meanwhile.
    void program_answer(side from, std::string_view body,
                        std::function<void(call&, const media::status&, const std::string&)> then);
    void hang_up(std::string_view reason, std::string_view reason_header,
                 std::optional<side> bye_from = std::nullopt);
    // The call is gone: the media ends, the record is written, the table forgets it. Nothing
    // may touch the call afterwards.
    void finish();
    void arm_session_timer(const sip::message& r2xx);
    void arm_session_timer(uint32_t interval);
    // durable.cpp (issue 15): the confirmed call into the state store (when it is confirmed and
    // when a refresh moves its session-timer deadline), out of it when it ends.
    void save_durable();
    void erase_durable();

    call_context& ctx_;
    call_data d_;
    std::optional<invite_relay> invite_;
    std::unordered_map<sip::transaction_id, request_relay> requests_;  // by client transaction
    std::array<std::string, 2> last_ack_;      // per leg: the last ACK for a 2xx we sent
    std::array<uint32_t, 2> last_ack_cseq_{};  // its CSeq (a retransmitted 2xx gets it again)
    bool failed_over_ = false;  // the INVITE went to the alternative node once already
    std::string offer_b_;       // the offer sent on leg b (kept for a failover retry)
    sip::timer_id session_timer_;
    sip::timer_id no_answer_timer_;
    sip::timer_id push_timer_;      // the push wait (awaiting_push)
    sip::timer_id failover_timer_;  // an emergency attempt unanswered for failover_timeout_ms
    bool programming_ = false;
    bool saved_ = false;  // a record of the call is in the state store
    std::deque<std::function<void()>> held_;
};

// What a woken client's re-REGISTER must match to release a held call: its AOR and its device
// (RFC 8599 pn-provider and pn-prid identify the device, whatever Contact it registers now).
std::string push_key(std::string_view aor, const push_device& device);

}  // namespace sbc::cp::b2bua
