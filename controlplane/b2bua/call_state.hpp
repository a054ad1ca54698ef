#pragma once
// A call's life as a state machine: its states, the events that move it, and the one table of
// allowed transitions (controlplane/b2bua/README.md draws it). A call changes state only
// through call::apply(event); an event the table does not allow in the current state is a bug
// in the B2BUA, not something a peer can cause (peer input that does not fit the state is
// answered or dropped before it becomes an event).

#include <cstdint>
#include <optional>
#include <string_view>

namespace sbc::cp::b2bua {

// X(state, what holds in it)
#define SBC_CALL_STATES(X)                                                                        \
    X(awaiting_push, "held for a push: the INVITE waits for the mobile client's re-REGISTER")     \
    X(calling, "INVITE relayed to the callee; no dialog on the callee's leg yet")                 \
    X(early, "a provisional response with a tag: an early dialog on the callee's leg")            \
    X(answering, "the callee's 2xx is in; its SDP answer is being programmed into the dataplane") \
    X(answered, "2xx relayed to the caller, retransmitted until its ACK")                         \
    X(confirming, "the ACK carried the answer to the offer in our 2xx; it is being programmed")   \
    X(confirmed, "the call is up: re-INVITE, UPDATE, REFER and the rest happen inside it")        \
    X(ending, "the call is over: BYE sent, or the caller's INVITE got its final response")

// X(event, what happened)
#define SBC_CALL_EVENTS(X)                                                                      \
    X(early_dialog, "the callee sent a provisional response with a To tag")                     \
    X(answer, "the callee answered 2xx")                                                        \
    X(media_ready, "the dataplane acknowledged the flows of the answer (or none were needed)")  \
    X(ack, "the caller acknowledged our 2xx")                                                   \
    X(ack_with_answer, "the caller's ACK carries the answer to the offer in our 2xx")           \
    X(cancel, "the caller cancelled before the final response")                                 \
    X(push_woken, "the pushed client re-registered over a new connection: the INVITE goes out") \
    X(end, "the call ends: BYE, rejection, timeout, failure, refused media")

enum class call_state : uint8_t {
#define SBC_X(name, text) name,
    SBC_CALL_STATES(SBC_X)
#undef SBC_X
};

enum class call_event : uint8_t {
#define SBC_X(name, text) name,
    SBC_CALL_EVENTS(SBC_X)
#undef SBC_X
};

struct call_transition {
    call_state from;
    call_event event;
    call_state to;
};

// Every allowed transition; `end` is allowed from every state but `ending`.
inline constexpr call_transition call_transitions[] = {
    {call_state::awaiting_push, call_event::push_woken, call_state::calling},
    {call_state::awaiting_push, call_event::cancel, call_state::ending},
    {call_state::calling, call_event::early_dialog, call_state::early},
    {call_state::calling, call_event::answer, call_state::answering},
    {call_state::early, call_event::early_dialog, call_state::early},  // another fork's tag
    {call_state::early, call_event::answer, call_state::answering},
    {call_state::answering, call_event::media_ready, call_state::answered},
    {call_state::answered, call_event::ack, call_state::confirmed},
    {call_state::answered, call_event::ack_with_answer, call_state::confirming},
    {call_state::confirming, call_event::media_ready, call_state::confirmed},
    {call_state::calling, call_event::cancel, call_state::ending},
    {call_state::early, call_event::cancel, call_state::ending},
};

constexpr std::optional<call_state> next_state(call_state from, call_event e) {
    if (e == call_event::end) {
        return from == call_state::ending ? std::nullopt : std::optional(call_state::ending);
    }
    for (const auto& t : call_transitions) {
        if (t.from == from && t.event == e) {
            return t.to;
        }
    }
    return std::nullopt;
}

std::string_view state_name(call_state s);
std::string_view state_meaning(call_state s);
std::string_view event_name(call_event e);

}  // namespace sbc::cp::b2bua
