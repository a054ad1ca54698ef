#pragma once
// A call through the B2BUA: two dialog legs (a = the caller's side, where the SBC is UAS; b =
// the callee's side, where it is UAC), the media session between them, and the transactions
// being relayed across. Owned by the b2bua's call table; everything refers to a call by id.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "controlplane/b2bua/dialog_leg.hpp"
#include "controlplane/media/media_manager.hpp"
#include "controlplane/osv_trunk.hpp"

namespace sbc::cp::b2bua {

using media::side;
using call_id_t = uint64_t;

enum class call_state : uint8_t {
    calling,    // initial INVITE relayed, no dialog on leg b yet
    early,      // a provisional response with a tag (early dialog)
    answered,   // 2xx relayed to the caller, its ACK not yet seen
    confirmed,  // ACK seen: the call is up
    ending,     // BYE sent on the legs
};
const char* state_name(call_state s);

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
    std::string ack_out;  // the ACK for the other leg, sent when `from` acknowledges
    bool ack_sent = false;
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

struct call {
    call_id_t id = 0;
    media::session_id media = 0;
    std::array<dialog_leg, 2> legs;
    call_state state = call_state::calling;
    std::optional<invite_relay> invite;
    std::unordered_map<sip::transaction_id, request_relay> requests;  // by client transaction
    std::array<std::string, 2> last_ack;      // per leg: the last ACK for a 2xx we sent
    std::array<uint32_t, 2> last_ack_cseq{};  // its CSeq (a retransmitted 2xx gets it again)
    std::optional<node_index> node;           // the OSV node of the core leg
    bool failed_over = false;  // the INVITE went to the alternative node once already
    std::string offer_b;       // the offer sent on leg b (kept for a failover retry)
    uint32_t max_forwards = 70;
    std::string direction;  // "access->core", "core->access"

    // RFC 4028: the interval the last refresh agreed, and the timer that ends the call.
    uint32_t session_interval = 0;
    sip::timer_id session_timer;
    sip::timer_id no_answer_timer;

    // Media programming is asynchronous: while it runs, later events for the call wait here so
    // they keep their order (a 200 never overtakes the 183 whose answer is being installed).
    bool busy = false;
    std::deque<std::function<void()>> deferred;

    // For sbcctl and the call record.
    std::string from_aor, to_aor;
    std::chrono::system_clock::time_point started;
    std::optional<std::chrono::system_clock::time_point> answered;
    int final_status = 0;
    std::string end_reason;
    uint32_t reinvites = 0, updates = 0, refreshes = 0;

    dialog_leg& leg(side s) { return legs[media::idx(s)]; }
    const dialog_leg& leg(side s) const { return legs[media::idx(s)]; }
};

}  // namespace sbc::cp::b2bua
