// An established call as the state store keeps it (issue 15): both legs' dialogs, the record
// fields, the session-timer deadline, the emergency route and the dataplane flows read back the
// same; a record that is not one we wrote — cut at any byte, bytes flipped, another record
// version or dataplane contract, oversize counts — is refused with a reason, never read past
// its end (ASan build) and never thrown.
#include "controlplane/b2bua/durable.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "controlplane/state/record_codec.hpp"

namespace sbc::cp::b2bua {
namespace {

using namespace std::chrono_literals;
using wall = std::chrono::system_clock::time_point;

dialog_leg leg(realm_id realm, std::string call_id, std::string hop) {
    dialog_leg l;
    l.realm = realm;
    l.call_id = std::move(call_id);
    l.local_tag = "lt-" + l.call_id;
    l.remote_tag = "rt-" + l.call_id;
    l.local_party = "<sip:sbc@example.net>";
    l.remote_party = "\"Al\xc3\xad" "ce\" <sip:alice@pbx.local>";  // UTF-8 í
    l.local_cseq = 3;
    l.remote_cseq = 102;
    l.remote_target = "sip:alice@192.0.2.10:50123;transport=tls";
    l.route_set = {"<sip:10.2.0.2;lr>", "<sip:10.2.0.3;lr;transport=tcp>"};
    l.next_hop.type = sip::transport_type::tls;
    l.next_hop.address = *sip::socket_address::parse(hop);
    l.next_hop.server_name = "client.example";
    l.next_hop.connection = 77;  // not kept: it died with the process
    l.contact = "<sip:sbc@203.0.113.5:5061;transport=tls>";
    l.user_agent = "ZoomPbxPhone/6.0";
    l.remote_address = "192.0.2.10:50123";
    l.allows_update = false;
    return l;
}

shm::flow_spec flow(uint16_t port, uint64_t cookie) {
    shm::flow_spec f{};
    f.key.dpdk_port = 0;
    f.key.local_port = port;
    f.protocol = shm::media_protocol::srtp;
    f.rx.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    f.rx.master_key_len = 16;
    f.rx.master_salt_len = 14;
    for (uint8_t i = 0; i < 16; ++i) {
        f.rx.master_key[i] = static_cast<uint8_t>(i * 7 + port);
    }
    f.cookie = cookie;
    return f;
}

durable_call sample() {
    durable_call c;
    call_data& d = c.data;
    d.id = 42;
    d.kind = call_kind::from_access;
    d.state = call_state::confirmed;
    d.legs[0] = leg(realm_id::access, "a-leg@client", "192.0.2.10:50123");
    d.legs[1] = leg(realm_id::core, "b-leg@sbc", "10.2.0.2:5060");
    d.legs[1].next_hop.type = sip::transport_type::tcp;
    d.media = 9;
    c.node = "osv1";
    d.route = "caller's registration node";
    d.max_forwards = 69;
    d.from_aor = "sip:alice@pbx.local";
    d.to_aor = "sip:bob@pbx.local";
    d.started = wall(1'800'000'000'000ms);
    d.answered = d.started + 3s;
    d.final_status = 200;
    d.reinvites = 1;
    d.updates = 2;
    d.refreshes = 3;
    d.session_interval = 1800;
    d.session_deadline = d.started + 1800s;
    c.flows = {flow(20000, 0x100000001), flow(30000, 0x100000002)};
    return c;
}

void expect_same_leg(const dialog_leg& a, const dialog_leg& b) {
    EXPECT_EQ(a.realm, b.realm);
    EXPECT_EQ(a.call_id, b.call_id);
    EXPECT_EQ(a.local_tag, b.local_tag);
    EXPECT_EQ(a.remote_tag, b.remote_tag);
    EXPECT_EQ(a.local_party, b.local_party);
    EXPECT_EQ(a.remote_party, b.remote_party);
    EXPECT_EQ(a.local_cseq, b.local_cseq);
    EXPECT_EQ(a.remote_cseq, b.remote_cseq);
    EXPECT_EQ(a.remote_target, b.remote_target);
    EXPECT_EQ(a.route_set, b.route_set);
    EXPECT_EQ(a.next_hop.type, b.next_hop.type);
    EXPECT_EQ(a.next_hop.address, b.next_hop.address);
    EXPECT_EQ(a.next_hop.server_name, b.next_hop.server_name);
    EXPECT_EQ(b.next_hop.connection, 0u);
    EXPECT_EQ(a.contact, b.contact);
    EXPECT_EQ(a.user_agent, b.user_agent);
    EXPECT_EQ(a.remote_address, b.remote_address);
    EXPECT_EQ(a.allows_update, b.allows_update);
}

TEST(DurableCall, RoundTrips) {
    for (bool emergency : {false, true}) {
        durable_call c = sample();
        if (emergency) {
            c.data.kind = call_kind::emergency;
            c.data.emergency = emergency_route{1, {2, 0, 1}, 1, "933", "udp:10.1.0.10:5060: 503"};
            c.data.session_deadline.reset();
            c.flows.pop_back();
        }
        auto back = decode_call(encode_call(c));
        ASSERT_TRUE(back) << back.error().message();
        const call_data& a = c.data;
        const call_data& b = back->data;
        EXPECT_EQ(a.id, b.id);
        EXPECT_EQ(a.kind, b.kind);
        EXPECT_EQ(a.state, b.state);
        expect_same_leg(a.legs[0], b.legs[0]);
        expect_same_leg(a.legs[1], b.legs[1]);
        EXPECT_EQ(a.media, b.media);
        EXPECT_EQ(back->node, "osv1");
        EXPECT_FALSE(b.node.has_value());
        EXPECT_EQ(a.route, b.route);
        EXPECT_EQ(a.max_forwards, b.max_forwards);
        EXPECT_EQ(a.from_aor, b.from_aor);
        EXPECT_EQ(a.to_aor, b.to_aor);
        EXPECT_EQ(a.started, b.started);
        EXPECT_EQ(a.answered, b.answered);
        EXPECT_EQ(a.final_status, b.final_status);
        EXPECT_EQ(a.reinvites, b.reinvites);
        EXPECT_EQ(a.updates, b.updates);
        EXPECT_EQ(a.refreshes, b.refreshes);
        EXPECT_EQ(a.session_interval, b.session_interval);
        EXPECT_EQ(a.session_deadline, b.session_deadline);
        ASSERT_EQ(a.emergency.has_value(), b.emergency.has_value());
        if (a.emergency) {
            EXPECT_EQ(a.emergency->endpoint, b.emergency->endpoint);
            EXPECT_EQ(a.emergency->domains, b.emergency->domains);
            EXPECT_EQ(a.emergency->attempt, b.emergency->attempt);
            EXPECT_EQ(a.emergency->dialled, b.emergency->dialled);
            EXPECT_EQ(a.emergency->failures, b.emergency->failures);
        }
        ASSERT_EQ(c.flows.size(), back->flows.size());
        for (size_t i = 0; i < c.flows.size(); ++i) {
            EXPECT_EQ(std::memcmp(&c.flows[i], &back->flows[i], sizeof(shm::flow_spec)), 0);
        }
    }
}

TEST(DurableCall, TheIdIsTheCallersDialog) {
    const durable_call c = sample();
    EXPECT_EQ(call_record_id(c.data), "a-leg@client\nlt-a-leg@client");
}

TEST(DurableCall, EveryTruncationIsRefused) {
    const std::string full = encode_call(sample());
    for (size_t n = 0; n < full.size(); ++n) {
        auto r = decode_call(std::string_view(full).substr(0, n));
        ASSERT_FALSE(r) << "accepted a record cut to " << n << " bytes";
        EXPECT_FALSE(r.error().message().empty());
    }
    EXPECT_FALSE(decode_call(full + '\0'));
}

TEST(DurableCall, AnotherVersionOrContractAndImpossibleCountsAreRefused) {
    const std::string full = encode_call(sample());
    std::string v = full;
    v[0] = 9;
    auto rv = decode_call(v);
    ASSERT_FALSE(rv);
    EXPECT_NE(rv.error().message().find("version 9"), std::string::npos);
    std::string k = full;
    k[1] = static_cast<char>(k[1] + 1);  // the dataplane contract version's low byte
    auto rk = decode_call(k);
    ASSERT_FALSE(rk);
    EXPECT_NE(rk.error().message().find("dataplane contract"), std::string::npos);

    durable_call three = sample();
    three.flows.push_back(flow(40000, 3));
    auto rf = decode_call(encode_call(three));
    ASSERT_FALSE(rf);
    EXPECT_NE(rf.error().message().find("3 flows"), std::string::npos);

    durable_call routes = sample();
    routes.data.legs[0].route_set.assign(65, "<sip:x;lr>");
    EXPECT_FALSE(decode_call(encode_call(routes)));

    durable_call no_dialog = sample();
    no_dialog.data.legs[0].local_tag.clear();
    EXPECT_FALSE(decode_call(encode_call(no_dialog)));

    durable_call past = sample();
    past.data.kind = call_kind::emergency;
    past.data.emergency = emergency_route{0, {0, 1}, 2, "933", ""};
    EXPECT_FALSE(decode_call(encode_call(past)));
}

TEST(DurableCall, RandomAndFlippedBytesNeverCrash) {
    std::mt19937 rng(15);
    const std::string full = encode_call(sample());
    for (int i = 0; i < 20000; ++i) {
        std::string s = full;
        if (i % 2 == 0) {
            for (int j = 0; j < 3; ++j) {
                s[rng() % s.size()] = static_cast<char>(rng());
            }
        } else {
            s.resize(rng() % 400);
            for (char& c : s) {
                c = static_cast<char>(rng());
            }
        }
        auto r = decode_call(s);
        if (!r) {
            EXPECT_FALSE(r.error().message().empty());
        }
    }
}

}  // namespace
}  // namespace sbc::cp::b2bua
