// Flow table and command semantics without the EAL: idempotency, nack reasons, partner
// linking, slot reuse only after a grace period; the lock-free index under a concurrent reader.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dataplane/core/flow_index.hpp"
#include "dataplane/core/qsbr.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"
#include "tests/dataplane/support/path_harness.hpp"

using namespace sbc;
using namespace sbc::test;
using shm::event_type;
using shm::media_protocol;
using shm::nack_reason;

namespace {

// Index values that are the key's UDP port (index tests).
uint64_t port_key(uint32_t value) {
    return dp::pack_key(0, 0x0a000001, static_cast<uint16_t>(value));
}

shm::flow_spec leg(uint16_t port, uint16_t partner) {
    return make_leg(0, access_ip, port, 0, access_ip, partner, access_peer, 40000,
                    media_protocol::rtp);
}

}  // namespace

TEST(flow_control, add_update_delete_are_idempotent_with_flags) {
    harness h;
    const auto a = leg(20000, 20002);
    auto e = h.add(a);
    ASSERT_EQ(e.type, event_type::ack);
    const uint32_t slot = e.slot;
    EXPECT_EQ(h.add(a).reason, nack_reason::exists);
    EXPECT_EQ(h.add(a, shm::exist_ok).type, event_type::ack);
    EXPECT_EQ(h.control().flows(), 1u);
    EXPECT_EQ(h.update(leg(20010, 20012)).reason, nack_reason::missing);
    EXPECT_EQ(h.update(leg(20010, 20012), shm::missing_ok).type, event_type::ack);
    EXPECT_EQ(h.control().flows(), 1u);  // missing_ok update does not create
    EXPECT_EQ(h.del(a.key).type, event_type::ack);
    EXPECT_EQ(h.del(a.key).reason, nack_reason::missing);
    EXPECT_EQ(h.del(a.key, shm::missing_ok).type, event_type::ack);
    EXPECT_EQ(h.control().flows(), 0u);
    EXPECT_EQ(h.tables().counters[slot].generation % 2, 0u);  // free
}

TEST(flow_control, nack_reasons) {
    harness h;
    auto s = leg(20000, 20002);
    s.key.dpdk_port = 7;
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_port);
    s = leg(20000, 20002);
    s.key.local_addr = shm::ipv4(0x0a000005);
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_address);
    s = leg(20000, 20002);
    s.key.local_addr = shm::ipv4(core_ip);  // a media address, but on port 1
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_address);
    s = leg(20000, 20002);
    ASSERT_TRUE(shm::parse_ip("2001:db8::5", s.peer.addr));
    EXPECT_EQ(h.add(s).reason, nack_reason::unsupported_family);
    s = leg(20000, 20002);
    s.key.local_addr.family = shm::addr_family::none;
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_address);
    s = leg(20000, 20000);  // its own partner
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_spec);
    s = leg(65535, 20002);  // no room for RTCP on port + 1
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_spec);
    s.rtcp_mux = 1;
    EXPECT_EQ(h.add(s).type, event_type::ack);
    s = leg(20000, 20002);
    s.pt_rewrite_count = 9;
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_spec);
    s = leg(20000, 20002);
    s.protocol = media_protocol::srtp;
    s.rx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 1);
    s.tx = s.rx;
    s.tx.master_salt_len = 12;
    EXPECT_EQ(h.add(s).reason, nack_reason::bad_key);
    s.tx = s.rx;
    s.tx.suite = static_cast<shm::srtp_suite>(77);
    EXPECT_EQ(h.add(s).reason, nack_reason::unsupported_suite);
    // key_roll on an RTP leg, on a missing leg.
    ASSERT_EQ(h.add(leg(21000, 21002)).type, event_type::ack);
    EXPECT_EQ(h.roll(leg(21000, 21002).key, shm::key_direction::rx, s.rx).reason,
              nack_reason::bad_spec);
    EXPECT_EQ(h.roll(leg(21100, 21002).key, shm::key_direction::rx, s.rx).reason,
              nack_reason::missing);
    shm::command unknown{};
    unknown.type = static_cast<shm::command_type>(42);
    EXPECT_EQ(h.command(unknown).reason, nack_reason::unknown_command);
    // RTCP port of one flow is the RTP port of another.
    ASSERT_EQ(h.add(leg(22000, 22002)).type, event_type::ack);
    EXPECT_EQ(h.add(leg(22001, 22003)).reason, nack_reason::exists);
}

TEST(flow_control, table_full_and_slot_reuse_after_grace) {
    harness h(srtp::engine_kind::ipsecmb, 4);
    for (uint16_t i = 0; i < 4; ++i) {
        ASSERT_EQ(h.add(leg(static_cast<uint16_t>(20000 + 2 * i), 30000)).type, event_type::ack);
    }
    EXPECT_EQ(h.add(leg(20100, 30000)).reason, nack_reason::table_full);
    ASSERT_EQ(h.del(leg(20000, 30000).key).type, event_type::ack);
    // The worker has not passed a quiescent state: the slot is not free yet.
    EXPECT_EQ(h.add(leg(20100, 30000)).reason, nack_reason::table_full);
    h.tables().rcu.quiescent(0);
    h.control().reclaim();
    EXPECT_EQ(h.add(leg(20100, 30000)).type, event_type::ack);
}

TEST(flow_control, partners_link_in_either_order_and_unlink_on_delete) {
    harness h;
    const auto a = leg(20000, 20002);
    const auto b = leg(20002, 20000);
    const uint32_t sa = h.add(a).slot;
    EXPECT_EQ(h.tables().legs[sa].ctl.load()->partner, dp::no_slot);
    const uint32_t sb = h.add(b).slot;
    EXPECT_EQ(h.tables().legs[sa].ctl.load()->partner, sb);
    EXPECT_EQ(h.tables().legs[sb].ctl.load()->partner, sa);
    ASSERT_EQ(h.del(b.key).type, event_type::ack);
    EXPECT_EQ(h.tables().legs[sa].ctl.load()->partner, dp::no_slot);
    // Transfer: A is re-paired with C.
    const auto c = leg(20004, 20000);
    const uint32_t sc = h.add(c).slot;
    auto a2 = a;
    a2.partner = c.key;
    ASSERT_EQ(h.update(a2).type, event_type::ack);
    EXPECT_EQ(h.tables().legs[sa].ctl.load()->partner, sc);
    EXPECT_EQ(h.tables().legs[sc].ctl.load()->partner, sa);
}

// A leg forwards from its own control record (leg_out holds the partner's side): whatever
// changes on the partner must be republished into it, and RTCP statistics exist exactly where a
// report may be generated from them.
TEST(flow_control, partner_changes_are_copied_into_the_forwarding_record) {
    harness h;
    auto a = leg(20000, 20002);
    auto b = leg(20002, 20000);
    const uint32_t sa = h.add(a).slot;
    const uint32_t sb = h.add(b).slot;
    auto ctl = [&](uint32_t s) { return h.tables().legs[s].ctl.load(); };
    EXPECT_EQ(ctl(sa)->out.local_port, 20002);
    EXPECT_EQ(ctl(sa)->out.peer_ip, access_peer);
    EXPECT_EQ(ctl(sa)->out.media_flags, 0);
    EXPECT_EQ(ctl(sa)->stats, nullptr);
    EXPECT_EQ(ctl(sb)->stats, nullptr);
    const uint32_t epoch = ctl(sa)->out.peer_epoch;

    // B goes on hold with a new SDP peer and payload-type rewrites.
    b.media_flags = shm::media_flag::hold;
    b.peer = shm::make_endpoint(shm::ipv4(0x0a000009), 41000);
    b.pt_rewrite_count = 1;
    b.pt_rewrites[0] = {101, 96};
    ASSERT_EQ(h.update(b).type, event_type::ack);
    EXPECT_EQ(ctl(sa)->out.media_flags, shm::media_flag::hold);
    EXPECT_EQ(ctl(sa)->out.peer_ip, 0x0a000009u);
    EXPECT_EQ(ctl(sa)->out.peer_port, 41000);
    EXPECT_NE(ctl(sa)->out.peer_epoch, epoch);
    EXPECT_EQ(ctl(sa)->out.pt_rewrite_count, 1);
    EXPECT_EQ(ctl(sa)->out.pt_rewrites[0].to, 96);

    // B generates RTCP: both legs keep reception statistics (A's stream is reported as the
    // sender, B's peer's stream in the report block).
    b.rtcp = shm::rtcp_mode::generate;
    ASSERT_EQ(h.update(b).type, event_type::ack);
    ASSERT_NE(ctl(sa)->stats, nullptr);
    ASSERT_NE(ctl(sb)->stats, nullptr);
    EXPECT_TRUE(ctl(sa)->rtcp_stats && ctl(sb)->rtcp_stats);
    dp::leg_rtcp_rt* kept = ctl(sa)->stats;
    ASSERT_EQ(h.update(a).type, event_type::ack);  // republished: the same statistics
    EXPECT_EQ(ctl(sa)->stats, kept);

    // Deleting B leaves A without a partner and without anything of B's.
    ASSERT_EQ(h.del(b.key).type, event_type::ack);
    EXPECT_EQ(ctl(sa)->partner, dp::no_slot);
    EXPECT_EQ(ctl(sa)->out.local_port, 0);
    EXPECT_FALSE(ctl(sa)->rtcp_stats);
    EXPECT_EQ(ctl(sa)->stats, nullptr);
}

TEST(flow_control, snapshot_lists_installed_flows) {
    harness h;
    ASSERT_EQ(h.add(leg(20000, 20002)).type, event_type::ack);
    ASSERT_EQ(h.add(leg(20002, 20000)).type, event_type::ack);
    shm::command c{};
    c.type = shm::command_type::snapshot;
    c.seq = 77;
    const auto end = h.command(c);
    EXPECT_EQ(end.type, event_type::snapshot_end);
    EXPECT_EQ(end.count, 2u);
    ASSERT_EQ(h.replies.size(), 3u);
    EXPECT_EQ(h.replies[0].type, event_type::snapshot_flow);
    EXPECT_EQ(h.replies[0].seq, 77u);
}

// The publication scheme under load: a worker thread relays RTP for 64 calls while the main
// thread deletes, re-adds and updates their legs and reclaims. Under ASan this catches a
// control record or slot freed before the worker's grace period ended.
TEST(flow_control, legs_churn_while_a_worker_relays) {
    harness h(srtp::engine_kind::ipsecmb, 512);
    constexpr uint16_t calls = 64;
    auto access = [](uint16_t c) {
        return make_leg(0, access_ip, static_cast<uint16_t>(20000 + 2 * c), 1, core_ip,
                        static_cast<uint16_t>(30000 + 2 * c), access_peer, 40000,
                        media_protocol::rtp);
    };
    auto core = [](uint16_t c) {
        return make_leg(1, core_ip, static_cast<uint16_t>(30000 + 2 * c), 0, access_ip,
                        static_cast<uint16_t>(20000 + 2 * c), core_peer, 50000,
                        media_protocol::rtp);
    };
    for (uint16_t c = 0; c < calls; ++c) {
        ASSERT_EQ(h.add(access(c)).type, event_type::ack);
        ASSERT_EQ(h.add(core(c)).type, event_type::ack);
    }
    std::atomic<bool> done{false};
    std::atomic<uint64_t> sent{0}, bad{0};
    std::thread worker([&] {
        h.tables().rcu.online(0);
        uint16_t seq = 1;
        for (int loop = 0; loop < 2000; ++loop) {
            std::vector<frame> frames;
            for (uint16_t i = 0; i < 32; ++i) {
                const uint16_t c = static_cast<uint16_t>((loop * 32 + i) % calls);
                frames.push_back(make_frame(0, access_peer, 40000, access_ip,
                                            static_cast<uint16_t>(20000 + 2 * c),
                                            srtp::test::make_rtp(seq++, 0x1000u + c, 160)));
            }
            std::vector<dp::pkt_desc> d;
            d.reserve(frames.size());
            for (auto& f : frames) {
                d.push_back(f.desc());
            }
            h.path().process(d.data(), static_cast<uint16_t>(d.size()), h.now);
            for (const auto& x : d) {
                if (x.v == dp::verdict::transmit) {
                    ++sent;
                    const uint8_t* ip = x.data + 14;
                    if (dp::wire::load16(x.data + 12) == dp::wire::ethertype_ipv4 &&
                        (!dp::wire::ipv4_cksum_ok(ip, 20) ||
                         dp::wire::load32(ip + dp::wire::ip_dst) != core_peer)) {
                        ++bad;
                    }
                }
            }
            h.tables().rcu.quiescent(0);
        }
        h.tables().rcu.go_offline(0);
        done = true;
    });
    int rounds = 0;
    for (int round = 0; !done.load() && round < 1'000'000; ++round, ++rounds) {
        const uint16_t c = static_cast<uint16_t>(round % calls);
        h.del(core(c).key);
        h.control().reclaim();
        auto upd = access(c);
        upd.peer.port = static_cast<uint16_t>(40000 + round);
        h.update(upd);
        // The deleted slot comes back only after the worker's next quiescent state: until
        // then a fresh add may find the table full.
        while (h.add(core(c)).type != event_type::ack && !done.load()) {
            h.control().reclaim();
            std::this_thread::yield();
        }
    }
    worker.join();
    h.control().reclaim();
    // Adds that found no free slot (slots come back only after the worker's grace period) are
    // table_full; with the worker gone everything is reclaimed and they succeed.
    for (uint16_t c = 0; c < calls; ++c) {
        ASSERT_EQ(h.add(core(c), shm::exist_ok).type, event_type::ack);
    }
    EXPECT_GT(rounds, 10);
    EXPECT_GT(sent.load(), 0u);
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_EQ(h.control().flows(), 2u * calls);
}

TEST(flow_index, concurrent_reader_never_sees_a_wrong_value) {
    dp::flow_index idx(1024);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> wrong{0}, hits{0};
    // Value = low 16 bits of the key: a reader can check any hit.
    std::thread reader([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            for (uint16_t p = 1; p < 600; ++p) {
                const uint32_t v = idx.lookup(dp::pack_key(0, 0x0a000001, p));
                if (v != dp::no_slot) {
                    hits.fetch_add(1, std::memory_order_relaxed);
                    if (v != p) {
                        wrong.fetch_add(1, std::memory_order_relaxed);
                    }
                }
            }
        }
    });
    for (int round = 0; round < 200; ++round) {
        for (uint16_t p = 1; p < 600; ++p) {
            ASSERT_TRUE(idx.insert(dp::pack_key(0, 0x0a000001, p), p, port_key));
        }
        for (uint16_t p = 1; p < 600; ++p) {
            ASSERT_TRUE(idx.erase(dp::pack_key(0, 0x0a000001, p), p));
        }
    }
    stop = true;
    reader.join();
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_EQ(idx.size(), 0u);
}

TEST(qsbr, grace_period_waits_for_every_online_reader) {
    dp::qsbr q(2);
    q.online(0);
    q.online(1);
    const uint64_t t = q.start_grace();
    EXPECT_FALSE(q.passed(t));
    q.quiescent(0);
    EXPECT_FALSE(q.passed(t));
    q.go_offline(1);
    EXPECT_TRUE(q.passed(t));
}

// Seven entries per bucket: the eighth key whose first bucket is full goes to its second bucket,
// counted in the first, and every key stays findable through inserts and erases in any order;
// a full table says so.
TEST(flow_index, overflow_into_the_second_bucket_stays_findable) {
    dp::flow_index idx(4);  // room for 4 keys at 50 %: two buckets of seven
    std::vector<uint64_t> keys;
    for (uint16_t p = 2; keys.size() < 14; p += 2) {
        const uint64_t k = dp::pack_key(0, 0x0a000001, p);
        if (!idx.insert(k, p, port_key)) {
            break;
        }
        keys.push_back(k);
    }
    ASSERT_EQ(keys.size(), 14u) << "both buckets fill before an insert fails";
    EXPECT_FALSE(idx.insert(dp::pack_key(0, 0x0a000001, 1000), 1000, port_key)) << "full";
    auto check = [&](size_t from) {
        for (size_t i = from; i < keys.size(); ++i) {
            EXPECT_EQ(idx.lookup(keys[i]), static_cast<uint32_t>(keys[i] & 0xffff)) << i;
        }
    };
    check(0);
    for (size_t i = 0; i < keys.size(); i += 2) {  // every other key, from both buckets
        ASSERT_TRUE(idx.erase(keys[i], static_cast<uint32_t>(keys[i] & 0xffff)));
        EXPECT_EQ(idx.lookup(keys[i]), dp::no_slot);
    }
    for (size_t i = 1; i < keys.size(); i += 2) {
        EXPECT_EQ(idx.lookup(keys[i]), static_cast<uint32_t>(keys[i] & 0xffff)) << i;
    }
    EXPECT_FALSE(idx.erase(keys[0], 2)) << "already erased";
    EXPECT_FALSE(idx.erase(keys[1], 12345)) << "another value";
    EXPECT_EQ(idx.size(), 7u);
}

// Entries keep a 32-bit signature, not the key: two keys with one signature are told apart by
// find() with the caller's check of the slot's own key.
// Sized for N keys at <= 50 % load, the index takes all N whatever their hashes (seven-entry
// buckets filled first-fit overflow; a cuckoo step makes room when both buckets are full).
TEST(flow_index, takes_every_key_it_is_sized_for) {
    for (uint32_t n : {64u, 1000u, 40128u, 200000u}) {
        dp::flow_index idx(n);
        std::vector<uint64_t> keys;
        auto key_of = [&](uint32_t v) { return keys[v]; };
        for (uint32_t i = 0; i < n; ++i) {
            // Packed like the dataplane's: a few media addresses, even ports, RTCP on port + 1.
            const uint32_t leg = i / 2;
            keys.push_back(dp::pack_key(static_cast<uint16_t>(leg & 1), 0x0a000001 + (leg >> 1) % 8,
                                        static_cast<uint16_t>(2000 + 2 * (leg >> 4) + (i & 1))));
            ASSERT_TRUE(idx.insert(keys.back(), i, key_of)) << n << " keys: key " << i;
        }
        for (uint32_t i = 0; i < n; ++i) {
            ASSERT_EQ(idx.find(keys[i], [&](uint32_t v) { return keys[v] == keys[i]; }), i) << i;
        }
        EXPECT_EQ(idx.size(), n);
    }
}

TEST(flow_index, keys_sharing_a_signature_are_told_apart_by_find) {
    std::unordered_map<uint32_t, uint64_t> seen;
    uint64_t a = 0, b = 0;
    for (uint32_t ip = 0x0a000001; a == 0; ++ip) {
        for (uint32_t port = 1; port < 65536 && a == 0; ++port) {
            const uint64_t k = dp::pack_key(0, ip, static_cast<uint16_t>(port));
            auto [it, fresh] = seen.emplace(dp::flow_index::signature(k), k);
            if (!fresh) {
                a = it->second;
                b = k;
            }
        }
    }
    ASSERT_NE(a, b);
    dp::flow_index idx(1);  // one bucket: both keys in it
    auto key_of = [&](uint32_t v) { return v == 1 ? a : b; };
    ASSERT_TRUE(idx.insert(a, 1, key_of));
    ASSERT_TRUE(idx.insert(b, 2, key_of));
    EXPECT_EQ(idx.lookup(b), 1u) << "the first entry with the signature";
    EXPECT_EQ(idx.find(b, [](uint32_t v) { return v == 2; }), 2u);
    EXPECT_EQ(idx.find(a, [](uint32_t v) { return v == 3; }), dp::no_slot);
    ASSERT_TRUE(idx.erase(a, 1));
    EXPECT_EQ(idx.lookup(b), 2u);
}

// The process hands the tables DPDK's allocator when it has hugepages: every table and every SRTP
// record chunk comes from the allocator it is given, and goes back to it.
TEST(tables, live_in_the_memory_they_are_given) {
    struct ledger {
        size_t live = 0, calls = 0, bytes = 0;
    } book;
    dp::table_memory mem;
    mem.ctx = &book;
    mem.alloc = [](size_t bytes, size_t align, void* ctx) -> void* {
        auto& b = *static_cast<ledger*>(ctx);
        void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align);
        std::memset(p, 0, bytes);
        ++b.live;
        ++b.calls;
        b.bytes += bytes;
        return p;
    };
    mem.release = [](void* p, void* ctx) {
        --static_cast<ledger*>(ctx)->live;
        std::free(p);
    };
    {
        harness h(srtp::engine_kind::ipsecmb, 256, mem);
        EXPECT_EQ(book.calls, 3u) << "index, runtime lines, authentication accounting";
        const size_t before = book.bytes;
        auto s = leg(20000, 20002);
        s.protocol = media_protocol::srtp;
        s.rx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 1);
        s.tx = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, 2);
        ASSERT_EQ(h.add(s).type, event_type::ack);
        EXPECT_EQ(book.calls, 4u) << "the first SRTP leg makes a chunk of SRTP records";
        EXPECT_EQ(book.bytes - before, dp::srtp_records::chunk_records * sizeof(dp::srtp_record));
        EXPECT_EQ(book.live, 4u);
    }
    EXPECT_EQ(book.live, 0u);
}
