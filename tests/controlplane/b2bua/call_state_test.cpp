// The call's state machine on its own: the one transition table, what it allows and what it
// refuses.
#include "controlplane/b2bua/call_state.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sbc::cp::b2bua {
namespace {

constexpr call_state all_states[] = {
#define SBC_X(name, text) call_state::name,
    SBC_CALL_STATES(SBC_X)
#undef SBC_X
};
constexpr call_event all_events[] = {
#define SBC_X(name, text) call_event::name,
    SBC_CALL_EVENTS(SBC_X)
#undef SBC_X
};

TEST(call_state, the_initial_invite_walks_calling_to_confirmed) {
    auto s = call_state::calling;
    for (auto e :
         {call_event::early_dialog, call_event::answer, call_event::media_ready, call_event::ack}) {
        const auto next = next_state(s, e);
        ASSERT_TRUE(next.has_value()) << state_name(s) << " + " << event_name(e);
        s = *next;
    }
    EXPECT_EQ(s, call_state::confirmed);
    // The offer in our 2xx (INVITE without SDP): the ACK's answer is programmed first.
    EXPECT_EQ(next_state(call_state::answered, call_event::ack_with_answer),
              call_state::confirming);
    EXPECT_EQ(next_state(call_state::confirming, call_event::media_ready), call_state::confirmed);
}

TEST(call_state, every_state_ends_and_ending_is_final) {
    for (auto s : all_states) {
        if (s == call_state::ending) {
            for (auto e : all_events) {
                EXPECT_FALSE(next_state(s, e).has_value()) << event_name(e);
            }
            continue;
        }
        EXPECT_EQ(next_state(s, call_event::end), call_state::ending) << state_name(s);
    }
}

TEST(call_state, what_the_table_does_not_allow_is_refused) {
    // A 2xx is relayed only after its answer is in the dataplane.
    EXPECT_FALSE(next_state(call_state::answering, call_event::ack).has_value());
    EXPECT_FALSE(next_state(call_state::calling, call_event::media_ready).has_value());
    // CANCEL only before the final response.
    EXPECT_FALSE(next_state(call_state::answered, call_event::cancel).has_value());
    EXPECT_FALSE(next_state(call_state::confirmed, call_event::cancel).has_value());
    // Nothing goes back to an earlier state.
    EXPECT_FALSE(next_state(call_state::confirmed, call_event::early_dialog).has_value());
    EXPECT_FALSE(next_state(call_state::confirmed, call_event::answer).has_value());
}

TEST(call_state, names_are_distinct_and_say_something) {
    std::set<std::string_view> names;
    for (auto s : all_states) {
        EXPECT_TRUE(names.insert(state_name(s)).second);
        EXPECT_FALSE(state_meaning(s).empty());
    }
    for (auto e : all_events) {
        EXPECT_FALSE(event_name(e).empty());
    }
}

}  // namespace
}  // namespace sbc::cp::b2bua
