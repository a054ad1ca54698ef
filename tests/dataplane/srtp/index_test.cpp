// RFC 3711 §3.3.1 index estimation (Appendix A) and §3.3.2 replay windows, on the plain state
// records, without crypto.

#include <gtest/gtest.h>

#include "dataplane/srtp/detail/index.hpp"

namespace sbc::srtp::detail {

namespace {

rtp_index_state at(uint32_t roc, uint16_t s_l, uint32_t ssrc = 1) {
    return rtp_index_start(ssrc, (int64_t{roc} << 16) | s_l);
}

int64_t idx(uint32_t roc, uint16_t seq) {
    return (int64_t{roc} << 16) | seq;
}

TEST(IndexEstimate, FollowsAppendixA) {
    EXPECT_EQ(estimate_index(at(0, 100), 101), idx(0, 101));
    EXPECT_EQ(estimate_index(at(0, 100), 50), idx(0, 50));
    EXPECT_EQ(estimate_index(at(0, 65535), 0), idx(1, 0));            // wrap: ROC + 1
    EXPECT_EQ(estimate_index(at(0, 65000), 200), idx(1, 200));        // wrap with a gap
    EXPECT_EQ(estimate_index(at(1, 5), 65530), idx(0, 65530));        // late packet from ROC 0
    EXPECT_EQ(estimate_index(at(0, 5), 65530), -1);                   // would be ROC -1
    EXPECT_EQ(estimate_index(at(7, 40000), 100), idx(8, 100));        // s_l >= 2^15, seq far below
    EXPECT_EQ(estimate_index(at(7, 40000), 8000), idx(7, 8000));      // within 2^15 behind
    EXPECT_EQ(estimate_index(at(7, 100), 32868), idx(7, 32868));      // exactly 2^15 ahead
    EXPECT_EQ(estimate_index(at(7, 100), 32869), idx(6, 32869));      // just beyond: older ROC
    EXPECT_GT(estimate_index(at(0xffffffffu, 65535), 0), max_index);  // ROC would overflow
}

TEST(ReplayWindow, DuplicatesTooOldAndTheEdge) {
    rtp_index_state st = at(0, 1000);
    EXPECT_FALSE(rtp_index_fresh(st, idx(0, 1000)));  // duplicate of the highest
    EXPECT_TRUE(rtp_index_fresh(st, idx(0, 1001)));
    EXPECT_TRUE(rtp_index_fresh(st, idx(0, 1000 - 127)));   // last slot of the window
    EXPECT_FALSE(rtp_index_fresh(st, idx(0, 1000 - 128)));  // just outside: too old
    rtp_index_accept(st, idx(0, 990));                      // out of order, accepted once
    EXPECT_FALSE(rtp_index_fresh(st, idx(0, 990)));
    EXPECT_EQ(st.s_l, 1000);  // an older packet does not move s_l
    rtp_index_accept(st, idx(0, 1100));
    EXPECT_EQ(st.s_l, 1100);
    EXPECT_FALSE(rtp_index_fresh(st, idx(0, 1000)));  // still remembered after the shift
    EXPECT_FALSE(rtp_index_fresh(st, idx(0, 990)));   // 110 behind, remembered
    EXPECT_TRUE(rtp_index_fresh(st, idx(0, 995)));
    rtp_index_accept(st, idx(0, 1100 + 500));  // a jump beyond the window clears it
    EXPECT_TRUE(rtp_index_fresh(st, idx(0, 1600 - 100)));
    EXPECT_FALSE(rtp_index_fresh(st, idx(0, 1600 - 128)));
    EXPECT_FALSE(rtp_index_fresh(st, -1));
}

TEST(ReplayWindow, ReorderingAroundTheWrap) {
    rtp_index_state st = at(0, 65533);
    for (uint16_t seq : {65535, 0, 65534, 2, 1, 65532}) {
        int64_t i = estimate_index(st, seq);
        ASSERT_TRUE(rtp_index_fresh(st, i)) << seq;
        rtp_index_accept(st, i);
    }
    EXPECT_EQ(st.roc, 1u);
    EXPECT_EQ(st.s_l, 2);
    for (uint16_t seq : {65535, 0, 65534, 2, 1, 65532, 65533}) {
        EXPECT_FALSE(rtp_index_fresh(st, estimate_index(st, seq))) << seq;
    }
    EXPECT_EQ(estimate_index(st, 65531), idx(0, 65531));
    EXPECT_TRUE(rtp_index_fresh(st, idx(0, 65531)));
}

TEST(SsrcChange, NewSsrcStartsItsOwnIndexAndPreviousIsKept) {
    rtp_index_state cur{};
    rtp_index_state prev{};
    uint8_t ev = 0;
    ASSERT_TRUE(commit_rtp_index(cur, prev, 0xa, idx(0, 65000), ev));
    EXPECT_EQ(ev, ssrc_learned);
    int64_t i = estimate_index(cur, 10);  // wraps: ROC 1
    ASSERT_TRUE(commit_rtp_index(cur, prev, 0xa, i, ev = 0));
    EXPECT_EQ(ev, 0);
    EXPECT_EQ(cur.roc, 1u);

    // B appears: a fresh index space at ROC 0.
    index_guess g = guess_rtp_index(cur, prev, 0xb, 30000);
    EXPECT_EQ(g.match, ssrc_match::fresh);
    EXPECT_EQ(g.index, 30000);
    ASSERT_TRUE(commit_rtp_index(cur, prev, 0xb, g.index, ev = 0));
    EXPECT_EQ(ev, ssrc_changed);
    EXPECT_EQ(cur.ssrc, 0xbu);
    EXPECT_EQ(prev.ssrc, 0xau);

    // Back to A: its ROC and window come back; a replay of A's last packet is refused.
    g = guess_rtp_index(cur, prev, 0xa, 10);
    EXPECT_EQ(g.match, ssrc_match::previous);
    EXPECT_FALSE(g.fresh_ok);
    g = guess_rtp_index(cur, prev, 0xa, 11);
    EXPECT_EQ(g.index, idx(1, 11));
    ASSERT_TRUE(commit_rtp_index(cur, prev, 0xa, g.index, ev = 0));
    EXPECT_EQ(ev, ssrc_changed);
    EXPECT_EQ(cur.ssrc, 0xau);
    EXPECT_EQ(cur.roc, 1u);
    EXPECT_EQ(prev.ssrc, 0xbu);

    // A third SSRC pushes the oldest (B) out.
    ASSERT_TRUE(commit_rtp_index(cur, prev, 0xc, 5, ev = 0));
    EXPECT_EQ(prev.ssrc, 0xau);
}

TEST(SsrcChange, CommitRechecksReplayInsideABurst) {
    rtp_index_state cur = at(0, 100);
    rtp_index_state prev{};
    uint8_t ev = 0;
    EXPECT_TRUE(commit_rtp_index(cur, prev, 1, idx(0, 101), ev));
    EXPECT_FALSE(commit_rtp_index(cur, prev, 1, idx(0, 101), ev));  // same burst duplicate
}

TEST(RtcpWindow, IndexReplayAndSsrcReset) {
    rtcp_index_state st{};
    EXPECT_TRUE(rtcp_index_fresh(st, 7, 1));
    ASSERT_TRUE(commit_rtcp_index(st, 7, 1));
    EXPECT_FALSE(rtcp_index_fresh(st, 7, 1));
    ASSERT_TRUE(commit_rtcp_index(st, 7, 5));
    EXPECT_TRUE(rtcp_index_fresh(st, 7, 3));  // out of order
    ASSERT_TRUE(commit_rtcp_index(st, 7, 3));
    EXPECT_FALSE(commit_rtcp_index(st, 7, 3));
    ASSERT_TRUE(commit_rtcp_index(st, 7, 300));
    EXPECT_TRUE(rtcp_index_fresh(st, 7, 300 - 127));
    EXPECT_FALSE(rtcp_index_fresh(st, 7, 300 - 128));
    EXPECT_TRUE(rtcp_index_fresh(st, 8, 1));  // another sender: its own index
    ASSERT_TRUE(commit_rtcp_index(st, 8, 1));
    EXPECT_EQ(st.ssrc, 8u);
    EXPECT_EQ(st.index, 1u);
}

}  // namespace
}  // namespace sbc::srtp::detail
